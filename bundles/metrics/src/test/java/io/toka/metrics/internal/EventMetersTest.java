package io.toka.metrics.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.toka.event.Event;
import io.toka.event.EventPayload;
import io.toka.event.Events;
import java.util.List;
import java.util.Map;
import org.hawkular.agent.prometheus.types.Histogram;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Events in, a scrape out, read back with a Prometheus text-format parser: the counts match the events. */
class EventMetersTest {

    /** The code.executed payload of the runtime (its record is internal there). */
    record CodeExecuted(String execution, String model, String target, String engine, String subject,
            boolean success, long durationMs, String codeSha256) implements EventPayload {
        @Override
        public String kind() {
            return "code.executed";
        }
    }

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private EventMeters meters;

    @BeforeEach
    void setUp() {
        meters = new EventMeters(registry);
    }

    /** As the kernel's bridge hands it over: an EventAdmin event with the kind and the payload. */
    private void post(EventPayload p) {
        Event e = Events.create(p, List.of());
        meters.handleEvent(new org.osgi.service.event.Event("toka/event/" + e.kind().replace('.', '/'),
                Map.of("kind", e.kind(), "payload", e.payload(), "id", e.id())));
    }

    private Scrapes scrape() {
        return new Scrapes(registry.scrape(MetricsRegistry.TEXT_FORMAT));
    }

    @Test
    void toolCallsAreCountedByToolAndOutcomeWithALatencyHistogram() {
        for (int i = 0; i < 7; i++) {
            post(new EventPayload.ToolInvoked("file-reader", "1.0.0", "alice", true, 3, "success"));
        }
        post(new EventPayload.ToolInvoked("file-reader", "1.0.0", "alice", false, 40, "failure"));
        post(new EventPayload.ToolInvoked("slow", "1.0.0", "bob", false, 30_000, "timeout"));
        post(new EventPayload.ToolInvoked("slow", "1.0.0", "bob", false, 2, "cancelled"));
        // an event stored before 1.2 has no outcome
        post(new EventPayload.ToolInvoked("old", "1.0.0", "bob", true, 1, null));

        Scrapes s = scrape();
        assertThat(s.value("toka_tool_calls_total", Map.of("tool", "file-reader", "outcome", "success"))).isEqualTo(7);
        assertThat(s.value("toka_tool_calls_total", Map.of("tool", "file-reader", "outcome", "failure"))).isEqualTo(1);
        assertThat(s.value("toka_tool_calls_total", Map.of("tool", "slow", "outcome", "timeout"))).isEqualTo(1);
        assertThat(s.value("toka_tool_calls_total", Map.of("tool", "slow", "outcome", "cancelled"))).isEqualTo(1);
        assertThat(s.value("toka_tool_calls_total", Map.of("tool", "old", "outcome", "success"))).isEqualTo(1);

        Histogram h = s.histogram("toka_tool_call_duration_seconds", Map.of("tool", "file-reader"));
        assertThat(h.getSampleCount()).isEqualTo(8);
        assertThat(h.getSampleSum()).isCloseTo(0.061, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(bucket(h, 0.005)).isEqualTo(7);
        assertThat(bucket(h, 0.05)).isEqualTo(8);
        Histogram slow = s.histogram("toka_tool_call_duration_seconds", Map.of("tool", "slow"));
        assertThat(bucket(slow, 10)).isEqualTo(1);
        assertThat(bucket(slow, 30)).isEqualTo(2);
    }

    private static long bucket(Histogram h, double le) {
        return h.getBuckets().stream().filter(b -> b.getUpperBound() == le).findFirst()
                .orElseThrow(() -> new AssertionError("no bucket le=" + le + " in " + h.getBuckets()))
                .getCumulativeCount();
    }

    @Test
    void codeExecutionsByLanguageAgentsTasksAuthFailuresAndDenials() {
        post(new CodeExecuted("1", "code", "python", "python", "alice", true, 12, "x"));
        post(new CodeExecuted("2", "code", "python", "python", "alice", false, 5, "y"));
        post(new CodeExecuted("3", "code", "javascript", "rhino", "alice", true, 1, "z"));
        post(new CodeExecuted("4", "tool", "file-reader", "tool", "alice", true, 1, null));
        post(new EventPayload.AgentSpawned("alice", "summarizer", "alice"));
        post(new EventPayload.AgentSpawned("alice", "other", "alice"));
        post(new EventPayload.TaskCompleted("summarizer", "read", "done", 1500));
        post(new EventPayload.TaskFailed("other", "read", "no"));
        post(new EventPayload.TaskTimeout("other", "read", 1000));
        post(new EventPayload.AgentTerminated("summarizer", "all 1 task(s) succeeded", 0));
        post(new EventPayload.AgentTerminated("other", "failed", 1));
        post(new EventPayload.AuditRecorded("authenticate", "failure", null, null, "bad signature"));
        post(new EventPayload.AuditRecorded("authenticate", "failure", "bob", "j1", "token revoked"));
        post(new EventPayload.AuditRecorded("authorize", "denied", "bob", "j1", "tool.invoke:x"));
        post(new EventPayload.AuditRecorded("authorize", "allowed", "bob", "j1", "tool.invoke:y"));
        post(new EventPayload.AuditRecorded("token.issue", "success", "admin", "j2", null));

        Scrapes s = scrape();
        assertThat(s.value("toka_code_executions_total", Map.of("language", "python", "outcome", "success")))
                .isEqualTo(1);
        assertThat(s.value("toka_code_executions_total", Map.of("language", "python", "outcome", "failure")))
                .isEqualTo(1);
        assertThat(s.value("toka_code_executions_total", Map.of("language", "javascript", "outcome", "success")))
                .isEqualTo(1);
        assertThat(s.family("toka_code_executions_total").getMetrics())
                .noneMatch(m -> "file-reader".equals(m.getLabels().get("language")));
        assertThat(s.histogram("toka_code_execution_duration_seconds", Map.of("language", "python"))
                .getSampleCount()).isEqualTo(2);
        assertThat(s.value("toka_agent_runs_started_total", Map.of())).isEqualTo(2);
        assertThat(s.value("toka_agent_runs_finished_total", Map.of("outcome", "success"))).isEqualTo(1);
        assertThat(s.value("toka_agent_runs_finished_total", Map.of("outcome", "failure"))).isEqualTo(1);
        assertThat(s.value("toka_agent_tasks_total", Map.of("outcome", "completed"))).isEqualTo(1);
        assertThat(s.value("toka_agent_tasks_total", Map.of("outcome", "failed"))).isEqualTo(1);
        assertThat(s.value("toka_agent_tasks_total", Map.of("outcome", "timeout"))).isEqualTo(1);
        assertThat(s.histogram("toka_agent_task_duration_seconds", Map.of()).getSampleSum()).isEqualTo(1.5);
        assertThat(s.value("toka_auth_failures_total", Map.of())).isEqualTo(2);
        assertThat(s.value("toka_authorization_denials_total", Map.of())).isEqualTo(1);
    }

    @Test
    void oddEventsAreSkipped() {
        meters.handleEvent(new org.osgi.service.event.Event("toka/event/tool/invoked",
                Map.of("kind", "tool.invoked", "payload", "not json")));
        meters.handleEvent(new org.osgi.service.event.Event("toka/event/tool/invoked", Map.of("kind", 42)));
        post(new EventPayload.ToolInvoked("t", "1", "s", true, 1, "success"));
        assertThat(scrape().value("toka_tool_calls_total", Map.of("tool", "t"))).isEqualTo(1);
    }

    @Test
    void toolNamesBeyondTheCapShareOneLabel() {
        LabelGuard g = new LabelGuard(2);
        assertThat(g.admit("a")).isEqualTo("a");
        assertThat(g.admit("b")).isEqualTo("b");
        assertThat(g.admit("c")).isEqualTo(LabelGuard.OTHER);
        assertThat(g.admit("a")).isEqualTo("a");
        assertThat(g.admit(null)).isEqualTo("unknown");
        assertThat(new LabelGuard(5).admit("x".repeat(300))).hasSize(LabelGuard.MAX_CHARS);
    }
}
