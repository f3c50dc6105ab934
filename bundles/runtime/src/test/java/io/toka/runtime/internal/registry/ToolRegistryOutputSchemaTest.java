package io.toka.runtime.internal.registry;

import static org.assertj.core.api.Assertions.assertThat;

import io.toka.runtime.registry.ToolCallResult;
import io.toka.runtime.registry.ToolCallResult.Status;
import io.toka.tool.Tool;
import io.toka.tool.ToolDescriptor;
import io.toka.tool.ToolInvocation;
import io.toka.tool.ToolResult;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Output schemas: successful structured results are checked against them; broken ones refuse the tool. */
class ToolRegistryOutputSchemaTest extends RegistryTestSupport {

    private static final String COUNT_SCHEMA = """
            {
              "type": "object",
              "properties": {
                "count": {"type": "integer", "minimum": 0},
                "names": {"type": "array", "items": {"type": "string"}}
              },
              "required": ["count"]
            }""";

    /** A value a test can point at: a record, converted by Jackson like any other structured value. */
    record Counted(int count, List<String> names) {
    }

    private TestTool returning(String name, String outputSchema, TestTool.Behaviour behaviour) {
        return new TestTool(ToolDescriptor.builder(name).outputSchema(outputSchema).build(), behaviour);
    }

    @Test
    void aStructuredValueThatMatchesIsASuccessAsItWas() throws Exception {
        registerTool(returning("counter", COUNT_SCHEMA,
                inv -> ToolResult.success("2 names", Map.of("count", 2, "names", List.of("a", "b")))));
        registerTool(returning("record", COUNT_SCHEMA,
                inv -> ToolResult.success("1 name", new Counted(1, List.of("x")))));
        startRegistry();

        ToolCallResult r = call("counter", Map.of());
        assertThat(r.status()).isEqualTo(Status.SUCCESS);
        assertThat(r.result().output()).isEqualTo("2 names");
        assertThat(r.result().structured()).isEqualTo(Map.of("count", 2, "names", List.of("a", "b")));
        assertThat(call("record", Map.of()).status()).as("any value Jackson can convert").isEqualTo(Status.SUCCESS);
    }

    @Test
    void aStructuredValueThatDoesNotMatchBecomesAFailureNamingTheFirstError() throws Exception {
        Map<String, Object> wrong = new LinkedHashMap<>();
        wrong.put("count", "two");
        wrong.put("names", List.of("a", 3));
        registerTool(returning("liar", COUNT_SCHEMA, inv -> ToolResult.success("two names", wrong)));
        registerTool(returning("forgetful", COUNT_SCHEMA, inv -> ToolResult.success("no count", Map.of("names", List.of()))));
        startRegistry();

        ToolCallResult r = call("liar", Map.of());
        assertThat(r.status()).isEqualTo(Status.FAILURE);
        assertThat(r.result().isSuccess()).isFalse();
        assertThat(r.result().output())
                .startsWith("the tool's result does not match its output schema: field 'count': ")
                .contains("integer")
                .doesNotContain("names[1]"); // only the first error
        assertThat(r.result().structured()).as("the bad value is not passed on").isNull();

        assertThat(call("forgetful", Map.of()).result().output())
                .startsWith("the tool's result does not match its output schema: ")
                .contains("count").contains("required");
    }

    @Test
    void aSuccessWithoutAStructuredValueIsAFailureWhenAnOutputSchemaExists() throws Exception {
        registerTool(returning("textonly", COUNT_SCHEMA, inv -> ToolResult.success("just text")));
        registerTool(TestTool.of("noschema", inv -> ToolResult.success("just text")));
        startRegistry();

        ToolCallResult r = call("textonly", Map.of());
        assertThat(r.status()).isEqualTo(Status.FAILURE);
        assertThat(r.result().output())
                .isEqualTo("the tool's result does not match its output schema: it has no structured value");
        assertThat(call("noschema", Map.of()).status()).as("without an output schema, text alone is fine")
                .isEqualTo(Status.SUCCESS);
    }

    @Test
    void aFailureIsNotCheckedAgainstTheOutputSchema() throws Exception {
        registerTool(returning("sad", COUNT_SCHEMA, inv -> ToolResult.failure("disk full", Map.of("errno", 28))));
        startRegistry();

        ToolCallResult r = call("sad", Map.of());
        assertThat(r.status()).isEqualTo(Status.FAILURE);
        assertThat(r.result().output()).isEqualTo("disk full");
        assertThat(r.result().structured()).isEqualTo(Map.of("errno", 28));
    }

    @Test
    void aStructuredValueJacksonCannotWriteIsAFailure() throws Exception {
        registerTool(returning("opaque", COUNT_SCHEMA, inv -> ToolResult.success("a thread", new Object())));
        startRegistry();

        ToolCallResult r = call("opaque", Map.of());
        assertThat(r.status()).isEqualTo(Status.FAILURE);
        assertThat(r.result().output()).startsWith("the tool's result does not match its output schema: ");
    }

    @Test
    void anOutputSchemaThatDoesNotCompileRefusesTheToolWithoutRunningIt() throws Exception {
        Map<String, String> schemas = new LinkedHashMap<>();
        schemas.put("not-json", "{\"type\": ");
        schemas.put("bad-keyword", "{\"type\": \"object\", \"properties\": 42}");
        schemas.put("not-an-object", "{\"type\": \"string\"}");
        schemas.put("no-type", "{\"properties\": {\"a\": {\"type\": \"string\"}}}");
        schemas.put("boolean", "true");
        AtomicInteger runs = new AtomicInteger();
        for (var e : schemas.entrySet()) {
            registerTool(returning(e.getKey(), e.getValue(), inv -> {
                runs.incrementAndGet();
                return ToolResult.success("ran", Map.of());
            }));
        }
        startRegistry();

        for (String name : schemas.keySet()) {
            ToolCallResult r = call(name, Map.of());
            assertThat(r.status()).as(name).isEqualTo(Status.FAILURE);
            assertThat(r.result().output()).as(name).startsWith("tool '" + name + "' has an invalid output schema: ");
        }
        assertThat(runs).as("a tool with a broken output schema never runs").hasValue(0);
        assertThat(call("not-json", Map.of()).result().output()).contains("not valid JSON");
        assertThat(call("bad-keyword", Map.of()).result().output()).contains("not a valid JSON Schema 2020-12");
        assertThat(call("not-an-object", Map.of()).result().output()).contains("\"type\": \"object\"");
        assertThat(registry.find("not-json")).as("still listed, like a bad input schema").isPresent();
    }

    @Test
    void theOutputSchemaIsCompiledOncePerService() throws Exception {
        AtomicInteger descriptorReads = new AtomicInteger();
        ToolDescriptor d = ToolDescriptor.builder("counted").outputSchema(COUNT_SCHEMA).build();
        register("counted", new Tool() {
            @Override
            public ToolDescriptor descriptor() {
                descriptorReads.incrementAndGet();
                return d;
            }

            @Override
            public ToolResult invoke(ToolInvocation invocation) {
                return ToolResult.success("ok", Map.of("count", 1));
            }
        });
        startRegistry();

        for (int i = 0; i < 5; i++) {
            assertThat(call("counted", Map.of()).isSuccess()).isTrue();
        }
        assertThat(descriptorReads).as("the descriptor (and its schemas) are prepared once").hasValue(1);
    }
}
