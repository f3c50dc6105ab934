package io.toka.mcp.stdio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class OptionsTest {

    @Test
    void defaultsAndEnvironment() throws Exception {
        Options o = Options.parse(new String[0], Map.of());
        assertThat(o.url()).hasToString("http://127.0.0.1:8181/mcp");
        assertThat(o.maxConcurrent()).isEqualTo(16);
        assertThat(Options.parse(new String[0], Map.of("TOKA_MCP_URL", "https://toka.example/mcp")).url())
                .hasToString("https://toka.example/mcp");
        Options set = Options.parse(new String[] {"--url=http://localhost:9/mcp", "--token-file", "/t",
                "--max-concurrent", "4", "--shutdown-grace=0", "-v"}, Map.of());
        assertThat(set.url()).hasToString("http://localhost:9/mcp");
        assertThat(set.tokenFile()).isEqualTo(Path.of("/t"));
        assertThat(set.maxConcurrent()).isEqualTo(4);
        assertThat(set.shutdownGrace()).isZero();
        assertThat(set.verbose()).isTrue();
        assertThat(set.isCleartextToRemoteHost()).isFalse();
        assertThat(Options.parse(new String[] {"--url", "http://10.0.0.2:8181/mcp"}, Map.of())
                .isCleartextToRemoteHost()).isTrue();
    }

    @Test
    void badCommandLinesAreRefusedWithTheReason() {
        assertThatThrownBy(() -> Options.parse(new String[] {"--url", "ftp://x/mcp"}, Map.of()))
                .hasMessageContaining("http:// or https://");
        assertThatThrownBy(() -> Options.parse(new String[] {"--url", "http://user:pw@h/mcp"}, Map.of()))
                .hasMessageContaining("user name or password");
        assertThatThrownBy(() -> Options.parse(new String[] {"--max-concurrent", "0"}, Map.of()))
                .hasMessageContaining("from 1 to 256, not '0'");
        assertThatThrownBy(() -> Options.parse(new String[] {"--url"}, Map.of())).hasMessageContaining("needs a value");
        assertThatThrownBy(() -> Options.parse(new String[] {"extra"}, Map.of()))
                .hasMessageContaining("unexpected argument 'extra'");
        assertThatThrownBy(() -> Options.parse(new String[] {"eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln"}, Map.of()))
                .hasMessageContaining("not shown").hasMessageNotContaining("eyJ");
        assertThatThrownBy(() -> Options.parse(new String[] {"--tokn=eyJhbGciOiJFUzI1NiJ9"}, Map.of()))
                .hasMessageContaining("unknown option --tokn ").hasMessageNotContaining("eyJ");
    }

    @Test
    void aTokenOptionIsRefusedBeforeAnythingElseWithoutEchoingIt() {
        for (String[] args : new String[][] {{"--token", "abc123"}, {"--token=abc123"}, {"--bogus", "--token", "abc123"},
                {"--api-key=abc123"}}) {
            assertThatThrownBy(() -> Options.parse(args, Map.of()))
                    .hasMessageStartingWith("refusing --token").hasMessageNotContaining("abc123");
        }
    }
}
