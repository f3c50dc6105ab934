package io.toka.security.internal;

import io.github.bucket4j.Bucket;
import io.github.bucket4j.ConsumptionProbe;
import io.toka.security.RateLimitDecision;
import io.toka.security.RateLimiter;
import io.toka.security.spi.SharedRateBuckets;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Bucket4j token buckets, one per subject (and one per subject and tool when configured): a bucket holds
 * {@code burst} requests and refills {@code requestsPerMinute} per minute, greedily. Idle, full buckets are dropped.
 * A configuration change applies at once (without restarting the HTTP API); buckets restart full.
 *
 * <p>While a {@link SharedRateBuckets} service is registered (the cluster bundle's), every bucket lives there, so a
 * subject has one budget across the cluster; if it cannot be reached, the local buckets decide meanwhile.
 */
@Component(service = RateLimiter.class, configurationPid = RateLimiterImpl.PID)
@Designate(ocd = RateLimiterImpl.Config.class)
public final class RateLimiterImpl implements RateLimiter {

    /** Configuration PID. */
    public static final String PID = "io.toka.ratelimit";

    /** Rate limit configuration. */
    @ObjectClassDefinition(name = "Toka rate limits", description = "Token buckets per subject.")
    public @interface Config {
        @AttributeDefinition(name = "Requests per minute", description = "Sustained rate per subject.", min = "1")
        int requestsPerMinute() default 100;

        @AttributeDefinition(name = "Burst", description = "Requests a subject may make at once.", min = "1")
        int burst() default 10;

        @AttributeDefinition(name = "Per-tool buckets",
                description = "Also limit each subject's calls of each tool separately, with the same numbers.")
        boolean perTool() default false;

        @AttributeDefinition(name = "Enabled", description = "Off: every request is allowed (headers still sent).")
        boolean enabled() default true;

        @AttributeDefinition(name = "Per-tool requests per minute",
                description = "Sustained rate of one subject's calls of one tool; 0 means requestsPerMinute.", min = "0")
        int perToolRequestsPerMinute() default 0;

        @AttributeDefinition(name = "Per-tool burst",
                description = "Calls of one tool a subject may make at once; 0 means burst.", min = "0")
        int perToolBurst() default 0;
    }

    /** The current limits; replaced as a whole on reconfiguration, with fresh buckets. */
    private record Limits(int perMinute, int burst, boolean perTool, boolean enabled, Map<String, Bucket> buckets,
            int toolPerMinute, int toolBurst) {
    }

    private static final Logger LOG = LoggerFactory.getLogger(RateLimiterImpl.class);

    private volatile Limits limits;
    /** The cluster's buckets, or {@code null}: then the local ones. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    volatile SharedRateBuckets shared;
    /** When the last failure of the shared buckets was logged (one line a minute at most). */
    private volatile long sharedFailureLogged = System.nanoTime() - TimeUnit.MINUTES.toNanos(2);
    /** {@link #refusals()}: counted only when a request or call is refused. */
    private final java.util.concurrent.atomic.LongAdder refusedRequests = new java.util.concurrent.atomic.LongAdder();
    private final java.util.concurrent.atomic.LongAdder refusedCalls = new java.util.concurrent.atomic.LongAdder();
    private final ScheduledExecutorService sweeper;

    @Activate
    public RateLimiterImpl(Config config) {
        this(config.requestsPerMinute(), config.burst(), config.perTool(), config.enabled(), true,
                config.perToolRequestsPerMinute(), config.perToolBurst());
    }

    RateLimiterImpl(int perMinute, int burst, boolean perTool, boolean enabled, boolean sweep) {
        this(perMinute, burst, perTool, enabled, sweep, 0, 0);
    }

    RateLimiterImpl(int perMinute, int burst, boolean perTool, boolean enabled, boolean sweep, int toolPerMinute,
            int toolBurst) {
        this.limits = limits(perMinute, burst, perTool, enabled, toolPerMinute, toolBurst);
        if (sweep) {
            sweeper = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "toka-ratelimit-sweeper");
                t.setDaemon(true);
                return t;
            });
            sweeper.scheduleWithFixedDelay(this::sweep, 1, 1, TimeUnit.MINUTES);
        } else {
            sweeper = null;
        }
    }

    private static Limits limits(int perMinute, int burst, boolean perTool, boolean enabled, int toolPerMinute,
            int toolBurst) {
        if (perMinute < 1 || burst < 1) {
            throw new IllegalArgumentException("requestsPerMinute and burst must be at least 1, not " + perMinute
                    + " and " + burst);
        }
        if (toolPerMinute < 0 || toolBurst < 0) {
            throw new IllegalArgumentException("perToolRequestsPerMinute and perToolBurst must be 0 (the subject's "
                    + "numbers) or more, not " + toolPerMinute + " and " + toolBurst);
        }
        return new Limits(perMinute, burst, perTool, enabled, new ConcurrentHashMap<>(),
                toolPerMinute == 0 ? perMinute : toolPerMinute, toolBurst == 0 ? burst : toolBurst);
    }

    @Modified
    void modified(Config config) {
        this.limits = limits(config.requestsPerMinute(), config.burst(), config.perTool(), config.enabled(),
                config.perToolRequestsPerMinute(), config.perToolBurst());
    }

    @Deactivate
    void deactivate() {
        if (sweeper != null) {
            sweeper.shutdownNow();
        }
    }

    @Override
    public RateLimitDecision tryAcquire(String subject) {
        RateLimitDecision d = take(limits, "s:" + subject);
        if (!d.allowed()) {
            refusedRequests.increment();
        }
        return d;
    }

    @Override
    public Optional<RateLimitDecision> tryAcquire(String subject, String tool) {
        Limits l = limits;
        if (!l.perTool()) {
            return Optional.empty();
        }
        RateLimitDecision d = take(l, "t:" + subject + "\u0000" + tool, l.toolPerMinute(), l.toolBurst());
        if (!d.allowed()) {
            refusedCalls.increment();
        }
        return Optional.of(d);
    }

    @Override
    public Refusals refusals() {
        return new Refusals(refusedRequests.sum(), refusedCalls.sum());
    }

    @Override
    public RateLimitDecision tryAcquireCall(String subject, String tool) {
        Limits l = limits;
        RateLimitDecision calls = take(l, "c:" + subject);
        if (!calls.allowed()) {
            refusedCalls.increment();
            return calls;
        }
        if (!l.perTool() || !l.enabled()) {
            return calls;
        }
        RateLimitDecision perTool = take(l, "t:" + subject + "\u0000" + tool, l.toolPerMinute(), l.toolBurst());
        if (!perTool.allowed()) {
            // refused by the tool's bucket: the call did not happen, so it must not count against the subject
            refund(l, "c:" + subject);
            refusedCalls.increment();
            return perTool;
        }
        return perTool.remaining() < calls.remaining() ? perTool : calls;
    }

    private RateLimitDecision take(Limits l, String key) {
        return take(l, key, l.perMinute(), l.burst());
    }

    private RateLimitDecision take(Limits l, String key, int perMinute, int burst) {
        if (!l.enabled()) {
            return new RateLimitDecision(true, perMinute, burst, 0, 0);
        }
        SharedRateBuckets cluster = shared;
        if (cluster != null) {
            try {
                SharedRateBuckets.Probe p = cluster.tryConsume(key, burst, perMinute);
                long reset = seconds(p.nanosToWaitForReset());
                return p.consumed() ? new RateLimitDecision(true, perMinute, p.remaining(), reset, 0)
                        : new RateLimitDecision(false, perMinute, 0, reset, Math.max(1, seconds(p.nanosToWaitForRefill())));
            } catch (RuntimeException e) {
                sharedFailed(e);
            }
        }
        Bucket bucket = l.buckets().computeIfAbsent(key, k -> Bucket.builder()
                .addLimit(limit -> limit.capacity(burst).refillGreedy(perMinute, Duration.ofMinutes(1)))
                .build());
        ConsumptionProbe probe = bucket.tryConsumeAndReturnRemaining(1);
        long reset = seconds(probe.getNanosToWaitForReset());
        if (probe.isConsumed()) {
            return new RateLimitDecision(true, perMinute, probe.getRemainingTokens(), reset, 0);
        }
        return new RateLimitDecision(false, perMinute, 0, reset, Math.max(1, seconds(probe.getNanosToWaitForRefill())));
    }

    private void refund(Limits l, String key) {
        SharedRateBuckets cluster = shared;
        if (cluster != null) {
            try {
                cluster.refund(key, l.burst(), l.perMinute());
                return;
            } catch (RuntimeException e) {
                sharedFailed(e);
            }
        }
        Bucket b = l.buckets().get(key);
        if (b != null) {
            b.addTokens(1);
        }
    }

    private void sharedFailed(RuntimeException e) {
        long now = System.nanoTime();
        if (now - sharedFailureLogged > TimeUnit.MINUTES.toNanos(1)) {
            sharedFailureLogged = now;
            LOG.warn("The cluster's rate-limit buckets cannot be reached ({}); this node's own buckets decide meanwhile",
                    e.toString());
        }
    }

    private static long seconds(long nanos) {
        return (nanos + 999_999_999L) / 1_000_000_000L;
    }

    /** Drops buckets that are full again: their subjects are idle. */
    void sweep() {
        Limits l = limits;
        for (String key : l.buckets().keySet()) {
            l.buckets().computeIfPresent(key, (k, b) -> b.getAvailableTokens()
                    >= (k.startsWith("t:") ? l.toolBurst() : l.burst()) ? null : b);
        }
    }

    int bucketCount() {
        return limits.buckets().size();
    }
}
