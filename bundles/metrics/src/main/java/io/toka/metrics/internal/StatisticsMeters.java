package io.toka.metrics.internal;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.toka.event.EventStore;
import io.toka.kernel.Kernel;
import io.toka.llm.LlmGateway;
import io.toka.orchestration.AgentService;
import io.toka.orchestration.AgentStatus;
import io.toka.sandbox.SandboxLauncher;
import io.toka.security.RateLimiter;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Function;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;

/**
 * Meters read, just before each scrape, from the statistics Toka's services keep anyway: the kernel's event-store
 * appends and its queue of posted events, the sandbox's runs and limit hits, the rate limiter's refusals, the LLM
 * gateway's calls, tokens and response time, the agents' current states and the store's size. Reading costs those
 * services nothing between scrapes. Every service is optional: while one is absent its meters keep their values (a
 * counter never goes backwards), and its gauges read {@code NaN}.
 */
@Component(immediate = true, service = {})
public final class StatisticsMeters {

    /** How long a counted store size is reused: counting a large SQLite store reads its whole id index. */
    static final long STORE_COUNT_TTL_NANOS = 30_000_000_000L;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    volatile Kernel kernel;
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    volatile SandboxLauncher sandbox;
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    volatile RateLimiter rateLimiter;
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    volatile LlmGateway llm;
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    volatile AgentService agents;
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    volatile EventStore store;

    private final MetricsRegistry registry;
    private final MeterRegistry meters;
    private final Runnable hook = this::refresh;

    private final Cumulative storedEvents;
    private final Cumulative appends;
    private final Cumulative appendSeconds;
    private final Cumulative appendFailures;
    private final Cumulative sandboxRuns;
    private final Cumulative sandboxFailures;
    private final Cumulative sandboxRefused;
    private final Map<String, Cumulative> limitHits = new HashMap<>();
    private final Cumulative refusedRequests;
    private final Cumulative refusedCalls;
    /** LLM meters by provider name, then by figure; the gateway's totals last read, by figure. */
    private final Map<String, Map<String, Counter>> llmMeters = new HashMap<>();
    private final Map<String, Long> llmLast = new HashMap<>();
    private Object llmSource;
    private volatile LlmGateway.QueueStats queue;
    private volatile String queueProvider;
    private final java.util.Set<String> queueGauges = new java.util.HashSet<>();
    private final LabelGuard providers = new LabelGuard(10);

    private volatile double pending = Double.NaN;
    private volatile double lastSeq = Double.NaN;
    private volatile double storeSize = Double.NaN;
    private long storeCountedAt;
    private Object storeCounted;
    private volatile Map<AgentStatus.State, Integer> agentStates = Map.of();

    @Activate
    public StatisticsMeters(@Reference MetricsRegistry registry) {
        this(registry, registry.meters());
        registry.beforeScrape(hook);
    }

    /** For tests: nothing is hooked; call {@link #refresh()} before reading. */
    StatisticsMeters(MetricsRegistry registry, MeterRegistry meters) {
        this.registry = registry;
        this.meters = meters;
        storedEvents = counter("toka.event.store.events.appended", "Events appended to the event store");
        appends = counter("toka.event.store.appends", "Appends to the event store (a group commit is one append)");
        appendSeconds = new Cumulative(Counter.builder("toka.event.store.append.seconds")
                .description("Wall time spent appending to the event store; divide by appends for the mean")
                .baseUnit("seconds").register(meters), 1e-9);
        appendFailures = counter("toka.event.store.append.failures", "Appends that failed; their events are lost");
        Gauge.builder("toka.event.store.pending.events", () -> pending)
                .description("Events posted and not yet stored (the writer's queue): grows while the store stalls")
                .register(meters);
        Gauge.builder("toka.event.store.last.seq", () -> lastSeq)
                .description("The highest sequence number stored").register(meters);
        Gauge.builder("toka.event.store.size.events", () -> storeSize)
                .description("Events held by the store (counted at most every 30 s)").register(meters);
        sandboxRuns = counter("toka.sandbox.runs", "Programs run in the sandbox to an outcome");
        sandboxFailures = counter("toka.sandbox.run.failures",
                "Sandboxed runs that did not succeed (non-zero exit, timeout or a limit)");
        sandboxRefused = counter("toka.sandbox.runs.refused",
                "Sandboxed runs that never started (sandbox unavailable, bad request, launch failure)");
        for (String kind : new String[] {"timeout", "memory", "cpu", "file-size"}) {
            limitHit(kind);
        }
        refusedRequests = new Cumulative(Counter.builder("toka.ratelimit.refusals")
                .description("Requests and tool calls refused by a rate limit (HTTP 429)").tag("scope", "request")
                .register(meters));
        refusedCalls = new Cumulative(Counter.builder("toka.ratelimit.refusals")
                .description("Requests and tool calls refused by a rate limit (HTTP 429)").tag("scope", "tool-call")
                .register(meters));
        for (AgentStatus.State s : AgentStatus.State.values()) {
            Gauge.builder("toka.agent.runs", () -> agentRuns(s))
                    .description("Agents whose latest run is in each state").tag("state", s.name().toLowerCase())
                    .register(meters);
        }
    }

    @Deactivate
    void close() {
        registry.removeBeforeScrape(hook);
    }

    private Cumulative counter(String name, String description) {
        return new Cumulative(Counter.builder(name).description(description).register(meters));
    }

    private Cumulative limitHit(String kind) {
        return limitHits.computeIfAbsent(kind, k -> new Cumulative(Counter.builder("toka.sandbox.limit.hits")
                .description("Sandboxed runs ended by a limit, by kind").tag("kind", k).register(meters)));
    }

    private double agentRuns(AgentStatus.State s) {
        return agents == null ? Double.NaN : agentStates.getOrDefault(s, 0);
    }

    /** Reads every present source once. Synchronized: two scrapes at once read in turn. */
    synchronized void refresh() {
        Kernel k = kernel;
        if (k != null) {
            Kernel.StoreStatistics s = k.storeStatistics();
            storedEvents.update(k, s.events());
            appends.update(k, s.appends());
            appendSeconds.update(k, s.appendNanos());
            appendFailures.update(k, s.failures());
            pending = s.pending();
        } else {
            pending = Double.NaN;
        }
        refreshStore();
        SandboxLauncher sb = sandbox;
        if (sb != null) {
            SandboxLauncher.Statistics s = sb.statistics();
            sandboxRuns.update(sb, s.runs());
            sandboxFailures.update(sb, s.failures());
            sandboxRefused.update(sb, s.refused());
            s.limitHits().forEach((kind, n) -> limitHit(kind).update(sb, n));
        }
        RateLimiter rl = rateLimiter;
        if (rl != null) {
            RateLimiter.Refusals r = rl.refusals();
            refusedRequests.update(rl, r.requests());
            refusedCalls.update(rl, r.calls());
        }
        refreshLlm();
        AgentService as = agents;
        if (as != null) {
            Map<AgentStatus.State, Integer> states = new EnumMap<>(AgentStatus.State.class);
            for (AgentStatus st : as.statuses()) {
                states.merge(st.state(), 1, Integer::sum);
            }
            agentStates = states;
        }
    }

    private void refreshStore() {
        EventStore s = store;
        if (s == null) {
            lastSeq = Double.NaN;
            storeSize = Double.NaN;
            return;
        }
        lastSeq = s.lastSeq();
        long now = System.nanoTime();
        if (storeCounted != s || now - storeCountedAt > STORE_COUNT_TTL_NANOS) {
            storeSize = s.count();
            storeCounted = s;
            storeCountedAt = now;
        }
    }

    /**
     * The gateway keeps totals across providers; after a provider change (a configuration update) what the totals
     * grow by is counted under the new provider's label.
     */
    private void refreshLlm() {
        LlmGateway g = llm;
        if (g == null) {
            return;
        }
        if (g != llmSource) {
            llmSource = g;
            llmLast.clear();
        }
        String provider = providers.admit(g.provider().name());
        LlmGateway.Metrics m = g.metrics();
        Map<String, Counter> c = llmMeters.computeIfAbsent(provider, this::llmMeters);
        grow(c, "success", m.successes(), 1);
        grow(c, "failure", m.failures(), 1);
        grow(c, "rate-limited", m.rateLimited(), 1);
        grow(c, "retries", m.retries(), 1);
        grow(c, "input", m.inputTokens(), 1);
        grow(c, "output", m.outputTokens(), 1);
        // the mean is rounded to whole ms: mean x answered calls is the total to within one ms per call
        grow(c, "seconds", m.averageResponseMs() * m.successes(), 1e-3);
        refreshQueue(provider, g.queueStats());
    }

    /**
     * The provider's queue of model calls: waits per priority (counted calls and their total wait, for rates and
     * means; the recent p50, p99 and maximum as gauges), calls in flight and queued now, calls that left it.
     */
    private void refreshQueue(String provider, LlmGateway.QueueStats q) {
        if (q == null) {
            return;
        }
        queue = q;
        queueProvider = provider;
        Map<String, Counter> c = llmMeters.get(provider);
        grow(c, queueCounter(c, provider, "cancelled", null), q.cancelled(), 1);
        for (Map.Entry<io.toka.llm.LlmRequest.Priority, LlmGateway.Waits> e : q.priorities().entrySet()) {
            String priority = e.getKey().name().toLowerCase(java.util.Locale.ROOT);
            LlmGateway.Waits w = e.getValue();
            grow(c, queueCounter(c, provider, "granted", priority), w.granted(), 1);
            grow(c, queueCounter(c, provider, "wait", priority), Math.round(w.totalWaitMillis()), 1e-3);
            queueGauges(provider, priority);
        }
    }

    /** The figure key of a queue counter, registering the counter on first use. */
    private String queueCounter(Map<String, Counter> counters, String provider, String figure, String priority) {
        String key = "queue." + figure + (priority == null ? "" : "." + priority);
        counters.computeIfAbsent(key, k -> {
            Counter.Builder b = switch (figure) {
                case "cancelled" -> Counter.builder("toka.llm.queue.cancelled")
                        .description("Model calls that left the provider's queue without a slot");
                case "granted" -> Counter.builder("toka.llm.queue.granted")
                        .description("Model calls that got a slot of the provider's queue, by priority");
                default -> Counter.builder("toka.llm.queue.wait.seconds").baseUnit("seconds")
                        .description("Time model calls waited in the provider's queue, by priority; divide by"
                                + " granted for the mean");
            };
            b.tag("provider", provider);
            if (priority != null) {
                b.tag("priority", priority);
            }
            return b.register(meters);
        });
        return key;
    }

    private void queueGauges(String provider, String priority) {
        if (!queueGauges.add(provider + "/" + priority)) {
            return;
        }
        io.toka.llm.LlmRequest.Priority p = io.toka.llm.LlmRequest.Priority.valueOf(
                priority.toUpperCase(java.util.Locale.ROOT));
        java.util.function.BiConsumer<String, java.util.function.ToDoubleFunction<LlmGateway.Waits>> gauge =
                (name, read) -> Gauge.builder(name, () -> {
                    LlmGateway.QueueStats q = queue;
                    return q == null || !provider.equals(queueProvider) ? Double.NaN
                            : read.applyAsDouble(q.priorities().get(p));
                }).tag("provider", provider).tag("priority", priority).register(meters);
        gauge.accept("toka.llm.queue.queued", w -> w.queued());
        gauge.accept("toka.llm.queue.wait.p50.seconds", w -> w.p50Millis() / 1000);
        gauge.accept("toka.llm.queue.wait.p99.seconds", w -> w.p99Millis() / 1000);
        gauge.accept("toka.llm.queue.wait.max.seconds", w -> w.maxMillis() / 1000);
        if (queueGauges.add(provider)) {
            Gauge.builder("toka.llm.queue.in.flight", () -> {
                LlmGateway.QueueStats q = queue;
                return q == null || !provider.equals(queueProvider) ? Double.NaN : q.inFlight();
            }).description("Model calls holding a slot of the provider's queue now").tag("provider", provider)
                    .register(meters);
        }
    }

    private void grow(Map<String, Counter> counters, String figure, long total, double scale) {
        long last = llmLast.getOrDefault(figure, 0L);
        if (total > last) {
            counters.get(figure).increment((total - last) * scale);
            llmLast.put(figure, total);
        }
    }

    private Map<String, Counter> llmMeters(String provider) {
        Map<String, Counter> m = new HashMap<>();
        Function<String, Counter.Builder> requests = outcome -> Counter.builder("toka.llm.requests")
                .description("LLM calls, by provider and outcome").tag("provider", provider).tag("outcome", outcome);
        m.put("success", requests.apply("success").register(meters));
        m.put("failure", requests.apply("failure").register(meters));
        m.put("rate-limited", Counter.builder("toka.llm.rate.limited")
                .description("LLM calls refused by the per-agent rate limit (among the failures)")
                .tag("provider", provider).register(meters));
        m.put("retries", Counter.builder("toka.llm.retries")
                .description("LLM calls retried after a 429 or 5xx").tag("provider", provider).register(meters));
        Function<String, Counter.Builder> tokens = direction -> Counter.builder("toka.llm.tokens")
                .description("LLM tokens, by provider and direction").tag("provider", provider)
                .tag("direction", direction);
        m.put("input", tokens.apply("input").register(meters));
        m.put("output", tokens.apply("output").register(meters));
        m.put("seconds", Counter.builder("toka.llm.response.seconds")
                .description("Wall time of answered LLM calls, retries included; divide by the successes for the mean")
                .baseUnit("seconds").tag("provider", provider).register(meters));
        return m;
    }
}
