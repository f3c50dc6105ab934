package io.toka.orchestration.internal.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.toka.orchestration.AgentConfig;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The small parts: verdict parsing, capability names, durations and backoff. */
class AgentPartsTest {

    @Test
    void theLastObjectWithAVerdictCounts() {
        Verdict v = Verdict.parse("{\"verdict\":\"failure\",\"summary\":\"old\"} then\n```json\n"
                + "{\"verdict\":\"success\",\"summary\":\"new\",\"more\":{\"x\":[1,2]}}\n```");
        assertThat(v).isEqualTo(new Verdict(true, "new", true));
        assertThat(Verdict.parse("{\"verdict\":\"maybe\"}").summary()).contains("'maybe'");
        assertThat(Verdict.parse("no json { at all").present()).isFalse();
        assertThat(Verdict.parse("").success()).isFalse();
    }

    @Test
    void capabilitiesBecomePermissions() {
        assertThat(AgentPermissions.capabilities(List.of("filesystem-read", "filesystem:write", "build-system-x",
                "analysis", " filesystem-read "))).containsExactly("filesystem:read", "filesystem:write",
                        "build:system-x", "analysis");
        assertThat(AgentPermissions.implies("filesystem", "filesystem:read")).isTrue();
        assertThat(AgentPermissions.implies("filesystem:*", "filesystem:read")).isTrue();
        assertThat(AgentPermissions.implies("filesystem:read,write", "filesystem:write")).isTrue();
        assertThat(AgentPermissions.implies("filesystem:read", "filesystem:write")).isFalse();
        assertThat(AgentPermissions.implies("filesystem:read", "filesystem")).isFalse();
    }

    @Test
    void durationsParseAndMemoryAndCpuAreReportedAsNotEnforced() {
        assertThat(ResourceLimits.parseDuration("2h")).isEqualTo(Duration.ofHours(2));
        assertThat(ResourceLimits.parseDuration("30m")).isEqualTo(Duration.ofMinutes(30));
        assertThat(ResourceLimits.parseDuration("500ms")).isEqualTo(Duration.ofMillis(500));
        assertThat(ResourceLimits.parseDuration("45")).isEqualTo(Duration.ofSeconds(45));
        assertThatThrownBy(() -> ResourceLimits.parseDuration("two hours"))
                .hasMessage("security.timeout 'two hours' is not a duration: use a whole number with ms, s, m, h or d,"
                        + " e.g. 500ms, 30m, 2h");
        ResourceLimits l = ResourceLimits.of(new AgentConfig.Security(true, List.of("a"), "1GB", "50%", "5m"));
        assertThat(l.describe()).isEqualTo("timeout 5m enforced; max_memory 1GB and max_cpu 50% not enforced: "
                + "the agent runs in the JVM; its tools run under their own limits");
    }

    @Test
    void backoffDoublesFromTheBaseUpToTheMaximum() {
        Settings s = Settings.of(AgentFixture.config(10, 1000, 60_000, 3));
        assertThat(List.of(s.backoffMillis(1), s.backoffMillis(2), s.backoffMillis(3), s.backoffMillis(7),
                s.backoffMillis(8))).containsExactly(1000L, 2000L, 4000L, 60_000L, 60_000L);
        assertThatThrownBy(() -> Settings.of(AgentFixture.config(0, 1000, 60_000, 3)))
                .hasMessage("maxConcurrentAgents must be positive, not 0");
    }
}
