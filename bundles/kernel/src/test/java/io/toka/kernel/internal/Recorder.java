package io.toka.kernel.internal;

import io.toka.event.Event;
import io.toka.event.EventSubscriber;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Test subscriber: keeps every event, and every missed count as a {@link Missed} entry, in delivery order. */
class Recorder implements EventSubscriber {

    record Missed(long count) {
    }

    final List<Object> log = new CopyOnWriteArrayList<>();
    final List<Event> events = new CopyOnWriteArrayList<>();

    @Override
    public void onEvent(Event event) {
        log.add(event);
        events.add(event);
    }

    @Override
    public void onMissed(long count) {
        log.add(new Missed(count));
    }
}
