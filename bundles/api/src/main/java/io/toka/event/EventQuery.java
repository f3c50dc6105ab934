package io.toka.event;

import java.time.Instant;

/**
 * Which events to read, oldest first (ascending {@link Event#seq()}). Every filter is optional ({@code null} or 0).
 *
 * @param kind exact kind, e.g. {@code tool.invoked}
 * @param agent events concerning this agent
 * @param subject events caused by this subject
 * @param since timestamp ≥ since
 * @param until timestamp &lt; until
 * @param after only events with {@code seq > after} (the cursor); 0 for the beginning
 * @param limit at most this many (1 to {@link #MAX_LIMIT})
 */
public record EventQuery(String kind, String agent, String subject, Instant since, Instant until, long after, int limit) {

    /** The largest page. */
    public static final int MAX_LIMIT = 1000;

    /** Checks the limit and cursor. */
    public EventQuery {
        if (limit < 1 || limit > MAX_LIMIT) {
            throw new IllegalArgumentException("limit must be between 1 and " + MAX_LIMIT + ", not " + limit);
        }
        if (after < 0) {
            throw new IllegalArgumentException("the cursor 'after' must not be negative");
        }
    }

    /** @return every event, the first {@code limit} after the cursor */
    public static EventQuery after(long after, int limit) {
        return new EventQuery(null, null, null, null, null, after, limit);
    }
}
