package io.toka.shell.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/** Turns shell arguments into a tool's JSON arguments. */
final class ArgumentParser {

    private ArgumentParser() {
    }

    /**
     * @param mapper JSON mapper
     * @param json a JSON object
     * @return the arguments
     * @throws IllegalArgumentException if the text is not a JSON object
     */
    static Map<String, Object> parseJson(ObjectMapper mapper, String json) {
        try {
            JsonNode node = mapper.readTree(json);
            if (node == null || !node.isObject()) {
                throw new IllegalArgumentException("--json must be a JSON object, e.g. '{\"path\":\"README.md\"}'");
            }
            return mapper.convertValue(node, new TypeReference<Map<String, Object>>() { });
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("--json is not valid JSON: " + e.getOriginalMessage());
        }
    }

    /**
     * Parses {@code key=value} pairs. A value is converted to the type the schema declares for its key: boolean,
     * integer, number, or JSON for arrays and objects; otherwise it stays a string.
     *
     * @param mapper JSON mapper
     * @param schemaText the tool's input schema
     * @param pairs the pairs
     * @return the arguments
     * @throws IllegalArgumentException naming the pair that is malformed or cannot be converted
     */
    static Map<String, Object> parsePairs(ObjectMapper mapper, String schemaText, List<String> pairs) {
        JsonNode properties = properties(mapper, schemaText);
        Map<String, Object> out = new LinkedHashMap<>();
        for (String pair : pairs) {
            int eq = pair.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("argument '" + pair + "' must look like key=value");
            }
            String key = pair.substring(0, eq);
            String value = pair.substring(eq + 1);
            if (out.containsKey(key)) {
                throw new IllegalArgumentException("argument '" + key + "' is given twice");
            }
            out.put(key, convert(mapper, key, value, types(properties.path(key))));
        }
        return out;
    }

    private static Object convert(ObjectMapper mapper, String key, String value, Set<String> types) {
        if (types.isEmpty() || types.contains("string")) {
            return value;
        }
        if (types.contains("boolean") && (value.equals("true") || value.equals("false"))) {
            return Boolean.valueOf(value);
        }
        if (types.contains("integer")) {
            try {
                return Long.parseLong(value);
            } catch (NumberFormatException ignored) {
                // fall through to the other declared types
            }
        }
        if (types.contains("number")) {
            try {
                return Double.parseDouble(value);
            } catch (NumberFormatException ignored) {
                // fall through
            }
        }
        if (types.contains("array") || types.contains("object") || types.contains("null")) {
            try {
                return mapper.readValue(value, Object.class);
            } catch (JsonProcessingException e) {
                throw new IllegalArgumentException("argument '" + key + "' must be JSON (" + String.join("|", types) + ")");
            }
        }
        throw new IllegalArgumentException("argument '" + key + "' must be " + String.join(" or ", types)
                + ", not '" + value + "'");
    }

    private static JsonNode properties(ObjectMapper mapper, String schemaText) {
        try {
            return mapper.readTree(schemaText).path("properties");
        } catch (JsonProcessingException e) {
            return mapper.createObjectNode();
        }
    }

    private static Set<String> types(JsonNode property) {
        Set<String> types = new TreeSet<>();
        JsonNode type = property.path("type");
        if (type.isTextual()) {
            types.add(type.asText());
        } else if (type.isArray()) {
            type.forEach(t -> types.add(t.asText()));
        }
        return types;
    }
}
