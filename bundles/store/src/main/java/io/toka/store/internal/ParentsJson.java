package io.toka.store.internal;

import java.util.ArrayList;
import java.util.List;

/**
 * Writes and reads the {@code parents} column: a JSON array of strings. Small and exact, so the store needs no JSON
 * library for this one shape.
 */
final class ParentsJson {

    private ParentsJson() {
    }

    /** @return the ids as a JSON array, e.g. {@code ["a","b"]} */
    static String write(List<String> ids) {
        StringBuilder sb = new StringBuilder(2 + ids.size() * 40).append('[');
        for (int i = 0; i < ids.size(); i++) {
            if (i > 0) {
                sb.append(',');
            }
            sb.append('"');
            String s = ids.get(i);
            for (int j = 0; j < s.length(); j++) {
                char c = s.charAt(j);
                switch (c) {
                    case '"' -> sb.append("\\\"");
                    case '\\' -> sb.append("\\\\");
                    case '\n' -> sb.append("\\n");
                    case '\r' -> sb.append("\\r");
                    case '\t' -> sb.append("\\t");
                    default -> {
                        if (c < 0x20) {
                            sb.append(String.format("\\u%04x", (int) c));
                        } else {
                            sb.append(c);
                        }
                    }
                }
            }
            sb.append('"');
        }
        return sb.append(']').toString();
    }

    /**
     * @return the ids in the array
     * @throws IllegalArgumentException if the text is not a JSON array of strings
     */
    static List<String> read(String json) {
        List<String> out = new ArrayList<>();
        int i = skip(json, 0);
        expect(json, i++, '[');
        i = skip(json, i);
        if (i < json.length() && json.charAt(i) == ']') {
            return out;
        }
        while (true) {
            i = skip(json, i);
            expect(json, i++, '"');
            StringBuilder sb = new StringBuilder(36);
            while (true) {
                if (i >= json.length()) {
                    throw bad(json);
                }
                char c = json.charAt(i++);
                if (c == '"') {
                    break;
                }
                if (c != '\\') {
                    sb.append(c);
                    continue;
                }
                if (i >= json.length()) {
                    throw bad(json);
                }
                char e = json.charAt(i++);
                switch (e) {
                    case '"', '\\', '/' -> sb.append(e);
                    case 'n' -> sb.append('\n');
                    case 'r' -> sb.append('\r');
                    case 't' -> sb.append('\t');
                    case 'b' -> sb.append('\b');
                    case 'f' -> sb.append('\f');
                    case 'u' -> {
                        if (i + 4 > json.length()) {
                            throw bad(json);
                        }
                        try {
                            sb.append((char) Integer.parseInt(json.substring(i, i + 4), 16));
                        } catch (NumberFormatException x) {
                            throw bad(json);
                        }
                        i += 4;
                    }
                    default -> throw bad(json);
                }
            }
            out.add(sb.toString());
            i = skip(json, i);
            if (i >= json.length()) {
                throw bad(json);
            }
            char c = json.charAt(i++);
            if (c == ']') {
                if (skip(json, i) != json.length()) {
                    throw bad(json);
                }
                return out;
            }
            if (c != ',') {
                throw bad(json);
            }
        }
    }

    private static int skip(String s, int i) {
        while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
            i++;
        }
        return i;
    }

    private static void expect(String s, int i, char c) {
        if (i >= s.length() || s.charAt(i) != c) {
            throw bad(s);
        }
    }

    private static IllegalArgumentException bad(String s) {
        return new IllegalArgumentException("stored parents are not a JSON array of strings: " + s);
    }
}
