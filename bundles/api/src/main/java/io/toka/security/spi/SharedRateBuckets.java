package io.toka.security.spi;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Token buckets shared by the nodes of a cluster, so that one subject's budget is one budget wherever its requests
 * land. The rate limiter uses it while such a service is registered, and its own in-memory buckets otherwise. Every
 * node must be configured with the same limits: the limits are part of a bucket's key, so nodes that disagree keep
 * separate buckets.
 *
 * <p>An implementation may serve a take from tokens it consumed from the shared bucket earlier (a lease of a few
 * tokens, to save round trips), never from tokens it has not consumed: whatever the nodes serve together stays within
 * the one budget. The remaining count of a take served so is then the shared bucket's count at the last round trip
 * plus the tokens the node still holds.
 */
@ConsumerType
public interface SharedRateBuckets {

    /**
     * Takes one token from the bucket, creating it full if it does not exist: it holds {@code capacity} tokens and
     * refills {@code refillPerMinute} per minute, greedily.
     *
     * @param key the bucket, e.g. {@code s:alice}
     * @param capacity the burst
     * @param refillPerMinute the sustained rate
     * @return the outcome
     * @throws RuntimeException if the shared store cannot be reached; the caller then decides locally
     */
    Probe tryConsume(String key, int capacity, int refillPerMinute);

    /**
     * Gives one token back (a request refused by a second bucket must not count against the first).
     *
     * @param key the bucket
     * @param capacity the burst it was created with
     * @param refillPerMinute the rate it was created with
     */
    void refund(String key, int capacity, int refillPerMinute);

    /**
     * The outcome of {@link #tryConsume}.
     *
     * @param consumed whether a token was taken
     * @param remaining tokens left after it
     * @param nanosToWaitForRefill when refused, how long until a token is there
     * @param nanosToWaitForReset how long until the bucket is full again
     */
    record Probe(boolean consumed, long remaining, long nanosToWaitForRefill, long nanosToWaitForReset) {
    }
}
