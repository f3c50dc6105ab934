package io.toka.llm.internal;

import io.toka.llm.LlmException;
import io.toka.llm.LlmGateway;
import io.toka.llm.LlmRequest;
import java.lang.reflect.Proxy;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The real LLM gateway for the benchmarks, pointed at a fake OpenAI-compatible provider, with the real queue
 * ({@link ModelScheduler}) or, as a baseline, a plain FIFO semaphore of the same size in its place. In the gateway's
 * package to reach its internal constructor.
 */
public final class BenchGateways {

    private BenchGateways() {
    }

    /** A gateway and how to stop it. */
    public static final class Bench implements AutoCloseable {
        public final LlmGateway gateway;
        private final LlmGatewayImpl impl;

        Bench(LlmGatewayImpl impl) {
            this.impl = impl;
            this.gateway = impl;
        }

        @Override
        public void close() {
            impl.deactivate();
        }
    }

    /**
     * @param baseUrl the fake provider
     * @param maxConcurrent the cap
     * @param agingMillis the scheduler's aging
     * @param fifo a fair {@link Semaphore} instead of the scheduler
     */
    public static Bench create(String baseUrl, int maxConcurrent, long agingMillis, boolean fifo) {
        Map<String, Object> values = Map.of("provider", "openai", "baseUrl", baseUrl, "model", "bench-model",
                "rateLimitPerMinute", 1_000_000, "maxRetries", 0, "maxConcurrent", maxConcurrent, "agingMillis",
                agingMillis);
        LlmConfig config = (LlmConfig) Proxy.newProxyInstance(LlmConfig.class.getClassLoader(),
                new Class<?>[] {LlmConfig.class}, (proxy, method, args) -> {
                    if (method.getDeclaringClass() == Object.class) {
                        return method.getName().equals("equals") ? proxy == args[0]
                                : method.getName().equals("hashCode") ? System.identityHashCode(proxy)
                                : "LlmConfig" + values;
                    }
                    if (method.getName().equals("annotationType")) {
                        return LlmConfig.class;
                    }
                    Object v = values.get(method.getName());
                    return v != null ? v : method.getDefaultValue();
                });
        Settings settings = Settings.resolve(config, name -> null);
        Admission admission = fifo ? new FifoAdmission(maxConcurrent)
                : new ModelScheduler(maxConcurrent, agingMillis, System::nanoTime);
        return new Bench(new LlmGatewayImpl(settings, Thread::sleep, bound -> bound / 2, admission));
    }

    /** The scheduler's own cost: enter and release with a free slot, on one thread, in ns per call (median of 5). */
    public static double schedulerNanosPerCall(int maxConcurrent, int calls) throws Exception {
        ModelScheduler s = new ModelScheduler(maxConcurrent, 10_000, System::nanoTime);
        LlmRequest.Priority[] priorities = LlmRequest.Priority.values();
        double[] rounds = new double[5];
        for (int r = 0; r < rounds.length; r++) {
            long t0 = System.nanoTime();
            for (int i = 0; i < calls; i++) {
                s.enter("agent-" + (i & 7), priorities[i & 3]).release();
            }
            rounds[r] = (System.nanoTime() - t0) / (double) calls;
        }
        java.util.Arrays.sort(rounds);
        return rounds[rounds.length / 2];
    }

    /** A plain FIFO semaphore: first come, first served, no priority, no turns; the baseline. */
    static final class FifoAdmission implements Admission {
        private final int maxConcurrent;
        private final Semaphore permits;

        FifoAdmission(int maxConcurrent) {
            this.maxConcurrent = maxConcurrent;
            this.permits = new Semaphore(maxConcurrent, true);
        }

        @Override
        public Slot enter(String agent, LlmRequest.Priority priority) throws InterruptedException, LlmException {
            long t0 = System.nanoTime();
            permits.acquire();
            long wait = System.nanoTime() - t0;
            AtomicBoolean released = new AtomicBoolean();
            return new Slot() {
                @Override
                public long waitNanos() {
                    return wait;
                }

                @Override
                public void release() {
                    if (released.compareAndSet(false, true)) {
                        permits.release();
                    }
                }
            };
        }

        @Override
        public LlmGateway.QueueStats stats(String provider) {
            LlmGateway.QueueStats none = LlmGateway.QueueStats.none(provider);
            return new LlmGateway.QueueStats(provider, maxConcurrent, 0, maxConcurrent - permits.availablePermits(),
                    permits.getQueueLength(), 0, 0, none.priorities());
        }

        @Override
        public void close() {
            // the baseline's waiters end with the benchmark
        }
    }
}
