package io.toka.metrics.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.io.IOException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.event.Event;
import org.osgi.service.event.EventConstants;
import org.osgi.service.event.EventHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Meters read off the kernel's events: nothing is added to the code that makes a tool call, runs code or an agent,
 * or authenticates. Every tool call, from any entry point, is a {@code tool.invoked} event; executions are
 * {@code code.executed}; agent runs and their tasks post {@code agent.*} and {@code task.*}; every security decision
 * is an {@code audit.recorded} event.
 *
 * <p>The events arrive through OSGi EventAdmin, from the kernel's bridge ({@code toka/event/...} topics), which
 * already delivers every event synchronously on its own thread (Karaf's event collector listens to every topic):
 * this handler is called on that thread, so it adds no thread hand-off per event. It must be named in
 * {@code org.apache.felix.eventadmin.IgnoreTimeout} (etc/org.apache.felix.eventadmin.impl.EventAdmin.cfg), or
 * EventAdmin would run it on a pool thread under a timeout. Counts follow the events that were stored: a call is
 * counted once its event is committed.
 */
@Component(immediate = true, property = {
    EventConstants.EVENT_TOPIC + "=toka/event/tool/invoked",
    EventConstants.EVENT_TOPIC + "=toka/event/code/executed",
    EventConstants.EVENT_TOPIC + "=toka/event/agent/*",
    EventConstants.EVENT_TOPIC + "=toka/event/task/*",
    EventConstants.EVENT_TOPIC + "=toka/event/audit/recorded"})
public final class EventMeters implements EventHandler {

    /** The latency buckets of tool calls, code executions and agent tasks: 1 ms to 5 min. */
    static final Duration[] BUCKETS = {
        Duration.ofMillis(1), Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(25),
        Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500),
        Duration.ofSeconds(1), Duration.ofMillis(2500), Duration.ofSeconds(5), Duration.ofSeconds(10),
        Duration.ofSeconds(30), Duration.ofSeconds(60), Duration.ofSeconds(120), Duration.ofSeconds(300)};

    private static final Logger LOG = LoggerFactory.getLogger(EventMeters.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final MeterRegistry meters;
    private final LabelGuard tools = new LabelGuard(500);
    private final LabelGuard languages = new LabelGuard(50);
    /** Meters by label values; used only on the bridge's delivery thread (EventAdmin delivers in order). */
    private final Map<String, Counter> counters = new HashMap<>();
    private final Map<String, Timer> timers = new HashMap<>();
    private final Counter authFailures;
    private final Counter denials;
    private final Counter agentsStarted;

    @Activate
    public EventMeters(@Reference MetricsRegistry registry) {
        this(registry.meters());
    }

    EventMeters(MeterRegistry meters) {
        this.meters = meters;
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
    }

    @Override
    public void handleEvent(Event event) {
        if (event.getProperty("kind") instanceof String kind && event.getProperty("payload") instanceof String payload) {
            meter(kind, payload);
        }
    }

    /** Meters one Toka event, given its kind and its payload (canonical JSON). */
    synchronized void meter(String kind, String payload) {
        try {
            switch (kind) {
                case "tool.invoked" -> toolInvoked(JSON.readTree(payload));
                case "code.executed" -> codeExecuted(JSON.readTree(payload));
                case "agent.spawned" -> agentsStarted.increment();
                case "agent.terminated" -> counter("toka.agent.runs.finished", null, "outcome",
                        JSON.readTree(payload).path("exitCode").asInt(1) == 0 ? "success" : "failure")
                        .increment();
                case "task.completed" -> {
                    counter("toka.agent.tasks", null, "outcome", "completed").increment();
                    timer("toka.agent.task.duration", "Agent task wall time", null, null)
                            .record(JSON.readTree(payload).path("durationMs").asLong(0), TimeUnit.MILLISECONDS);
                }
                case "task.failed" -> counter("toka.agent.tasks", null, "outcome", "failed").increment();
                case "task.timeout" -> counter("toka.agent.tasks", null, "outcome", "timeout").increment();
                case "audit.recorded" -> audit(payload);
                default -> {
                    // not metered
                }
            }
        } catch (IOException | RuntimeException ex) {
            LOG.debug("An event of kind {} could not be metered: {}", kind, ex.toString());
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
