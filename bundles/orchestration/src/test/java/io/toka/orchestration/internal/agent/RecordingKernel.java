package io.toka.orchestration.internal.agent;

import io.toka.event.Event;
import io.toka.event.EventPayload;
import io.toka.event.Events;
import io.toka.kernel.Kernel;
import io.toka.kernel.Message;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

/** A kernel that keeps what is posted, after turning it into an event as the real kernel does. */
public final class RecordingKernel implements Kernel {

    public final List<EventPayload> posted = new CopyOnWriteArrayList<>();

    @Override
    public Event submit(Message message) {
        throw new UnsupportedOperationException();
    }

    @Override
    public Event record(EventPayload payload, List<Event> parents) {
        return Events.create(payload, parents);
    }

    @Override
    public void post(EventPayload payload) {
        record(payload, List.of());
        posted.add(payload);
    }

    @Override
    public boolean postAndAwait(EventPayload payload, java.time.Duration timeout) {
        post(payload);
        return true;
    }

    /** The kinds posted for one agent, in order. */
    public List<String> kindsOf(String agent) {
        return posted.stream().filter(p -> agent.equals(p.agent())).map(EventPayload::kind).toList();
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
