package io.toka.runtime.internal.execution;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Prepared code (compiled scripts, parsed modules), keyed by the engine service that prepared it and the SHA-256 of
 * language and code. Bounded; the least recently used entry goes first. Entries of an engine that leaves are dropped,
 * since its prepared objects belong to its bundle's class space. Thread-safe.
 */
final class PreparedCache {

    /** An engine service (by id) and a code hash. */
    record Key(long engineServiceId, String sha256) {
    }

    private final int capacity;
    private final LinkedHashMap<Key, Object> entries;
    private final AtomicLong hits = new AtomicLong();
    private final AtomicLong misses = new AtomicLong();

    PreparedCache(int capacity) {
        this.capacity = capacity;
        this.entries = new LinkedHashMap<>(16, 0.75f, true) {
            private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(Map.Entry<Key, Object> eldest) {
                return size() > PreparedCache.this.capacity;
            }
        };
    }

    /** @return the prepared object, or {@code null}; a hit makes the entry the most recently used */
    Object get(Key key) {
        Object v;
        synchronized (entries) {
            v = entries.get(key);
        }
        (v == null ? misses : hits).incrementAndGet();
        return v;
    }

    void put(Key key, Object prepared) {
        if (capacity == 0 || prepared == null) {
            return;
        }
        synchronized (entries) {
            entries.put(key, prepared);
        }
    }

    /** Drops every entry of one engine service. */
    void invalidate(long engineServiceId) {
        synchronized (entries) {
            entries.keySet().removeIf(k -> k.engineServiceId() == engineServiceId);
        }
    }

    int size() {
        synchronized (entries) {
            return entries.size();
        }
    }

    long hits() {
        return hits.get();
    }

    long misses() {
        return misses.get();
    }
}
