package io.toka.mcp.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;

/**
 * The one Jackson configuration of the bundle, built once: an immutable mapper, and the reader and writer every
 * request reuses (no per-request configuration on the hot path).
 */
final class Json {

    // arguments reach tools as the REST API hands them over: floating-point numbers as Double
    static final ObjectMapper MAPPER = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    static final ObjectReader TREE = MAPPER.reader();
    static final ObjectWriter WRITER = MAPPER.writer();
    static final JsonNodeFactory NODES = MAPPER.getNodeFactory();
    private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() {
    };
    private static final ObjectReader MAP_READER = MAPPER.readerFor(MAP);

    private Json() {
    }

    static ObjectNode object() {
        return NODES.objectNode();
    }

    static ArrayNode array() {
        return NODES.arrayNode();
    }

    /** Parses a body; {@link JsonProcessingException} for anything that is not exactly one JSON value. */
    static JsonNode parse(byte[] body) throws IOException {
        try {
            return TREE.readTree(body);
        } catch (java.io.CharConversionException e) {
            // Jackson guessed UTF-16/32 from zero bytes and met an invalid character: not a JsonProcessingException,
            // so it escaped the servlet as a 500 (found by McpMessageFuzzTest). JSON-RPC's answer is a parse error.
            throw new com.fasterxml.jackson.core.JsonParseException(null, "not UTF-8 JSON text: " + e.getMessage());
        }
    }

    /** A JSON object's members as Java values (String, Number, Boolean, List, Map, null): tool arguments. */
    static Map<String, Object> toMap(JsonNode object) {
        try {
            return MAP_READER.readValue(object);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static JsonNode toTree(Object value) {
        return MAPPER.valueToTree(value);
    }

    static byte[] bytes(JsonNode node) {
        try {
            return WRITER.writeValueAsBytes(node);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String text(JsonNode node) {
        try {
            return WRITER.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }
}
