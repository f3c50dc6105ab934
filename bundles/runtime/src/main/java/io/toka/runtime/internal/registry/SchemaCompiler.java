package io.toka.runtime.internal.registry;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.PathType;
import com.networknt.schema.SchemaValidatorsConfig;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import com.networknt.schema.resource.DisallowSchemaLoader;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Compiles tool input schemas (JSON Schema 2020-12 unless {@code $schema} says otherwise) and validates arguments. */
final class SchemaCompiler {

    private final ObjectMapper mapper;
    private final JsonSchemaFactory factory;
    private final SchemaValidatorsConfig config;

    SchemaCompiler(ObjectMapper mapper) {
        this.mapper = mapper;
        // A remote $ref would let any tool bundle make the registry fetch URLs: schemas must be self-contained.
        this.factory = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012,
                b -> b.schemaLoaders(l -> l.values(list -> list.add(0, DisallowSchemaLoader.getInstance()))));
        // describe() reads "$.a.b" locations; the library's default for 2020-12 is JSON Pointer ("/a/b")
        this.config = SchemaValidatorsConfig.builder().pathType(PathType.LEGACY).formatAssertionsEnabled(true).build();
    }

    /**
     * @param schemaText the schema as JSON text
     * @return the compiled schema
     * @throws IllegalArgumentException if the text is not JSON or not a schema object
     */
    JsonSchema compile(String schemaText) {
        JsonNode node;
        try {
            node = mapper.readTree(schemaText);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not valid JSON (" + e.getOriginalMessage() + ")");
        }
        if (node == null || !(node.isObject() || node.isBoolean())) {
            throw new IllegalArgumentException("a schema must be a JSON object or boolean");
        }
        try {
            JsonSchema schema = factory.getSchema(node, config);
            schema.initializeValidators();
            return schema;
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(e.getMessage());
        }
    }

    /** "argument 'a.b': <error>" for a nested value, or the bare error for the arguments object itself. */
    static String describe(ValidationMessage m) {
        String error = m.getError() != null ? m.getError() : m.getMessage();
        String location = m.getInstanceLocation() == null ? "" : m.getInstanceLocation().toString();
        // locations look like "$", "$.path" or "$.items[0]"
        String path = location.startsWith("$") ? location.substring(1) : location;
        if (path.startsWith(".")) {
            path = path.substring(1);
        }
        return path.isEmpty() ? error : "argument '" + path + "': " + error;
    }

    /**
     * @param schema the compiled schema
     * @param arguments the arguments
     * @return one line per violation, empty if the arguments are valid
     */
    List<String> validate(JsonSchema schema, Map<String, Object> arguments) {
        JsonNode node = mapper.valueToTree(arguments);
        Set<ValidationMessage> messages = schema.validate(node);
        if (messages.isEmpty()) {
            return List.of();
        }
        List<String> out = new ArrayList<>(messages.size());
        for (ValidationMessage m : messages) {
            out.add(describe(m));
        }
        out.sort(null);
        return out;
    }
}
