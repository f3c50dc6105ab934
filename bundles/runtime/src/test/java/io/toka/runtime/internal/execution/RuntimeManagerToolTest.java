package io.toka.runtime.internal.execution;

import io.toka.runtime.internal.registry.TestCaller;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.toka.runtime.execution.ExecutionException;
import io.toka.runtime.execution.ExecutionException.Reason;
import io.toka.runtime.execution.ExecutionModel;
import io.toka.runtime.execution.ExecutionRequest;
import io.toka.runtime.execution.ExecutionResult;
import io.toka.runtime.execution.ExecutionResult.ResourceUsage;
import io.toka.runtime.internal.registry.ToolRegistryImpl;
import io.toka.security.AccessDeniedException;
import io.toka.security.SecurityContext;
import io.toka.tool.Tool;
import io.toka.tool.ToolDescriptor;
import io.toka.tool.ToolInvocation;
import io.toka.tool.ToolResult;
import java.lang.annotation.Annotation;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Tool execution goes through the real registry, with its permission checks and schema validation. */
class RuntimeManagerToolTest extends ExecutionTestSupport {

    private static final String SCHEMA = """
            {"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"],
             "additionalProperties": false}""";

    private final List<ToolInvocation> invocations = new CopyOnWriteArrayList<>();
    private final RecordingKernel kernel = new RecordingKernel();

    @BeforeEach
    void startWithRegistry() {
        registerTool(ToolDescriptor.builder("shout").version("1.2.3").inputSchema(SCHEMA).build(),
                inv -> ToolResult.success(String.valueOf(inv.arguments().get("text")).toUpperCase()));
        registerTool(ToolDescriptor.builder("broken").version("0.1.0").build(),
                inv -> ToolResult.failure("the disk is full"));
        registerTool(ToolDescriptor.builder("secret").requiredPermissions("vault:read").build(),
                inv -> ToolResult.success("s3cr3t"));
        ToolRegistryImpl registry = new ToolRegistryImpl(framework.getBundleContext(), registryConfig());
        start(new TestConfig(), registry);
        manager.bindKernel(kernel);
    }

    private void registerTool(ToolDescriptor descriptor, java.util.function.Function<ToolInvocation, ToolResult> body) {
        Tool tool = new Tool() {
            @Override
            public ToolDescriptor descriptor() {
                return descriptor;
            }

            @Override
            public ToolResult invoke(ToolInvocation invocation) {
                invocations.add(invocation);
                return body.apply(invocation);
            }
        };
        framework.getBundleContext().registerService(Tool.class, tool,
                new Hashtable<>(Map.of(Tool.NAME, descriptor.name())));
    }

    private ExecutionResult tool(String name, Map<String, Object> args, SecurityContext caller) throws Exception {
        return manager.execute(new ExecutionRequest(new ExecutionModel.ToolExecution(name, args), caller, null));
    }

    @Test
    void aToolCallRunsThroughTheRegistryAndIsRecorded() throws Exception {
        ExecutionResult r = tool("shout", Map.of("text", "hi"), ANYONE);

        assertThat(r.success()).isTrue();
        assertThat(r.output()).isEqualTo("HI");
        assertThat(r.error()).isNull();
        assertThat(r.exitCode()).isNull();
        assertThat(r.engine()).isEqualTo("tool");
        assertThat(r.engineVersion()).isEqualTo("1.2.3");
        assertThat(r.resourceUsage()).isEqualTo(ResourceUsage.UNKNOWN);
        assertThat(invocations).singleElement().satisfies(inv -> assertThat(inv.caller()).isEqualTo("alice"));
        assertThat(manager.history(1).get(0)).satisfies(rec -> {
            assertThat(rec.model()).isEqualTo("tool");
            assertThat(rec.target()).isEqualTo("shout");
            assertThat(rec.codeSha256()).isNull();
            assertThat(rec.result()).isEqualTo(r);
        });
        assertThat(kernel.posted).singleElement().isInstanceOfSatisfying(CodeExecuted.class, e -> {
            assertThat(e.model()).isEqualTo("tool");
            assertThat(e.target()).isEqualTo("shout");
            assertThat(e.success()).isTrue();
        });
    }

    @Test
    void aFailingToolIsAFailedResultWithItsMessage() throws Exception {
        ExecutionResult r = tool("broken", Map.of(), ANYONE);
        assertThat(r.success()).isFalse();
        assertThat(r.error()).isEqualTo("the disk is full");
        assertThat(r.engineVersion()).isEqualTo("0.1.0");
        assertThat(manager.history(10)).hasSize(1);
    }

    @Test
    void theRegistrysPermissionChecksApply() {
        TestCaller shoutOnly = new TestCaller("bob", "tool:invoke:shout", "tool:invoke:secret");

        assertThatThrownBy(() -> tool("broken", Map.of(), shoutOnly)).isInstanceOf(AccessDeniedException.class)
                .hasMessageContaining("tool:invoke:broken");
        assertThatThrownBy(() -> tool("secret", Map.of(), shoutOnly)).isInstanceOf(AccessDeniedException.class)
                .hasMessageContaining("vault:read");
        assertThat(invocations).isEmpty();
        assertThat(manager.history(10)).isEmpty();
        assertThat(kernel.posted).isEmpty();
    }

    @Test
    void unknownToolsAndBadArgumentsAreInvalidRequests() {
        assertThatThrownBy(() -> tool("nope", Map.of(), ANYONE))
                .isInstanceOfSatisfying(ExecutionException.class, e -> assertThat(e.reason()).isEqualTo(Reason.INVALID))
                .hasMessage("unknown tool 'nope'");
        assertThatThrownBy(() -> tool("shout", Map.of("text", 5), ANYONE))
                .isInstanceOfSatisfying(ExecutionException.class, e -> assertThat(e.reason()).isEqualTo(Reason.INVALID))
                .hasMessageStartingWith("invalid arguments for tool 'shout'");
        assertThat(invocations).isEmpty();
    }

    private static ToolRegistryImpl.Config registryConfig() {
        return new ToolRegistryImpl.Config() {
            @Override
            public Class<? extends Annotation> annotationType() {
                return ToolRegistryImpl.Config.class;
            }

            @Override
            public int maxConcurrentCallsPerTool() {
                return 8;
            }

            @Override
            public int maxThreads() {
                return 8;
            }

            @Override
            public long swapWaitMillis() {
                return 0;
            }
        };
    }
}
