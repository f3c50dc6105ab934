package io.toka.runtime.internal.registry;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.PathType;
import com.networknt.schema.SchemaId;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaValidatorsConfig;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import com.networknt.schema.resource.DisallowSchemaLoader;
import com.networknt.schema.resource.SchemaLoader;
import java.io.FileNotFoundException;
import java.io.InputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Compiles tool input and output schemas (JSON Schema 2020-12 unless {@code $schema} says otherwise), validates
 * arguments against the one and structured results against the other.
 */
final class SchemaCompiler {

    private static final Logger LOG = LoggerFactory.getLogger(SchemaCompiler.class);

    private final ObjectMapper mapper;
    private final JsonSchemaFactory factory;
    private final SchemaValidatorsConfig config;
    /** The 2020-12 meta-schema, so that a schema like {"type": 42} is refused when loaded, not blamed on callers. */
    private final JsonSchema metaSchema;

    SchemaCompiler(ObjectMapper mapper) {
        this.mapper = mapper;
        // A remote $ref would let any tool bundle make the registry fetch URLs: schemas must be self-contained.
        this.factory = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012,
                b -> b.schemaLoaders(l -> l.values(list -> list.add(0, DisallowSchemaLoader.getInstance()))));
        // describe() reads "$.a.b" locations; the library's default for 2020-12 is JSON Pointer ("/a/b")
        this.config = SchemaValidatorsConfig.builder().pathType(PathType.LEGACY).formatAssertionsEnabled(true).build();
        this.metaSchema = loadMetaSchema(config);
    }

    /**
     * The 2020-12 meta-schema and its vocabularies ship inside the validator jar as {@code classpath:} resources,
     * but the library's classpath loader asks the thread context class loader, which in OSGi cannot see them: read
     * them through the validator bundle's own class loader instead.
     */
    private static JsonSchema loadMetaSchema(SchemaValidatorsConfig config) {
        ClassLoader validatorLoader = JsonSchemaFactory.class.getClassLoader();
        SchemaLoader fromValidatorBundle = iri -> {
            String uri = iri.toString();
            if (!uri.startsWith("classpath:")) {
                return null;
            }
            String name = uri.substring("classpath:".length()).replaceFirst("^/", "");
            return () -> {
                InputStream in = validatorLoader.getResourceAsStream(name);
                if (in == null) {
                    throw new FileNotFoundException(uri);
                }
                return in;
            };
        };
        try {
            JsonSchema meta = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012,
                            b -> b.schemaLoaders(l -> l.values(list -> list.add(0, fromValidatorBundle))))
                    .getSchema(SchemaLocation.of(SchemaId.V202012), config);
            meta.initializeValidators(); // loads the vocabulary meta-schemas now, not on the first tool call
            return meta;
        } catch (RuntimeException e) {
            LOG.warn("Cannot load the JSON Schema 2020-12 meta-schema; tool schemas are not checked against it", e);
            return null;
        }
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
        // schemas of other drafts (an explicit older $schema) are checked by the validator itself
        boolean draft202012 = !node.has("$schema") || SchemaId.V202012.equals(node.path("$schema").asText());
        if (metaSchema != null && node.isObject() && draft202012) {
            List<String> problems = new ArrayList<>();
            metaSchema.validate(node).forEach(m -> problems.add(m.getMessage()));
            if (!problems.isEmpty()) {
                problems.sort(null);
                throw new IllegalArgumentException("not a valid JSON Schema 2020-12: " + String.join("; ", problems));
            }
        }
        JsonSchema schema;
        try {
            schema = factory.getSchema(node, config);
            schema.initializeValidators();
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(e.getMessage());
        } catch (StackOverflowError e) {
            throw new IllegalArgumentException(ENDLESS);
        }
        // A $ref that reaches itself without descending into the value (e.g. {"$ref": "#"}) loops on every value:
        // refuse such a schema now rather than fail each call. A loop reached only through some member is caught
        // when a call's arguments reach it (see check()).
        try {
            check(schema, mapper.createObjectNode());
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(e instanceof IllegalArgumentException ? e.getMessage()
                    : "the schema cannot check a value: " + e.getMessage());
        }
        return schema;
    }

    /** Why a schema could not check a value: the validator's recursion overflowed the stack. */
    static final String ENDLESS = "the schema recurses without end (a $ref that reaches itself without descending"
            + " into the value)";

    /**
     * Validates a value, turning a validator recursion that overflows the stack (a looping {@code $ref}, or a value
     * nested too deeply for the schema's recursion) into an {@link IllegalArgumentException}: the tool's schema is at
     * fault, not the caller, and the thread's stack is unwound by then.
     */
    private static Set<ValidationMessage> check(JsonSchema schema, JsonNode value) {
        try {
            return schema.validate(value);
        } catch (StackOverflowError e) {
            throw new IllegalArgumentException(ENDLESS);
        } catch (RuntimeException e) {
            // the overflow may strike inside a library that turns it into its own exception: java.util.regex
            // reports it as a PatternSyntaxException ("Stack overflow during pattern compilation"), which the
            // validator wraps in a JsonSchemaException
            if (overflowed(e)) {
                throw new IllegalArgumentException(ENDLESS);
            }
            throw e;
        }
    }

    private static boolean overflowed(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof StackOverflowError || (t instanceof java.util.regex.PatternSyntaxException p
                    && p.getDescription() != null && p.getDescription().startsWith("Stack overflow"))) {
                return true;
            }
        }
        return false;
    }

    /**
     * An output schema: compiled as {@link #compile} does, and its root must declare {@code "type": "object"}, as
     * MCP requires (a tool's structured content is a JSON object).
     *
     * @param schemaText the schema as JSON text
     * @return the compiled schema
     * @throws IllegalArgumentException if the text is not a valid schema for an object
     */
    JsonSchema compileOutput(String schemaText) {
        JsonSchema schema = compile(schemaText);
        JsonNode type = schema.getSchemaNode().path("type");
        if (!"object".equals(type.asText(null)) || !type.isTextual()) {
            throw new IllegalArgumentException("its root must declare \"type\": \"object\" (a structured result is"
                    + " a JSON object)");
        }
        return schema;
    }

    /** "argument 'a.b': <error>" for a nested value, or the bare error for the arguments object itself. */
    static String describe(ValidationMessage m) {
        return describe(m, "argument");
    }

    /** "&lt;what&gt; 'a.b': &lt;error&gt;" for a nested value, or the bare error for the root. */
    private static String describe(ValidationMessage m, String what) {
        String error = m.getError() != null ? m.getError() : m.getMessage();
        String location = m.getInstanceLocation() == null ? "" : m.getInstanceLocation().toString();
        // locations look like "$", "$.path" or "$.items[0]"
        String path = location.startsWith("$") ? location.substring(1) : location;
        if (path.startsWith(".")) {
            path = path.substring(1);
        }
        return path.isEmpty() ? error : what + " '" + path + "': " + error;
    }

    /**
     * @param schema the compiled schema
     * @param arguments the arguments
     * @return one line per violation, empty if the arguments are valid
     * @throws IllegalArgumentException if the schema cannot check them ({@link #ENDLESS})
     */
    List<String> validate(JsonSchema schema, Map<String, Object> arguments) {
        JsonNode node = mapper.valueToTree(arguments);
        Set<ValidationMessage> messages = check(schema, node);
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

    /**
     * @param schema a compiled output schema
     * @param structured a tool's structured value (maps, lists, records...); converted to JSON first
     * @return one line per violation, each naming the field, sorted; empty if the value is valid
     * @throws IllegalArgumentException if the value cannot be converted to JSON, or the schema cannot check it
     *     ({@link #ENDLESS})
     */
    List<String> validateOutput(JsonSchema schema, Object structured) {
        JsonNode node = mapper.valueToTree(structured);
        Set<ValidationMessage> messages = check(schema, node);
        if (messages.isEmpty()) {
            return List.of();
        }
        List<String> out = new ArrayList<>(messages.size());
        for (ValidationMessage m : messages) {
            out.add(describe(m, "field"));
        }
        out.sort(null);
        return out;
    }
}
