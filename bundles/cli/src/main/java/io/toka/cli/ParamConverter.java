package io.toka.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Turns {@code --param key=value} pairs into a tool's JSON arguments, as the shell's {@code toka:tool-invoke} does:
 * each value is converted to the type the input schema declares for its key (boolean, integer, number, or JSON for
 * arrays and objects); a key the schema does not type stays a string.
 */
final class ParamConverter {

    private ParamConverter() {
    }

    /**
     * @param mapper JSON
     * @param json the {@code --json} text, or null
     * @return its object (a new empty one for null)
     * @throws CliException (usage) if it is not a JSON object
     */
    static ObjectNode parseJson(ObjectMapper mapper, String json) throws CliException {
        if (json == null) {
            return mapper.createObjectNode();
        }
        try {
            JsonNode node = mapper.readTree(json);
            if (node == null || !node.isObject()) {
                throw CliException.usage("--json must be a JSON object, e.g. '{\"path\":\"README.md\"}'");
            }
            return (ObjectNode) node;
        } catch (JsonProcessingException e) {
            throw CliException.usage("--json is not valid JSON: " + e.getOriginalMessage());
        }
    }

    /**
     * Adds the pairs to the arguments.
     *
     * @param mapper JSON
     * @param inputSchema the tool's input schema (may be null or missing)
     * @param pairs the {@code key=value} pairs
     * @param arguments where they go; a key already there (from {@code --json}) is a usage error
     * @throws CliException (usage) naming a pair that is malformed, repeated or cannot be converted
     */
    static void addPairs(ObjectMapper mapper, JsonNode inputSchema, List<String> pairs, ObjectNode arguments)
            throws CliException {
        JsonNode properties = inputSchema == null ? mapper.createObjectNode() : inputSchema.path("properties");
        for (String pair : pairs) {
            int eq = pair.indexOf('=');
            if (eq <= 0) {
                throw CliException.usage("--param '" + Args.shorten(pair) + "' must look like key=value");
            }
            String key = pair.substring(0, eq);
            String value = pair.substring(eq + 1);
            if (arguments.has(key)) {
                throw CliException.usage("argument '" + key + "' is given twice");
            }
            arguments.set(key, convert(mapper, key, value, types(properties.path(key))));
        }
    }

    private static JsonNode convert(ObjectMapper mapper, String key, String value, Set<String> types)
            throws CliException {
        var f = mapper.getNodeFactory();
        if (types.isEmpty() || types.contains("string")) {
            return f.textNode(value);
        }
        if (types.contains("boolean") && (value.equals("true") || value.equals("false"))) {
            return f.booleanNode(Boolean.parseBoolean(value));
        }
        if (types.contains("integer")) {
            try {
                return f.numberNode(Long.parseLong(value));
            } catch (NumberFormatException ignored) {
                // the other declared types
            }
        }
        if (types.contains("number")) {
            try {
                return f.numberNode(new BigDecimal(value));
            } catch (NumberFormatException ignored) {
                // the other declared types
            }
        }
        if (types.contains("array") || types.contains("object") || types.contains("null")) {
            try {
                return mapper.readTree(value);
            } catch (JsonProcessingException e) {
                throw CliException.usage("argument '" + key + "' must be JSON (" + String.join("|", types)
                        + "), e.g. " + key + "=" + (types.contains("array") ? "'[\"a\",\"b\"]'" : "'{\"k\":1}'"));
            }
        }
        throw CliException.usage("argument '" + key + "' must be " + String.join(" or ", types) + ", not '"
                + Args.shorten(value) + "'");
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
