package io.toka.runtime.internal.execution;

import io.toka.runtime.execution.ExecutionRecord;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/** The last {@code capacity} execution records, newest first. Thread-safe. */
final class ExecutionHistory {

    private final int capacity;
    private final ArrayDeque<ExecutionRecord> records;

    ExecutionHistory(int capacity) {
        this.capacity = capacity;
        this.records = new ArrayDeque<>(capacity);
    }

    synchronized void add(ExecutionRecord record) {
        if (records.size() == capacity) {
            records.removeLast();
        }
        records.addFirst(record);
    }

    /** @return up to {@code limit} records, newest first */
    synchronized List<ExecutionRecord> newest(int limit) {
        List<ExecutionRecord> out = new ArrayList<>(Math.min(limit, records.size()));
        Iterator<ExecutionRecord> it = records.iterator();
        while (it.hasNext() && out.size() < limit) {
            out.add(it.next());
        }
        return out;
    }

    synchronized int size() {
        return records.size();
    }
}
