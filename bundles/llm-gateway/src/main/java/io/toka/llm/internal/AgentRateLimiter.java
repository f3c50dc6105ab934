package io.toka.llm.internal;

import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.ConsumptionProbe;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A token bucket per agent: capacity = the limit, refilled greedily at the limit per minute, one token per request.
 * At most {@value #MAX_AGENTS} buckets are kept; the least recently used goes first, which only ever hands an idle
 * agent a full bucket again.
 */
final class AgentRateLimiter {

    static final int MAX_AGENTS = 10_000;

    private final int perMinute;
    private final Map<String, Bucket> buckets = new LinkedHashMap<>(64, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Bucket> eldest) {
            return size() > MAX_AGENTS;
        }
    };

    AgentRateLimiter(int perMinute) {
        this.perMinute = perMinute;
    }

    int perMinute() {
        return perMinute;
    }

    /** @return 0 if the agent may go ahead, else the nanoseconds until its next token */
    long tryAcquire(String agent) {
        Bucket bucket;
        synchronized (buckets) {
            bucket = buckets.computeIfAbsent(agent, a -> Bucket.builder()
                    .addLimit(Bandwidth.builder().capacity(perMinute).refillGreedy(perMinute, Duration.ofMinutes(1))
                            .build())
                    .build());
        }
        ConsumptionProbe probe = bucket.tryConsumeAndReturnRemaining(1);
        return probe.isConsumed() ? 0 : Math.max(1, probe.getNanosToWaitForRefill());
    }
}
