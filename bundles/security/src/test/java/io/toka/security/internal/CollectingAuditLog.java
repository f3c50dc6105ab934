package io.toka.security.internal;

import io.toka.security.AuditEvent;
import io.toka.security.AuditLog;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Keeps every audit event so tests can assert on the trail. */
final class CollectingAuditLog implements AuditLog {

    private final List<AuditEvent> events = new CopyOnWriteArrayList<>();

    @Override
    public void record(AuditEvent event) {
        events.add(event);
    }

    List<AuditEvent> events() {
        return List.copyOf(events);
    }

    List<AuditEvent> events(String action, String outcome) {
        return events.stream().filter(e -> e.action().equals(action) && e.outcome().equals(outcome)).toList();
    }

    void clear() {
        events.clear();
    }
}
