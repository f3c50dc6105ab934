package io.toka.tool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ToolDescriptorTest {

    @Test
    void buildsWithAllFields() {
        ToolDescriptor d = ToolDescriptor.builder("file-reader")
                .version("1.2.0")
                .description("Reads a file")
                .inputSchema("{\"type\":\"object\"}")
                .requiredPermissions(Set.of("filesystem:read"))
                .readOnly(true)
                .idempotent(true)
                .timeout(Duration.ofSeconds(5))
                .build();
        assertThat(d.name()).isEqualTo("file-reader");
        assertThat(d.version()).isEqualTo("1.2.0");
        assertThat(d.requiredPermissions()).containsExactly("filesystem:read");
        assertThat(d.readOnly()).isTrue();
        assertThat(d.destructive()).isFalse();
        assertThat(d.idempotent()).isTrue();
        assertThat(d.openWorld()).isFalse();
        assertThat(d.timeout()).isEqualTo(Duration.ofSeconds(5));
    }

    @Test
    void defaults() {
        ToolDescriptor d = ToolDescriptor.builder("x").build();
        assertThat(d.inputSchema()).isEqualTo(ToolDescriptor.ANY_OBJECT_SCHEMA);
        assertThat(d.timeout()).isEqualTo(ToolDescriptor.DEFAULT_TIMEOUT);
        assertThat(d.requiredPermissions()).isEmpty();
    }

    @Test
    void refusesBadNames() {
        for (String bad : new String[] {"", "-x", "X", "a_b", "a b", "a".repeat(65), null}) {
            assertThatThrownBy(() -> ToolDescriptor.builder(bad))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("invalid");
        }
        assertThat(ToolDescriptor.isValidName("a".repeat(64))).isTrue();
        assertThat(ToolDescriptor.isValidName("0-a")).isTrue();
    }

    @Test
    void refusesNonPositiveTimeout() {
        assertThatThrownBy(() -> ToolDescriptor.builder("x").timeout(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void permissionsAreImmutable() {
        ToolDescriptor d = ToolDescriptor.builder("x").requiredPermissions("a:b").build();
        assertThatThrownBy(() -> d.requiredPermissions().add("c"))
                .isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void resultsAndInvocations() throws ToolException {
        assertThat(ToolResult.success("ok").isSuccess()).isTrue();
        assertThat(ToolResult.success("ok", Map.of("a", 1)).structured()).isEqualTo(Map.of("a", 1));
        ToolResult f = ToolResult.failure("boom");
        assertThat(f.isSuccess()).isFalse();
        assertThat(f.output()).isEqualTo("boom");
        assertThat(f.structured()).isNull();

        ToolInvocation inv = ToolInvocation.of(Map.of("path", "a.txt", "flag", true), Duration.ofSeconds(1));
        assertThat(inv.caller()).isEqualTo(ToolInvocation.ANONYMOUS);
        assertThat(inv.stringArgument("path")).isEqualTo("a.txt");
        assertThat(inv.booleanArgument("flag", false)).isTrue();
        assertThat(inv.booleanArgument("missing", true)).isTrue();
        assertThatThrownBy(() -> inv.stringArgument("flag")).isInstanceOf(ToolException.class)
                .hasMessageContaining("'flag'");
        assertThatThrownBy(() -> inv.arguments().put("x", 1)).isInstanceOf(UnsupportedOperationException.class);
    }
}
