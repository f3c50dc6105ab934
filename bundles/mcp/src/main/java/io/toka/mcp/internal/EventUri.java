package io.toka.mcp.internal;

import io.toka.event.Event;
import io.toka.event.Events;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A URI of the event log resource: {@code toka://events}, optionally with the query of the template
 * {@value #TEMPLATE}: {@code kind} (an event kind such as {@code tool.invoked}), {@code subject} (who the events
 * concern) and {@code limit} (how many of the newest matching events, 1 to {@value #MAX_LIMIT}, default
 * {@value #DEFAULT_LIMIT}).
 *
 * @param uri the URI as the client wrote it (echoed in answers and notifications)
 * @param kind the kind filter, or {@code null}
 * @param subject the subject filter, or {@code null}
 * @param limit how many events a read returns at most
 */
record EventUri(String uri, String kind, String subject, int limit) {

    static final String BASE = "toka://events";
    static final String TEMPLATE = BASE + "{?kind,subject,limit}";
    static final int DEFAULT_LIMIT = 50;
    static final int MAX_LIMIT = 200;
    private static final int MAX_SUBJECT = 256;

    /** The URI is the event log's, but its query is wrong. */
    static final class BadQuery extends Exception {
        private static final long serialVersionUID = 1L;

        BadQuery(String message) {
            super(message, null, false, false);
        }
    }

    /**
     * @return the parsed URI, or {@code null} when it does not name the event log (another resource, or no URI)
     * @throws BadQuery when it names the event log with a query that is not the template's
     */
    static EventUri parse(String text) throws BadQuery {
        URI u;
        try {
            u = new URI(text);
        } catch (URISyntaxException e) {
            return null;
        }
        if (!"toka".equals(u.getScheme()) || !"events".equals(u.getHost()) || u.getPort() != -1
                || u.getRawUserInfo() != null || !u.getRawPath().isEmpty() || u.getRawFragment() != null) {
            return null;
        }
        Map<String, String> params = query(u.getRawQuery());
        String kind = params.get("kind");
        if (kind != null && !Events.KIND.matcher(kind).matches()) {
            throw new BadQuery("kind must be an event kind of dotted lower-case words, e.g. tool.invoked, not '"
                    + JsonRpc.clip(kind, 64) + "'");
        }
        String subject = params.get("subject");
        if (subject != null && (subject.isBlank() || subject.length() > MAX_SUBJECT)) {
            throw new BadQuery("subject must be 1 to " + MAX_SUBJECT + " characters");
        }
        int limit = DEFAULT_LIMIT;
        String limitText = params.get("limit");
        if (limitText != null) {
            try {
                limit = Integer.parseInt(limitText);
            } catch (NumberFormatException e) {
                limit = -1;
            }
            if (limit < 1 || limit > MAX_LIMIT) {
                throw new BadQuery("limit must be a whole number from 1 to " + MAX_LIMIT + ", not '"
                        + JsonRpc.clip(limitText, 32) + "'");
            }
        }
        return new EventUri(text, kind, subject, limit);
    }

    private static Map<String, String> query(String raw) throws BadQuery {
        Map<String, String> params = new HashMap<>();
        if (raw == null || raw.isEmpty()) {
            return params;
        }
        for (String pair : raw.split("&", -1)) {
            int eq = pair.indexOf('=');
            String name = eq < 0 ? pair : pair.substring(0, eq);
            if (!name.equals("kind") && !name.equals("subject") && !name.equals("limit")) {
                throw new BadQuery("the query may hold kind, subject and limit, not '" + JsonRpc.clip(name, 32)
                        + "' (" + TEMPLATE + ")");
            }
            if (eq < 0) {
                throw new BadQuery(name + " needs a value, e.g. " + name + "=...");
            }
            String value;
            try {
                value = decode(pair.substring(eq + 1));
            } catch (IllegalArgumentException e) {
                throw new BadQuery(name + " is not percent-encoded correctly");
            }
            if (params.put(name, value) != null) {
                throw new BadQuery(name + " is given twice");
            }
        }
        return params;
    }

    /** Percent-decoding as RFC 3986 has it ({@code +} stays a plus sign). */
    private static String decode(String s) {
        if (s.indexOf('%') < 0) {
            return s;
        }
        byte[] out = new byte[s.length()];
        int n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '%') {
                if (i + 2 >= s.length()) {
                    throw new IllegalArgumentException("truncated escape");
                }
                out[n++] = (byte) Integer.parseInt(s.substring(i + 1, i + 3), 16);
                i += 2;
            } else if (c < 0x80) {
                out[n++] = (byte) c;
            } else {
                throw new IllegalArgumentException("not ASCII");
            }
        }
        return new String(out, 0, n, StandardCharsets.UTF_8);
    }

    /** @return whether an event is one this URI selects (the limit aside) */
    boolean matches(Event e) {
        return (kind == null || kind.equals(e.kind())) && (subject == null || Objects.equals(subject, e.subject()));
    }
}
