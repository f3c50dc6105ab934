package io.toka.mcp.stdio;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.io.CharacterEscapes;
import com.fasterxml.jackson.core.io.SerializedString;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * JSON for the bridge, read and written with Jackson's streaming API (jackson-core, shaded into the bridge's jar).
 *
 * <p>Objects become {@link LinkedHashMap} (member order kept), arrays {@link ArrayList}, strings {@link String},
 * {@code true}/{@code false} {@link Boolean}, {@code null} Java {@code null}, and numbers {@link Num}, which keeps the
 * number as written: a request id {@code 7} or {@code 1e3} goes back to the client exactly as it came.
 * {@link #write} puts any value on one line, which is what the stdio transport needs.
 */
final class Json {

    /** Nesting deeper than this is refused instead of overflowing the stack on a hostile message. */
    static final int MAX_DEPTH = 512;

    private static final JsonFactory FACTORY = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_DEPTH).build())
            .build()
            .setCharacterEscapes(new OneLineEscapes());

    /**
     * A JSON number, as written.
     *
     * @param text the number's text, valid JSON number syntax
     */
    record Num(String text) {
        @Override
        public String toString() {
            return text;
        }
    }

    /** Thrown for text that is not one JSON value. */
    static final class JsonException extends Exception {
        private static final long serialVersionUID = 1L;

        JsonException(String message) {
            super(message);
        }
    }

    private Json() {
    }

    /**
     * Parses one JSON value; only whitespace may follow it.
     *
     * @param text the JSON text
     * @return the value (may be null for {@code null})
     * @throws JsonException if the text is not exactly one JSON value
     */
    static Object parse(String text) throws JsonException {
        try (JsonParser p = FACTORY.createParser(text)) {
            if (p.nextToken() == null) {
                throw new JsonException("no JSON value");
            }
            Object v = value(p);
            if (p.nextToken() != null) {
                throw new JsonException("unexpected text after the JSON value at character "
                        + (p.currentTokenLocation().getCharOffset() + 1));
            }
            return v;
        } catch (JsonProcessingException e) {
            String nested = e.getOriginalMessage().contains("nesting depth")
                    ? "nested deeper than " + MAX_DEPTH + " levels" : e.getOriginalMessage();
            throw new JsonException(nested + (e.getLocation() == null ? ""
                    : " at character " + (e.getLocation().getCharOffset() + 1)));
        } catch (IOException e) {
            throw new JsonException(e.getMessage());
        }
    }

    /**
     * Parses one JSON value, or gives null for text that is not one.
     *
     * @param text the text, may be null
     * @return the value, or null
     */
    static Object parseOrNull(String text) {
        if (text == null || text.isEmpty()) {
            return null;
        }
        try {
            return parse(text);
        } catch (JsonException e) {
            return null;
        }
    }

    /**
     * Writes a value on one line: no newline can appear in the output, since every control character inside a
     * string is escaped (and so are U+2028, U+2029 and surrogates, so that the line is plain, valid UTF-8).
     *
     * @param value a value made of maps with string keys, lists, strings, numbers, booleans and null
     * @return the JSON text
     */
    static String write(Object value) {
        StringWriter out = new StringWriter();
        try (JsonGenerator g = FACTORY.createGenerator(out)) {
            write(g, value);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a StringWriter does not fail
        }
        return out.toString();
    }

    /**
     * The member of an object, or null.
     *
     * @param value any value
     * @param name the member name
     * @return the member's value when {@code value} is an object that has it, else null
     */
    static Object member(Object value, String name) {
        return value instanceof Map<?, ?> m ? m.get(name) : null;
    }

    /**
     * A string member of an object, or null.
     *
     * @param value any value
     * @param name the member name
     * @return the member when it is a string, else null
     */
    static String string(Object value, String name) {
        return member(value, name) instanceof String str ? str : null;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> object(Object value) {
        return value instanceof Map<?, ?> ? (Map<String, Object>) value : null;
    }

    /** The value starting at the parser's current token (nesting depth is bounded by the factory). */
    private static Object value(JsonParser p) throws IOException {
        JsonToken t = p.currentToken();
        switch (t) {
            case START_OBJECT -> {
                Map<String, Object> m = new LinkedHashMap<>();
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String name = p.currentName();
                    p.nextToken();
                    m.put(name, value(p));
                }
                return m;
            }
            case START_ARRAY -> {
                List<Object> l = new ArrayList<>();
                while (p.nextToken() != JsonToken.END_ARRAY) {
                    l.add(value(p));
                }
                return l;
            }
            case VALUE_STRING -> {
                return p.getText();
            }
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> {
                return new Num(p.getText());
            }
            case VALUE_TRUE -> {
                return Boolean.TRUE;
            }
            case VALUE_FALSE -> {
                return Boolean.FALSE;
            }
            case VALUE_NULL -> {
                return null;
            }
            default -> throw new IOException("unexpected " + t);
        }
    }

    private static void write(JsonGenerator g, Object v) throws IOException {
        if (v == null) {
            g.writeNull();
        } else if (v instanceof String str) {
            g.writeString(str);
        } else if (v instanceof Boolean b) {
            g.writeBoolean(b);
        } else if (v instanceof Num n) {
            g.writeNumber(n.text());
        } else if (v instanceof Integer || v instanceof Long) {
            g.writeNumber(((Number) v).longValue());
        } else if (v instanceof Map<?, ?> m) {
            g.writeStartObject();
            for (Map.Entry<?, ?> e : m.entrySet()) {
                g.writeFieldName(String.valueOf(e.getKey()));
                write(g, e.getValue());
            }
            g.writeEndObject();
        } else if (v instanceof List<?> l) {
            g.writeStartArray();
            for (Object item : l) {
                write(g, item);
            }
            g.writeEndArray();
        } else {
            throw new IllegalArgumentException("not a JSON value: " + v.getClass().getName());
        }
    }

    /**
     * Jackson's standard escapes (every control character), plus U+2028 and U+2029 (line breaks to JavaScript) and
     * every surrogate: a pair becomes two escapes that read back as the same character, and a lone surrogate, which
     * UTF-8 cannot encode, keeps its escape instead of turning into {@code ?}.
     */
    private static final class OneLineEscapes extends CharacterEscapes {
        private static final long serialVersionUID = 1L;
        private final int[] ascii = standardAsciiEscapesForJSON();

        @Override
        public int[] getEscapeCodesForAscii() {
            return ascii;
        }

        @Override
        public SerializableString getEscapeSequence(int ch) {
            if (ch == 0x2028 || ch == 0x2029 || (ch >= 0xD800 && ch <= 0xDFFF)) {
                return new SerializedString(String.format("\\u%04X", ch));
            }
            return null;
        }
    }
}
