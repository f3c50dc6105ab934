package io.toka.metrics.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.toka.kernel.Kernel;
import io.toka.llm.LlmGateway;
import io.toka.sandbox.SandboxLauncher;
import io.toka.security.RateLimiter;
import java.lang.reflect.Proxy;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/** Statistics kept by other services become counters that never go backwards, read at scrape time. */
class StatisticsMetersTest {

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final StatisticsMeters meters = new StatisticsMeters(null, registry);

    private Scrapes scrape() {
        meters.refresh();
        return new Scrapes(registry.scrape(MetricsRegistry.TEXT_FORMAT));
    }

    /** A proxy of {@code type} whose method {@code name} answers {@code answer}. */
    @SuppressWarnings("unchecked")
    private static <T> T fake(Class<T> type, Map<String, Supplier<Object>> answers) {
        return (T) Proxy.newProxyInstance(StatisticsMetersTest.class.getClassLoader(), new Class<?>[] {type},
                (proxy, m, args) -> {
                    Supplier<Object> a = answers.get(m.getName());
                    if (a != null) {
                        return a.get();
                    }
                    return switch (m.getName()) {
                        case "hashCode" -> System.identityHashCode(proxy);
                        case "equals" -> proxy == args[0];
                        case "toString" -> type.getSimpleName();
                        default -> throw new UnsupportedOperationException(m.getName());
                    };
                });
    }

    @Test
    void kernelStoreFiguresAndARestartedKernelNeverMakeACounterGoBack() {
        long[] events = {10};
        meters.kernel = fake(Kernel.class, Map.of("storeStatistics",
                () -> new Kernel.StoreStatistics(events[0], 4, 2_000_000_000L, 1, 3)));
        Scrapes s = scrape();
        assertThat(s.value("toka_event_store_events_appended_total", Map.of())).isEqualTo(10);
        assertThat(s.value("toka_event_store_appends_total", Map.of())).isEqualTo(4);
        assertThat(s.value("toka_event_store_append_seconds_total", Map.of())).isEqualTo(2.0);
        assertThat(s.value("toka_event_store_append_failures_total", Map.of())).isEqualTo(1);
        assertThat(s.value("toka_event_store_pending_events", Map.of())).isEqualTo(3);

        events[0] = 15;
        assertThat(scrape().value("toka_event_store_events_appended_total", Map.of())).isEqualTo(15);
        // a new kernel starts from 0: what it reports is added, nothing is taken away
        meters.kernel = fake(Kernel.class, Map.of("storeStatistics",
                () -> new Kernel.StoreStatistics(2, 1, 0, 0, 0)));
        assertThat(scrape().value("toka_event_store_events_appended_total", Map.of())).isEqualTo(17);
        meters.kernel = null;
        Scrapes gone = scrape();
        assertThat(gone.value("toka_event_store_events_appended_total", Map.of())).isEqualTo(17);
        assertThat(gone.value("toka_event_store_pending_events", Map.of())).isNaN();
    }

    @Test
    void sandboxRunsLimitHitsByKindAndRateLimitRefusals() {
        meters.sandbox = fake(SandboxLauncher.class, Map.of("statistics",
                () -> new SandboxLauncher.Statistics(9, 4, 2, Map.of("memory", 3L, "timeout", 1L))));
        meters.rateLimiter = fake(RateLimiter.class, Map.of("refusals", () -> new RateLimiter.Refusals(5, 6)));
        Scrapes s = scrape();
        assertThat(s.value("toka_sandbox_runs_total", Map.of())).isEqualTo(9);
        assertThat(s.value("toka_sandbox_run_failures_total", Map.of())).isEqualTo(4);
        assertThat(s.value("toka_sandbox_runs_refused_total", Map.of())).isEqualTo(2);
        assertThat(s.value("toka_sandbox_limit_hits_total", Map.of("kind", "memory"))).isEqualTo(3);
        assertThat(s.value("toka_sandbox_limit_hits_total", Map.of("kind", "timeout"))).isEqualTo(1);
        assertThat(s.value("toka_sandbox_limit_hits_total", Map.of("kind", "cpu"))).isZero();
        assertThat(s.value("toka_ratelimit_refusals_total", Map.of("scope", "request"))).isEqualTo(5);
        assertThat(s.value("toka_ratelimit_refusals_total", Map.of("scope", "tool-call"))).isEqualTo(6);
    }

    @Test
    void llmFiguresGoToTheProviderInUseWhenTheyGrow() {
        String[] provider = {"anthropic"};
        long[] ok = {3};
        LlmGateway g = fake(LlmGateway.class, Map.of(
                "provider", () -> new LlmGateway.ProviderInfo(provider[0], "m", "http://x"),
                "metrics", () -> new LlmGateway.Metrics(ok[0] + 1, ok[0], 1, 0, 0, 2, 100 * ok[0], 10 * ok[0], 250,
                        0, 0),
                "queueStats", () -> {
                    Map<io.toka.llm.LlmRequest.Priority, LlmGateway.Waits> w = new java.util.EnumMap<>(
                            io.toka.llm.LlmRequest.Priority.class);
                    for (io.toka.llm.LlmRequest.Priority p : io.toka.llm.LlmRequest.Priority.values()) {
                        w.put(p, new LlmGateway.Waits(0, 0, 0, 0, 0, 0));
                    }
                    w.put(io.toka.llm.LlmRequest.Priority.HIGH, new LlmGateway.Waits(2, ok[0], 1500.0 * ok[0], 40,
                            900, 1200));
                    return new LlmGateway.QueueStats(provider[0], 8, 10_000, 8, 2, 1, 0, w);
                }));
        meters.llm = g;
        Scrapes s = scrape();
        assertThat(s.value("toka_llm_requests_total", Map.of("provider", "anthropic", "outcome", "success")))
                .isEqualTo(3);
        assertThat(s.value("toka_llm_tokens_total", Map.of("provider", "anthropic", "direction", "input")))
                .isEqualTo(300);
        assertThat(s.value("toka_llm_response_seconds_total", Map.of("provider", "anthropic"))).isEqualTo(0.75);
        assertThat(s.value("toka_llm_retries_total", Map.of("provider", "anthropic"))).isEqualTo(2);
        assertThat(s.value("toka_llm_queue_granted_total", Map.of("provider", "anthropic", "priority", "high")))
                .isEqualTo(3);
        assertThat(s.value("toka_llm_queue_wait_seconds_total", Map.of("provider", "anthropic", "priority", "high")))
                .isEqualTo(4.5);
        assertThat(s.value("toka_llm_queue_wait_p99_seconds", Map.of("provider", "anthropic", "priority", "high")))
                .isEqualTo(0.9);
        assertThat(s.value("toka_llm_queue_queued", Map.of("provider", "anthropic", "priority", "high")))
                .isEqualTo(2);
        assertThat(s.value("toka_llm_queue_in_flight", Map.of("provider", "anthropic"))).isEqualTo(8);
        assertThat(s.value("toka_llm_queue_cancelled_total", Map.of("provider", "anthropic"))).isEqualTo(1);

        provider[0] = "openai";
        ok[0] = 5;
        Scrapes after = scrape();
        assertThat(after.value("toka_llm_requests_total", Map.of("provider", "anthropic", "outcome", "success")))
                .isEqualTo(3);
        assertThat(after.value("toka_llm_requests_total", Map.of("provider", "openai", "outcome", "success")))
                .isEqualTo(2);
        assertThat(after.value("toka_llm_tokens_total", Map.of("provider", "openai", "direction", "output")))
                .isEqualTo(20);
    }
}
