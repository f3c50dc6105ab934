package io.toka.store.internal;

import io.toka.event.Event;
import io.toka.event.EventPage;
import io.toka.event.EventQuery;
import io.toka.event.EventStoreException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * Events in memory, lost on restart: for tests and throw-away runs. Sequence numbers start at 1 and are never
 * reused, even after pruning. Thread-safe: appends are serialised, reads run in parallel.
 */
public final class MemoryEventStore implements CloseableEventStore {

    private final ReadWriteLock lock = new ReentrantReadWriteLock();
    /** Ascending by seq; pruning removes from the front. */
    private final List<Event> events = new ArrayList<>();
    private final Map<String, Event> byId = new HashMap<>();
    private long lastAssigned;
    private boolean closed;

    @Override
    public String type() {
        return "memory";
    }

    @Override
    public List<Event> append(List<Event> batch) {
        StoreSupport.checkBatch(batch);
        lock.writeLock().lock();
        try {
            open();
            for (Event e : batch) {
                if (byId.containsKey(e.id())) {
                    throw new IllegalArgumentException("event id " + e.id() + " is already stored; nothing was stored");
                }
            }
            List<Event> stored = new ArrayList<>(batch.size());
            for (Event e : batch) {
                Event s = e.withSeq(++lastAssigned);
                events.add(s);
                byId.put(s.id(), s);
                stored.add(s);
            }
            return List.copyOf(stored);
        } finally {
            lock.writeLock().unlock();
        }
    }

    @Override
    public EventPage query(EventQuery q) {
        lock.readLock().lock();
        try {
            open();
            List<Event> page = new ArrayList<>(Math.min(q.limit(), 64));
            for (int i = firstAfter(q.after()); i < events.size(); i++) {
                Event e = events.get(i);
                if (!StoreSupport.matches(e, q)) {
                    continue;
                }
                if (page.size() == q.limit()) {
                    return new EventPage(page, page.get(page.size() - 1).seq());
                }
                page.add(e);
            }
            return new EventPage(page, null);
        } finally {
            lock.readLock().unlock();
        }
    }

    /** @return the index of the first event with seq &gt; after */
    private int firstAfter(long after) {
        int lo = 0;
        int hi = events.size();
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (events.get(mid).seq() <= after) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    @Override
    public Optional<Event> find(String id) {
        lock.readLock().lock();
        try {
            open();
            return Optional.ofNullable(byId.get(id));
        } finally {
            lock.readLock().unlock();
        }
    }

    @Override
    public long lastSeq() {
        lock.readLock().lock();
        try {
            open();
            return events.isEmpty() ? 0 : events.get(events.size() - 1).seq();
        } finally {
            lock.readLock().unlock();
        }
    }

    @Override
    public long count() {
        lock.readLock().lock();
        try {
            open();
            return events.size();
        } finally {
            lock.readLock().unlock();
        }
    }

    @Override
    public long prune(Instant olderThan, long keepAtMost) {
        lock.writeLock().lock();
        try {
            open();
            int before = events.size();
            if (olderThan != null) {
                events.removeIf(e -> {
                    boolean old = e.timestamp().isBefore(olderThan);
                    if (old) {
                        byId.remove(e.id());
                    }
                    return old;
                });
            }
            if (keepAtMost > 0 && events.size() > keepAtMost) {
                List<Event> oldest = events.subList(0, (int) (events.size() - keepAtMost));
                oldest.forEach(e -> byId.remove(e.id()));
                oldest.clear();
            }
            return before - events.size();
        } finally {
            lock.writeLock().unlock();
        }
    }

    @Override
    public void close() {
        lock.writeLock().lock();
        try {
            closed = true;
            events.clear();
            byId.clear();
        } finally {
            lock.writeLock().unlock();
        }
    }

    private void open() {
        if (closed) {
            throw new EventStoreException("the in-memory event store is closed");
        }
    }
}
