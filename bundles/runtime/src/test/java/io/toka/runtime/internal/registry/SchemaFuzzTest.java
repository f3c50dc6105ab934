package io.toka.runtime.internal.registry;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.JsonSchema;
import io.toka.tool.ToolDescriptor;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * Fuzzes the JSON Schema compilation of tool descriptors and the validation of call arguments against them. A tool
 * bundle writes the schema, a caller (HTTP, MCP, an agent's model) writes the arguments: compiling any text must give
 * a schema or an {@link IllegalArgumentException}, {@link Prepared#of} must never throw, and validating any arguments
 * against any compiled schema must give a list of violations, never an exception.
 */
class SchemaFuzzTest {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final SchemaCompiler COMPILER = new SchemaCompiler(MAPPER);
    private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() { };

    /** Schemas a tool may well declare, against which the {@link #arguments} target validates fuzzed arguments. */
    private static final List<JsonSchema> SCHEMAS = List.of(
            COMPILER.compile("""
                    {"type":"object","required":["path"],"additionalProperties":false,"properties":{
                     "path":{"type":"string","minLength":1,"maxLength":4096,"pattern":"^[^\\\\u0000]+$"},
                     "mode":{"enum":["r","w"]},"count":{"type":"integer","minimum":0,"maximum":100},
                     "when":{"type":"string","format":"date-time"},"mail":{"type":"string","format":"email"},
                     "re":{"type":"string","format":"regex"},"uri":{"type":"string","format":"uri"}}}"""),
            COMPILER.compile("""
                    {"$defs":{"node":{"type":"object","properties":{"v":{"type":"number"},
                     "children":{"type":"array","items":{"$ref":"#/$defs/node"}}}}},
                     "type":"object","properties":{"tree":{"$ref":"#/$defs/node"}},
                     "patternProperties":{"^x-":{"type":["string","null"]}},
                     "dependentRequired":{"a":["b"]},"if":{"required":["a"]},"then":{"properties":{"b":{"const":1}}},
                     "oneOf":[{"required":["tree"]},{"required":["a"]},{"not":{"required":["tree","a"]}}]}"""),
            COMPILER.compile("{}"));

    /** The first line is the schema, the rest the arguments (a JSON object). */
    @FuzzTest(maxDuration = "30s")
    void compile(byte[] input) {
        String text = new String(input, StandardCharsets.UTF_8);
        int nl = text.indexOf('\n');
        String schema = nl < 0 ? text : text.substring(0, nl);
        String args = nl < 0 ? "{}" : text.substring(nl + 1);
        FuzzBounds.check("compile and validate", () -> {
            ToolDescriptor d;
            try {
                d = ToolDescriptor.builder("fuzz").inputSchema(schema)
                        .outputSchema(args.startsWith("{\"type\":\"object\"") ? args : null).build();
            } catch (IllegalArgumentException refusedByTheBuilder) {
                return; // e.g. a blank schema: the tool bundle's own code fails, the registry never sees it
            }
            Prepared p = Prepared.of("fuzz", d, COMPILER);
            if (p.problem() != null) {
                return;
            }
            validate(p.schema(), args);
        });
    }

    /** The input is the arguments, validated against each of {@link #SCHEMAS}. */
    @FuzzTest(maxDuration = "30s")
    void arguments(byte[] input) {
        String args = new String(input, StandardCharsets.UTF_8);
        FuzzBounds.check("validate", () -> SCHEMAS.forEach(s -> validate(s, args)));
    }

    private static void validate(JsonSchema schema, String json) {
        Map<String, Object> arguments;
        try {
            arguments = MAPPER.readValue(json, MAP);
        } catch (JsonProcessingException notAnObject) {
            return; // the HTTP and MCP layers refuse these before the registry
        }
        if (arguments == null) {
            return;
        }
        List<String> violations;
        try {
            violations = COMPILER.validate(schema, arguments);
        } catch (IllegalArgumentException e) {
            if (!SchemaCompiler.ENDLESS.equals(e.getMessage())) {
                throw new AssertionError("validation failed with an undeclared error", e);
            }
            return; // the registry answers such a call as the tool's failure
        }
        for (String v : violations) {
            if (v == null || v.isBlank()) {
                throw new AssertionError("a blank violation for " + json);
            }
        }
    }
}
