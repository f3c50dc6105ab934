package io.toka.runtime.internal.execution;

import io.toka.event.Event;
import io.toka.event.EventPayload;
import io.toka.event.Events;
import io.toka.kernel.Kernel;
import io.toka.kernel.Message;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

/** A kernel that keeps what is posted, after turning it into an event as the real kernel does. */
final class RecordingKernel implements Kernel {

    final List<EventPayload> posted = new CopyOnWriteArrayList<>();
    final List<Event> events = new CopyOnWriteArrayList<>();

    @Override
    public Event submit(Message message) {
        throw new UnsupportedOperationException();
    }

    @Override
    public Event record(EventPayload payload, List<Event> parents) {
        Event e = Events.create(payload, parents);
        events.add(e);
        return e;
    }

    @Override
    public void post(EventPayload payload) {
        posted.add(payload);
        record(payload, List.of());
    }

    @Override
    public boolean postAndAwait(EventPayload payload, java.time.Duration timeout) {
        post(payload);
        return true;
    }

    @Override
    public int queuedTasks(String agent) {
        return 0;
    }

    @Override
    public Optional<String> takeTask(String agent) {
        return Optional.empty();
    }
}
