package io.toka.metrics.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.toka.event.Event;
import io.toka.event.EventBus;
import io.toka.event.EventSubscriber;
import java.io.IOException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Meters read off the kernel's events, on a subscription thread of their own: nothing is added to the code that
 * makes a tool call, runs code or an agent, or authenticates. Every tool call, from any entry point, is a
 * {@code tool.invoked} event; executions are {@code code.executed}; agent runs and their tasks post
 * {@code agent.*} and {@code task.*}; every security decision is an {@code audit.recorded} event.
 *
 * <p>Counts follow the events that were stored: a call is counted once its event is committed. If this subscriber
 * ever falls behind by more than its buffer, the events it missed are counted in
 * {@code toka_metrics_events_missed_total} (they are still in the store), so an undercount never goes unnoticed.
 */
@Component(immediate = true, service = {})
public final class EventMeters implements EventSubscriber {

    /** The latency buckets of tool calls, code executions and agent tasks: 1 ms to 5 min. */
    static final Duration[] BUCKETS = {
        Duration.ofMillis(1), Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(25),
        Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500),
        Duration.ofSeconds(1), Duration.ofMillis(2500), Duration.ofSeconds(5), Duration.ofSeconds(10),
        Duration.ofSeconds(30), Duration.ofSeconds(60), Duration.ofSeconds(120), Duration.ofSeconds(300)};
    /** Subscription buffer: about two seconds of events at the REST API's peak. */
    static final int CAPACITY = 16_384;

    private static final Logger LOG = LoggerFactory.getLogger(EventMeters.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final MeterRegistry meters;
    private final EventBus.Subscription subscription;
    private final LabelGuard tools = new LabelGuard(500);
    private final LabelGuard languages = new LabelGuard(50);
    /** Meters by label values; used only on the subscription thread. */
    private final Map<String, Counter> counters = new HashMap<>();
    private final Map<String, Timer> timers = new HashMap<>();
    private final Counter missed;
    private final Counter authFailures;
    private final Counter denials;
    private final Counter agentsStarted;

    @Activate
    public EventMeters(@Reference MetricsRegistry registry, @Reference EventBus bus) {
        this(registry.meters(), bus);
    }

    EventMeters(MeterRegistry meters, EventBus bus) {
        this.meters = meters;
        this.missed = Counter.builder("toka.metrics.events.missed")
                .description("Events the metrics did not see because they fell behind (the counts are that much low)")
                .register(meters);
        this.authFailures = Counter.builder("toka.auth.failures")
                .description("Refused authentications: missing, malformed, expired, revoked or forged tokens")
                .register(meters);
        this.denials = Counter.builder("toka.authorization.denials")
                .description("Actions refused because the caller lacked a permission").register(meters);
        this.agentsStarted = Counter.builder("toka.agent.runs.started").description("Agent runs started")
                .register(meters);
        for (String outcome : new String[] {"success", "failure"}) {
            counter("toka.agent.runs.finished", "Agent runs ended, by outcome (exit code 0 or not)", "outcome",
                    outcome);
        }
        for (String outcome : new String[] {"completed", "failed", "timeout"}) {
            counter("toka.agent.tasks", "Agent tasks ended, by outcome", "outcome", outcome);
        }
        this.subscription = bus.subscribe(this, CAPACITY);
    }

    @Deactivate
    void close() {
        subscription.close();
    }

    @Override
    public void onMissed(long count) {
        missed.increment(count);
    }

    @Override
    public void onEvent(Event e) {
        try {
            switch (e.kind()) {
                case "tool.invoked" -> toolInvoked(JSON.readTree(e.payload()));
                case "code.executed" -> codeExecuted(JSON.readTree(e.payload()));
                case "agent.spawned" -> agentsStarted.increment();
                case "agent.terminated" -> counter("toka.agent.runs.finished", null, "outcome",
                        JSON.readTree(e.payload()).path("exitCode").asInt(1) == 0 ? "success" : "failure")
                        .increment();
                case "task.completed" -> {
                    counter("toka.agent.tasks", null, "outcome", "completed").increment();
                    timer("toka.agent.task.duration", "Agent task wall time", null, null)
                            .record(JSON.readTree(e.payload()).path("durationMs").asLong(0), TimeUnit.MILLISECONDS);
                }
                case "task.failed" -> counter("toka.agent.tasks", null, "outcome", "failed").increment();
                case "task.timeout" -> counter("toka.agent.tasks", null, "outcome", "timeout").increment();
                case "audit.recorded" -> audit(e.payload());
                default -> {
                    // not metered
                }
            }
        } catch (IOException | RuntimeException ex) {
            LOG.debug("Event {} of kind {} could not be metered: {}", e.id(), e.kind(), ex.toString());
        }
    }

    private void toolInvoked(JsonNode p) {
        String tool = tools.admit(p.path("tool").asText(null));
        String outcome = outcome(p.path("outcome").asText(null), p.path("success").asBoolean(false));
        counter("toka.tool.calls", "Tool calls from every entry point, by tool and outcome", "tool", tool,
                "outcome", outcome).increment();
        timer("toka.tool.call.duration", "Tool call wall time (whole milliseconds, as in the tool.invoked event)",
                "tool", tool).record(p.path("durationMs").asLong(0), TimeUnit.MILLISECONDS);
    }

    private void codeExecuted(JsonNode p) {
        if (!"code".equals(p.path("model").asText())) {
            return; // tool and agent executions are metered as tool calls and agent runs
        }
        String language = languages.admit(p.path("target").asText(null));
        counter("toka.code.executions", "Code executions, by language and outcome", "language", language,
                "outcome", p.path("success").asBoolean(false) ? "success" : "failure").increment();
        timer("toka.code.execution.duration", "Code execution wall time", "language", language)
                .record(p.path("durationMs").asLong(0), TimeUnit.MILLISECONDS);
    }

    private void audit(String payload) {
        // the payload is canonical JSON; most audit records are allowed authorizations, which are not metered
        if (!payload.contains("\"outcome\":\"failure\"") && !payload.contains("\"outcome\":\"denied\"")) {
            return;
        }
        JsonNode p;
        try {
            p = JSON.readTree(payload);
        } catch (IOException e) {
            return;
        }
        String action = p.path("action").asText("");
        String outcome = p.path("outcome").asText("");
        if (action.equals("authenticate") && outcome.equals("failure")) {
            authFailures.increment();
        } else if (action.equals("authorize") && outcome.equals("denied")) {
            denials.increment();
        }
    }

    /** The tool.invoked outcome, normalised to success, failure, timeout or cancelled. */
    static String outcome(String given, boolean success) {
        if (given == null) {
            return success ? "success" : "failure";
        }
        return switch (given) {
            case "success", "failure", "timeout", "cancelled" -> given;
            default -> success ? "success" : "failure";
        };
    }

    private Counter counter(String name, String description, String... tags) {
        String key = name + '\u0000' + String.join("\u0000", tags);
        Counter c = counters.get(key);
        if (c == null) {
            c = Counter.builder(name).description(description).tags(tags).register(meters);
            counters.put(key, c);
        }
        return c;
    }

    /** A timer with the {@link #BUCKETS}, with one tag, or none when {@code key} is {@code null}. */
    private Timer timer(String name, String description, String key, String value) {
        String id = name + '\u0000' + value;
        Timer t = timers.get(id);
        if (t == null) {
            Timer.Builder b = Timer.builder(name).description(description).serviceLevelObjectives(BUCKETS)
                    .minimumExpectedValue(BUCKETS[0]).maximumExpectedValue(BUCKETS[BUCKETS.length - 1]);
            if (key != null) {
                b.tag(key, value);
            }
            t = b.register(meters);
            timers.put(id, t);
        }
        return t;
    }
}
