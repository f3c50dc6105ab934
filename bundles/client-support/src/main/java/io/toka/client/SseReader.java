package io.toka.client;

import java.io.BufferedReader;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;

/**
 * Reads a {@code text/event-stream} body as the HTML standard's event-stream interpretation describes: lines end
 * with CR, LF or CRLF; {@code data} lines of one event are joined with LF; lines starting with ':' are comments
 * (keep-alives); an event ends at a blank line; an unfinished event at the end of the stream is dropped.
 */
public final class SseReader implements Closeable {

    /**
     * One event block.
     *
     * @param id the {@code id} field of this block, or null when it has none
     * @param type the {@code event} field, or null (the default type, "message")
     * @param data the joined {@code data} lines, empty when there were none
     * @param retryMillis the {@code retry} field, or null
     */
    public record Event(String id, String type, String data, Long retryMillis) {

        /** @return whether this event carries a message (a priming event or a bare {@code retry} does not) */
        public boolean hasData() {
            return !data.isEmpty();
        }

        /** @return whether the event has the default type, "message" (the only one MCP sends JSON-RPC messages in) */
        public boolean isMessage() {
            return type == null || type.isEmpty() || type.equals("message");
        }
    }

    private final BufferedReader reader;

    /**
     * Reads events from a stream.
     *
     * @param in the response body, UTF-8
     */
    public SseReader(InputStream in) {
        this.reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
    }

    /**
     * Reads up to the end of the next event block that has at least one field.
     *
     * @return the event, or null at the end of the stream
     * @throws IOException if reading fails
     */
    public Event next() throws IOException {
        String id = null;
        String type = null;
        Long retry = null;
        StringBuilder data = null;
        boolean any = false;
        String line;
        while ((line = reader.readLine()) != null) {
            if (line.isEmpty()) {
                if (any) {
                    return new Event(id, type, data == null ? "" : data.toString(), retry);
                }
                continue;
            }
            if (line.charAt(0) == ':') {
                continue;
            }
            int colon = line.indexOf(':');
            String field = colon < 0 ? line : line.substring(0, colon);
            String value = colon < 0 ? "" : line.substring(colon + 1);
            if (value.startsWith(" ")) {
                value = value.substring(1);
            }
            switch (field) {
                case "data" -> {
                    data = data == null ? new StringBuilder(value) : data.append('\n').append(value);
                    any = true;
                }
                case "id" -> {
                    if (value.indexOf('\0') < 0) {
                        id = value;
                        any = true;
                    }
                }
                case "event" -> {
                    type = value;
                    any = true;
                }
                case "retry" -> {
                    if (!value.isEmpty() && value.length() < 10 && value.chars().allMatch(c -> c >= '0' && c <= '9')) {
                        retry = Long.parseLong(value);
                        any = true;
                    }
                }
                default -> {
                    // unknown fields are ignored, as the standard says
                }
            }
        }
        return null;
    }

    @Override
    public void close() throws IOException {
        reader.close();
    }
}
