package io.toka.mcp.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The configuration's checks, and the Origin/Host allow-list. */
class SettingsTest {

    @Test
    void theDefaultsServeEveryRevisionAtSlashMcp() {
        McpSettings s = McpSettings.from(Mcp.config(Map.of()));
        assertThat(s.enabled()).isTrue();
        assertThat(s.path()).isEqualTo("/mcp");
        assertThat(s.versions()).containsExactlyInAnyOrder(Revision.values());
        assertThat(s.allowedOrigins()).containsExactly("localhost", "127.0.0.1", "[::1]");
        assertThat(s.sessionIdle()).isEqualTo(Duration.ofMinutes(30));
        assertThat(s.pageSize()).isEqualTo(100);
        assertThat(s.maxBodyBytes()).isEqualTo(4 * 1024 * 1024);
    }

    @Test
    void aCommaSeparatedCfgValueIsSplit() {
        McpSettings s = McpSettings.from(Mcp.config(Map.of("protocolVersions", new String[] {"2025-11-25, 2026-07-28"},
                "allowedOrigins", new String[] {"localhost,toka.example:443"})));
        assertThat(s.versions()).containsExactlyInAnyOrder(Revision.V2025_11_25, Revision.V2026_07_28);
        assertThat(s.allowedOrigins()).containsExactly("localhost", "toka.example:443");
    }

    @Test
    void badValuesAreRefusedNamingTheAttribute() {
        assertThatThrownBy(() -> McpSettings.from(Mcp.config(Map.of("path", "/mcp/*"))))
                .hasMessageContaining("path '/mcp/*'");
        assertThatThrownBy(() -> McpSettings.from(Mcp.config(Map.of("path", "/")))).hasMessageContaining("path");
        assertThatThrownBy(() -> McpSettings.from(Mcp.config(Map.of("path", "mcp")))).hasMessageContaining("path");
        assertThatThrownBy(() -> McpSettings.from(Mcp.config(Map.of("protocolVersions", new String[] {"2024-11-05"}))))
                .hasMessageContaining("'2024-11-05'");
        assertThatThrownBy(() -> McpSettings.from(Mcp.config(Map.of("protocolVersions", new String[] {" "}))))
                .hasMessageContaining("protocolVersions is empty");
        assertThatThrownBy(() -> McpSettings.from(Mcp.config(Map.of("pageSize", 0)))).hasMessageContaining("pageSize");
        assertThatThrownBy(() -> McpSettings.from(Mcp.config(Map.of("maxBodyBytes", 10))))
                .hasMessageContaining("maxBodyBytes");
        assertThatThrownBy(() -> McpSettings.from(Mcp.config(Map.of("sessionIdleMinutes", 0))))
                .hasMessageContaining("sessionIdleMinutes");
        assertThatThrownBy(() -> McpSettings.from(Mcp.config(Map.of("allowedOrigins", new String[] {"exa mple"}))))
                .hasMessageContaining("'exa mple'");
    }

    private static boolean allows(List<String> allowed, String host, String origin) {
        FakeRequest req = new FakeRequest("POST", "/mcp").header("Host", host).header("Origin", origin);
        return new OriginGuard(allowed).allows(req);
    }

    @Test
    void theGuardMatchesHostsPortsAndIpv6() {
        List<String> loopback = List.of("localhost", "127.0.0.1", "[::1]");
        assertThat(allows(loopback, "localhost:8181", null)).isTrue();
        assertThat(allows(loopback, "[::1]:8181", "http://[::1]:5173")).isTrue();
        assertThat(allows(loopback, "LOCALHOST", "HTTP://LocalHost:3000")).isTrue();
        assertThat(allows(loopback, "127.0.0.2:8181", null)).isFalse();
        assertThat(allows(loopback, "localhost:8181", "https://127.0.0.1.nip.io")).isFalse();
        assertThat(allows(loopback, "localhost:8181", "not a url")).isFalse();
        assertThat(allows(loopback, null, null)).as("no Host header").isFalse();

        List<String> onePort = List.of("https://toka.example:8443", "localhost");
        assertThat(allows(onePort, "toka.example:8443", "https://toka.example:8443")).isTrue();
        assertThat(allows(onePort, "toka.example:9999", null)).isFalse();
        assertThat(allows(List.of("*"), "anything.example", "http://other.example")).isTrue();
    }
}
