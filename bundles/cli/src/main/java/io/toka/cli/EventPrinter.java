package io.toka.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintStream;

/**
 * Prints the events of a stream, one line each: sequence number, time, kind, agent, subject and the payload; or,
 * with {@code --json}, each event's JSON on its own line (NDJSON, for {@code jq}).
 */
final class EventPrinter {

    private final ObjectMapper mapper;
    private final PrintStream out;
    private final boolean json;

    EventPrinter(ObjectMapper mapper, PrintStream out, boolean json) {
        this.mapper = mapper;
        this.out = out;
        this.json = json;
    }

    /**
     * @param data an event's {@code data}
     * @return the event
     * @throws CliException if it is not a JSON object
     */
    JsonNode parse(String data, String request) throws CliException {
        try {
            JsonNode n = mapper.readTree(data);
            if (n != null && n.isObject()) {
                return n;
            }
        } catch (IOException e) {
            // the message below
        }
        throw Context.malformed(request, "an event that is not a JSON object (" + Table.cut(data, 60) + ")");
    }

    /**
     * An observation's {@code data} is base64 (the kernel carries bytes); when it is UTF-8 text, such as an agent's
     * progress JSON, the line shows the text. {@code --json} keeps the event as Toka sent it.
     */
    private static JsonNode readable(JsonNode payload) {
        if (payload == null || !payload.path("data").isTextual()) {
            return payload;
        }
        try {
            byte[] bytes = java.util.Base64.getDecoder().decode(payload.path("data").asText());
            String text = java.nio.charset.StandardCharsets.UTF_8.newDecoder()
                    .decode(java.nio.ByteBuffer.wrap(bytes)).toString();
            if (text.chars().anyMatch(ch -> ch < 0x20 && ch != '\n' && ch != '\t')) {
                return payload;
            }
            com.fasterxml.jackson.databind.node.ObjectNode copy =
                    ((com.fasterxml.jackson.databind.node.ObjectNode) payload).deepCopy();
            copy.put("data", text);
            return copy;
        } catch (IllegalArgumentException | java.nio.charset.CharacterCodingException | ClassCastException e) {
            return payload;
        }
    }

    void print(JsonNode e) {
        if (json) {
            out.println(e.toString());
        } else {
            StringBuilder sb = new StringBuilder();
            sb.append('#').append(Context.text(e, "seq")).append("  ").append(Context.text(e, "timestamp"))
                    .append("  ").append(Context.text(e, "kind"));
            String agent = Context.text(e, "agent");
            if (!agent.isEmpty()) {
                sb.append("  agent=").append(agent);
            }
            String subject = Context.text(e, "subject");
            if (!subject.isEmpty()) {
                sb.append("  subject=").append(subject);
            }
            JsonNode payload = readable(e.get("payload"));
            if (payload != null && !payload.isNull()) {
                sb.append("  ").append(Table.cut(payload.toString(), 160));
            }
            out.println(sb);
        }
        out.flush();
    }
}
