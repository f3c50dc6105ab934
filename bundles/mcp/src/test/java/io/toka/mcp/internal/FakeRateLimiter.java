package io.toka.mcp.internal;

import io.toka.security.RateLimitDecision;
import io.toka.security.RateLimiter;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/** A bucket of {@code limit} requests per subject that never refills. */
final class FakeRateLimiter implements RateLimiter {

    private final long limit;
    private final Map<String, Long> taken = new ConcurrentHashMap<>();

    FakeRateLimiter(long limit) {
        this.limit = limit;
    }

    @Override
    public synchronized RateLimitDecision tryAcquire(String subject) {
        long before = taken.getOrDefault(subject, 0L);
        if (before >= limit) {
            return new RateLimitDecision(false, limit, 0, 60, 7);
        }
        taken.put(subject, before + 1);
        return new RateLimitDecision(true, limit, limit - before - 1, 60, 0);
    }

    @Override
    public Optional<RateLimitDecision> tryAcquire(String subject, String tool) {
        return Optional.empty();
    }

    @Override
    public RateLimitDecision tryAcquireCall(String subject, String tool) {
        return tryAcquire(subject);
    }
}
