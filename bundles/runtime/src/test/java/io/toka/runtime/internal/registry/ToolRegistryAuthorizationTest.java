package io.toka.runtime.internal.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.toka.runtime.registry.ToolCallResult;
import io.toka.security.AccessDeniedException;
import io.toka.tool.ToolDescriptor;
import io.toka.tool.ToolResult;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The registry lets a call through only if the caller holds tool:invoke:&lt;name&gt; and the tool's own permissions. */
class ToolRegistryAuthorizationTest extends RegistryTestSupport {

    private TestTool reader() {
        return new TestTool(ToolDescriptor.builder("reader").requiredPermissions("filesystem:read").build(),
                inv -> ToolResult.success("read by " + inv.caller()));
    }

    @Test
    void aCallerWithBothPermissionsIsLetThroughAndTheToolSeesItsSubject() throws Exception {
        TestTool tool = reader();
        registerTool(tool);
        startRegistry();
        TestCaller caller = new TestCaller("agent-7", "tool:invoke:reader", "filesystem:read");

        ToolCallResult r = registry.invoke("reader", Map.of(), caller);

        assertThat(r.result().output()).isEqualTo("read by agent-7");
        assertThat(caller.decisions).containsExactly("allowed tool.invoke:reader");
    }

    @Test
    void withoutTheInvokePermissionTheToolNeverRuns() {
        TestTool tool = reader();
        registerTool(tool);
        startRegistry();
        TestCaller caller = new TestCaller("agent-7", "filesystem:read", "tool:invoke:other");

        assertThatThrownBy(() -> registry.invoke("reader", Map.of(), caller))
                .isInstanceOfSatisfying(AccessDeniedException.class,
                        e -> assertThat(e.permission()).isEqualTo("tool:invoke:reader"))
                .hasMessageContaining("tool:invoke:reader");
        assertThat(tool.invocations).isEmpty();
        assertThat(caller.decisions).containsExactly("denied tool.invoke:reader tool:invoke:reader");
    }

    @Test
    void theToolsRequiredPermissionsAreCheckedToo() {
        TestTool tool = reader();
        registerTool(tool);
        startRegistry();
        TestCaller caller = new TestCaller("agent-7", "tool:invoke:*");

        assertThatThrownBy(() -> registry.invoke("reader", Map.of(), caller))
                .isInstanceOfSatisfying(AccessDeniedException.class,
                        e -> assertThat(e.permission()).isEqualTo("filesystem:read"));
        assertThat(tool.invocations).isEmpty();
    }

    @Test
    void aDeniedCallDoesNotLeakAConcurrencySlot() throws Exception {
        registerTool(reader());
        startRegistry(config(1, 4, 0));
        TestCaller stranger = new TestCaller("x");
        for (int i = 0; i < 5; i++) {
            assertThatThrownBy(() -> registry.invoke("reader", Map.of(), stranger))
                    .isInstanceOf(AccessDeniedException.class);
        }
        TestCaller allowed = new TestCaller("y", "*");
        assertThat(registry.invoke("reader", Map.of(), allowed).isSuccess()).isTrue();
    }
}
