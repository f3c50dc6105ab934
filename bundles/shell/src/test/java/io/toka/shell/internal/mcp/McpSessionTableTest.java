package io.toka.shell.internal.mcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.toka.mcp.McpSessionInfo;
import io.toka.mcp.McpSessions;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

class McpSessionTableTest {

    static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");

    /** Sessions in memory; close removes one. */
    static final class FakeSessions implements McpSessions {
        final List<McpSessionInfo> sessions = new CopyOnWriteArrayList<>();
        final List<String> closeCalls = new ArrayList<>();

        @Override
        public List<McpSessionInfo> list() {
            return List.copyOf(sessions);
        }

        @Override
        public boolean close(String sessionId) {
            closeCalls.add(sessionId);
            return sessions.removeIf(s -> s.id().equals(sessionId));
        }
    }

    final FakeSessions sessions = new FakeSessions();
    final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    final PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);

    @Test
    void listsEverySessionOldestFirstWithAgeIdleAndStreams() {
        sessions.sessions.add(new McpSessionInfo("b2f0c7aa-newer", "agent-7", "2026-07-28", NOW.minusSeconds(42),
                NOW.minusSeconds(3), 0, null));
        sessions.sessions.add(new McpSessionInfo("a1e9d3bb-older", "admin", "2025-11-25", NOW.minusSeconds(2 * 3600 + 420),
                NOW.minusSeconds(754), 2, "claude-ai"));
        McpSessionTable.print(sessions, NOW, out);
        List<String> lines = bytes.toString(StandardCharsets.UTF_8).lines().toList();
        assertThat(lines.get(0)).contains("Id").contains("Subject").contains("Protocol").contains("Client")
                .contains("Age").contains("Idle").contains("Streams");
        String older = lines.stream().filter(l -> l.contains("a1e9d3bb-older")).findFirst().orElseThrow();
        String newer = lines.stream().filter(l -> l.contains("b2f0c7aa-newer")).findFirst().orElseThrow();
        assertThat(lines.indexOf(older)).isLessThan(lines.indexOf(newer));
        assertThat(older).contains("admin").contains("2025-11-25").contains("claude-ai").contains("2h07m")
                .contains("12m34s").contains("2");
        assertThat(newer).contains("agent-7").contains("2026-07-28").contains(" - ").contains("42s").contains("3s");
    }

    @Test
    void saysSoWhenThereAreNoSessions() {
        McpSessionTable.print(sessions, NOW, out);
        assertThat(bytes.toString(StandardCharsets.UTF_8)).isEqualTo("No MCP sessions." + System.lineSeparator());
    }

    @Test
    void closesASessionByIdOrByAUniqueStart() {
        sessions.sessions.add(new McpSessionInfo("a1e9d3bb-1", "admin", "2025-11-25", NOW, NOW, 1, "c"));
        sessions.sessions.add(new McpSessionInfo("a1e9d3bb-2", "admin", "2025-11-25", NOW, NOW, 1, "c"));
        sessions.sessions.add(new McpSessionInfo("ffee0011-3", "admin", "2025-11-25", NOW, NOW, 1, "c"));
        McpSessionTable.close(sessions, "a1e9d3bb-2", out);
        assertThat(bytes.toString(StandardCharsets.UTF_8)).contains("Ended MCP session a1e9d3bb-2.");
        McpSessionTable.close(sessions, "ffee", out);
        assertThat(bytes.toString(StandardCharsets.UTF_8)).contains("Ended MCP session ffee0011-3.");
        assertThat(sessions.list()).extracting(McpSessionInfo::id).containsExactly("a1e9d3bb-1");
    }

    @Test
    void anUnknownOrAmbiguousIdIsAClearError() {
        sessions.sessions.add(new McpSessionInfo("a1e9d3bb-1", "admin", "2025-11-25", NOW, NOW, 1, "c"));
        sessions.sessions.add(new McpSessionInfo("a1e9d3bb-2", "admin", "2025-11-25", NOW, NOW, 1, "c"));
        assertThatThrownBy(() -> McpSessionTable.close(sessions, "nope-1234", out))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("no MCP session 'nope-1234' (it may have ended already); toka:mcp-sessions lists the "
                        + "sessions");
        assertThatThrownBy(() -> McpSessionTable.close(sessions, "a1e9", out))
                .hasMessageContaining("is the start of 2 MCP sessions").hasMessageContaining("a1e9d3bb-1");
        assertThatThrownBy(() -> McpSessionTable.close(sessions, "a1e", out)).as("too short to be a prefix")
                .hasMessageContaining("no MCP session 'a1e'");
        assertThatThrownBy(() -> McpSessionTable.close(sessions, "  ", out)).hasMessageContaining("give the id");
        assertThat(sessions.list()).hasSize(2);
        assertThat(bytes.size()).isZero();
    }

    @Test
    void durationsAreCompact() {
        assertThat(McpSessionTable.since(NOW.minusSeconds(59), NOW)).isEqualTo("59s");
        assertThat(McpSessionTable.since(NOW.minusSeconds(60), NOW)).isEqualTo("1m00s");
        assertThat(McpSessionTable.since(NOW.minusSeconds(3 * 86_400 + 5 * 3600), NOW)).isEqualTo("3d05h");
        assertThat(McpSessionTable.since(NOW.plusSeconds(5), NOW)).as("a clock step back").isEqualTo("0s");
        assertThat(McpSessionTable.since(null, NOW)).isEqualTo("-");
    }
}
