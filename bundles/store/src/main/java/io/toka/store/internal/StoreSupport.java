package io.toka.store.internal;

import io.toka.event.Event;
import io.toka.event.EventQuery;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/** Checks and conversions the stores share. */
final class StoreSupport {

    private StoreSupport() {
    }

    /**
     * Rejects a batch that cannot be stored whatever is already there.
     *
     * @throws NullPointerException if the list or an element is null
     * @throws IllegalArgumentException if an id occurs twice in the batch
     */
    static void checkBatch(List<Event> events) {
        Objects.requireNonNull(events, "events");
        Set<String> ids = new HashSet<>(events.size() * 2);
        for (Event e : events) {
            Objects.requireNonNull(e, "an event in the batch is null");
            if (!ids.add(e.id())) {
                throw new IllegalArgumentException("event id " + e.id() + " occurs twice in the batch; nothing was stored");
            }
        }
    }

    /** @return whether the event passes every filter of the query except the cursor and limit */
    static boolean matches(Event e, EventQuery q) {
        return (q.kind() == null || q.kind().equals(e.kind()))
                && (q.agent() == null || q.agent().equals(e.agent()))
                && (q.subject() == null || q.subject().equals(e.subject()))
                && (q.since() == null || !e.timestamp().isBefore(q.since()))
                && (q.until() == null || e.timestamp().isBefore(q.until()));
    }

    /** @return microseconds since the epoch (sub-microsecond digits are dropped, rounding down) */
    static long micros(Instant t) {
        return Math.addExact(Math.multiplyExact(t.getEpochSecond(), 1_000_000L), t.getNano() / 1000);
    }

    /** @return the instant of microseconds since the epoch */
    static Instant instant(long micros) {
        return Instant.ofEpochSecond(Math.floorDiv(micros, 1_000_000L), Math.floorMod(micros, 1_000_000L) * 1000L);
    }

    /** @return the smallest microsecond count whose instant is at or after {@code t} (for {@code >=} bounds) */
    static long microsCeil(Instant t) {
        long m = micros(t);
        return t.getNano() % 1000 == 0 ? m : m + 1;
    }

    /** @return the messages of an exception and its causes, each once, as one plain line */
    static String reason(Throwable t) {
        StringBuilder sb = new StringBuilder();
        Set<Throwable> seen = new HashSet<>();
        for (Throwable c = t; c != null && seen.add(c); c = c.getCause()) {
            String m = c.getMessage() == null ? "" : c.getMessage().strip();
            while (m.endsWith(".")) {
                m = m.substring(0, m.length() - 1);
            }
            if (m.isEmpty() || sb.indexOf(m) >= 0) {
                continue;
            }
            if (sb.length() > 0) {
                sb.append(": ");
            }
            sb.append(m);
        }
        return sb.length() == 0 ? t.getClass().getSimpleName() : sb.toString();
    }
}
