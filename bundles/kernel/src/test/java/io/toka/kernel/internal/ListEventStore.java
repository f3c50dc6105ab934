package io.toka.kernel.internal;

import io.toka.event.Event;
import io.toka.event.EventPage;
import io.toka.event.EventQuery;
import io.toka.event.EventStore;
import io.toka.event.EventStoreException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

/** A small, correct in-memory store for kernel tests: a list in ascending seq. */
final class ListEventStore implements EventStore {

    private final List<Event> events = new ArrayList<>();
    private final Set<String> ids = new HashSet<>();
    private long seq;
    /** How many append calls. */
    final AtomicInteger appends = new AtomicInteger();
    /** Batch sizes of every successful append, in order. */
    private final List<Integer> batches = new ArrayList<>();
    /** Set to make appends fail. */
    volatile boolean fail;
    /** Set to make appends throw this (an unexpected failure). */
    volatile RuntimeException crash;
    /** Set to hold appends until it opens. */
    volatile CountDownLatch gate;
    /** Counted down when an append reaches the gate. */
    final CountDownLatch atGate = new CountDownLatch(1);

    @Override
    public String type() {
        return "list";
    }

    @Override
    public List<Event> append(List<Event> batch) {
        CountDownLatch g = gate;
        if (g != null) {
            atGate.countDown();
            try {
                g.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new EventStoreException("interrupted");
            }
        }
        return appendNow(batch);
    }

    private synchronized List<Event> appendNow(List<Event> batch) {
        appends.incrementAndGet();
        if (fail) {
            throw new EventStoreException("failing on purpose");
        }
        RuntimeException c = crash;
        if (c != null) {
            throw c;
        }
        Set<String> seen = new HashSet<>();
        for (Event e : batch) {
            if (ids.contains(e.id()) || !seen.add(e.id())) {
                throw new IllegalArgumentException("event " + e.id() + " is already stored");
            }
        }
        List<Event> out = new ArrayList<>(batch.size());
        for (Event e : batch) {
            Event s = e.withSeq(++seq);
            events.add(s);
            ids.add(s.id());
            out.add(s);
        }
        batches.add(batch.size());
        return out;
    }

    @Override
    public synchronized EventPage query(EventQuery q) {
        List<Event> page = new ArrayList<>();
        boolean more = false;
        for (Event e : events) {
            if (e.seq() <= q.after() || (q.kind() != null && !q.kind().equals(e.kind()))
                    || (q.agent() != null && !q.agent().equals(e.agent()))
                    || (q.subject() != null && !q.subject().equals(e.subject()))
                    || (q.since() != null && e.timestamp().isBefore(q.since()))
                    || (q.until() != null && !e.timestamp().isBefore(q.until()))) {
                continue;
            }
            if (page.size() == q.limit()) {
                more = true;
                break;
            }
            page.add(e);
        }
        return new EventPage(page, more ? page.get(page.size() - 1).seq() : null);
    }

    @Override
    public synchronized Optional<Event> find(String id) {
        return events.stream().filter(e -> e.id().equals(id)).findFirst();
    }

    @Override
    public synchronized long lastSeq() {
        return seq;
    }

    @Override
    public synchronized long count() {
        return events.size();
    }

    @Override
    public synchronized long prune(Instant olderThan, long keepAtMost) {
        int before = events.size();
        if (olderThan != null) {
            events.removeIf(e -> e.timestamp().isBefore(olderThan));
        }
        if (keepAtMost > 0) {
            while (events.size() > keepAtMost) {
                events.remove(0);
            }
        }
        return before - events.size();
    }

    synchronized List<Event> all() {
        return List.copyOf(events);
    }

    synchronized List<Integer> batchSizes() {
        return List.copyOf(batches);
    }
}
