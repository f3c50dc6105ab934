package io.toka.metrics.internal;

import io.micrometer.core.instrument.Counter;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * Feeds a Micrometer counter from a running total kept elsewhere (the kernel's, the sandbox's, the rate limiter's or
 * the LLM gateway's statistics), read just before each scrape. The counter grows by what the total grew since the
 * last read from the same source, so it never goes backwards: a new source (a restarted service) starts from what it
 * reports; a total that shrinks on the same source (a rounded figure) adds nothing until it passes its best.
 */
final class Cumulative {

    private final Counter counter;
    /** What one unit of the total is in the counter's unit, e.g. 1e-9 for nanoseconds counted in seconds. */
    private final double scale;
    /** The best total seen, by source; only sources seen since the last {@link #forget} are kept. */
    private final Map<Object, Long> seen = new IdentityHashMap<>();

    Cumulative(Counter counter) {
        this(counter, 1);
    }

    Cumulative(Counter counter, double scale) {
        this.counter = counter;
        this.scale = scale;
    }

    /**
     * @param source the object that keeps the total (compared by identity)
     * @param total its total now
     */
    synchronized void update(Object source, long total) {
        Long last = seen.get(source);
        long before = last == null ? 0 : last;
        if (total > before) {
            counter.increment((total - before) * scale);
            seen.put(source, total);
        } else if (last == null) {
            seen.put(source, Math.max(0, total));
        }
    }

    /** Drops every source but {@code keep}, so that a departed service is not held in memory. */
    synchronized void forget(Object keep) {
        seen.keySet().removeIf(s -> s != keep);
    }

    Counter counter() {
        return counter;
    }
}
