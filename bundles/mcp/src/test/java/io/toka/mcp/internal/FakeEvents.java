package io.toka.mcp.internal;

import io.toka.event.Event;
import io.toka.event.EventBus;
import io.toka.event.EventPage;
import io.toka.event.EventQuery;
import io.toka.event.EventStore;
import io.toka.event.EventSubscriber;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * An event store and bus in memory, as the kernel's behave: events get increasing sequence numbers, queries page
 * after a cursor in sequence order, and every stored event is then published to the subscribers (here on the
 * recording thread).
 */
final class FakeEvents implements EventStore, EventBus {

    private final List<Event> events = new CopyOnWriteArrayList<>();
    private final List<EventSubscriber> subscribers = new CopyOnWriteArrayList<>();
    /** How many queries were made (to see that a read does not scan the whole log). */
    volatile int queries;

    /** Records an event of a kind about a subject. */
    synchronized Event record(String kind, String subject, String payloadJson) {
        Event e = new Event(events.size() + 1, UUID.randomUUID().toString(), kind, 1, Instant.now(), List.of(),
                "d" + events.size(), null, subject, payloadJson);
        events.add(e);
        subscribers.forEach(s -> s.onEvent(e));
        return e;
    }

    @Override
    public String type() {
        return "fake";
    }

    @Override
    public List<Event> append(List<Event> batch) {
        List<Event> out = new ArrayList<>();
        for (Event e : batch) {
            out.add(record(e.kind(), e.subject(), e.payload()));
        }
        return out;
    }

    @Override
    public EventPage query(EventQuery q) {
        queries++;
        List<Event> out = new ArrayList<>();
        Long next = null;
        for (Event e : events) {
            if (e.seq() <= q.after() || q.kind() != null && !q.kind().equals(e.kind())
                    || q.subject() != null && !q.subject().equals(e.subject())) {
                continue;
            }
            if (out.size() == q.limit()) {
                next = out.get(out.size() - 1).seq();
                break;
            }
            out.add(e);
        }
        return new EventPage(out, next);
    }

    @Override
    public Optional<Event> find(String id) {
        return events.stream().filter(e -> e.id().equals(id)).findFirst();
    }

    @Override
    public long lastSeq() {
        return events.size();
    }

    @Override
    public long count() {
        return events.size();
    }

    @Override
    public long prune(Instant olderThan, long keepAtMost) {
        return 0;
    }

    @Override
    public Subscription subscribe(EventSubscriber subscriber, int capacity) {
        subscribers.add(subscriber);
        return new Subscription() {
            @Override
            public long missed() {
                return 0;
            }

            @Override
            public void close() {
                subscribers.remove(subscriber);
            }
        };
    }

    int subscribers() {
        return subscribers.size();
    }
}
