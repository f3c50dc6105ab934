package io.toka.mcp.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.toka.security.SecurityContext;
import io.toka.security.TokenStateException;
import io.toka.security.testing.TestTokens;
import io.toka.tool.ToolResult;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The per-token tool views: cached per permission list and registry generation, never for an unusable token. */
class ToolCatalogTest {

    @TempDir
    Path dir;

    @Test
    void aViewIsComputedOncePerPermissionListAndGeneration() {
        TestTokens tokens = new TestTokens(dir);
        FakeRegistry registry = new FakeRegistry();
        for (int i = 0; i < 200; i++) {
            registry.tool(FakeRegistry.describe(String.format("tool-%03d", i)).build(), (a, o) -> ToolResult.success(""));
        }
        ToolCatalog catalog = new ToolCatalog(registry);
        SecurityContext a = tokens.caller("a", "tool:invoke:*");
        SecurityContext b = tokens.caller("b", "tool:invoke:*");
        ToolCatalog.View first = catalog.view(a);
        assertThat(first.tools()).hasSize(200);
        assertThat(catalog.view(b)).as("same permissions, same view").isSameAs(first);
        assertThat(catalog.view(tokens.caller("c", "tool:invoke:tool-000")).tools()).hasSize(1);

        registry.tool(FakeRegistry.describe("tool-200").build(), (x, o) -> ToolResult.success(""));
        catalog.invalidate();
        ToolCatalog.View second = catalog.view(a);
        assertThat(second).isNotSameAs(first);
        assertThat(second.tools()).hasSize(201);
        assertThat(second.tools().get(0)).as("renderings are reused across generations")
                .isSameAs(first.tools().get(0));
        assertThat(second.find("tool-150").name()).isEqualTo("tool-150");
        assertThat(second.find("tool-1500")).isNull();
    }

    @Test
    void renderingsOfRemovedToolsAreDropped() {
        TestTokens tokens = new TestTokens(dir);
        FakeRegistry registry = new FakeRegistry();
        ToolCatalog catalog = new ToolCatalog(registry);
        registry.listeners.add(names -> catalog.invalidate());
        registry.tool(FakeRegistry.describe("stays").build(), (a, o) -> ToolResult.success(""));
        SecurityContext all = tokens.caller("a", "tool:invoke:*");
        for (int cycle = 0; cycle < 50; cycle++) {
            String name = "deployed-" + cycle;
            registry.tool(FakeRegistry.describe(name).build(), (a, o) -> ToolResult.success(""));
            assertThat(catalog.view(all).find(name)).isNotNull();
            registry.remove(name);
            assertThat(catalog.view(all).find(name)).isNull();
        }
        assertThat(catalog.renderedCount()).as("only the tool still deployed is kept").isEqualTo(1);
    }

    @Test
    void aRevokedTokenGetsNoViewAndPoisonsNoCache() {
        TestTokens tokens = new TestTokens(dir);
        FakeRegistry registry = new FakeRegistry();
        registry.tool(FakeRegistry.describe("x").build(), (a, o) -> ToolResult.success(""));
        ToolCatalog catalog = new ToolCatalog(registry);
        String token = tokens.issue("gone", "tool:invoke:*");
        SecurityContext gone;
        try {
            gone = tokens.service().authenticate(token);
        } catch (io.toka.security.AuthenticationException e) {
            throw new AssertionError(e);
        }
        tokens.revoke(TransportTest.jti(token));
        assertThatThrownBy(() -> catalog.view(gone)).isInstanceOf(TokenStateException.class);
        assertThat(catalog.view(tokens.caller("live", "tool:invoke:*")).tools()).hasSize(1);
    }
}
