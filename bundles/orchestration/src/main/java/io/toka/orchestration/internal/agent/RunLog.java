package io.toka.orchestration.internal.agent;

import io.toka.event.Event;
import io.toka.event.EventPage;
import io.toka.event.EventPayload;
import io.toka.event.EventQuery;
import io.toka.event.EventStore;
import io.toka.event.Events;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Reads the journals of durable runs back from the event store, to rebuild the runs that had not ended. */
final class RunLog {

    private static final Logger LOG = LoggerFactory.getLogger(RunLog.class);
    private static final int PAGE = EventQuery.MAX_LIMIT;

    /** One journal entry: the stored event and its payload (a run event, or the kernel's {@code task.taken}). */
    record Entry(Event event, EventPayload payload) {
    }

    /** An unfinished run: how it started, and everything it recorded since, in order. */
    record Journal(Event startedEvent, RunEvents.Started started, List<Entry> entries) {
        String run() {
            return started.run();
        }
    }

    private final EventStore store;

    RunLog(EventStore store) {
        this.store = store;
    }

    /** @return the runs that started and never ended, oldest first, each with its journal */
    List<Journal> unfinished() {
        Map<String, Entry> started = new LinkedHashMap<>();
        scan("agent.run.started", null, 0, e -> read(e).ifPresent(p -> started.put(((RunEvents.Started) p).run(),
                new Entry(e, p))));
        Set<String> ended = new HashSet<>();
        scan("agent.run.ended", null, 0, e -> read(e).ifPresent(p -> ended.add(((RunEvents.Ended) p).run())));
        List<Journal> out = new ArrayList<>();
        for (Entry s : started.values()) {
            RunEvents.Started st = (RunEvents.Started) s.payload();
            if (!ended.contains(st.run())) {
                out.add(new Journal(s.event(), st, entriesOf(st.agent(), st.run(), s.event().seq())));
            }
        }
        return out;
    }

    /** Everything the run recorded after it started, and the tasks the kernel handed to it. */
    List<Entry> entriesOf(String agent, String run, long startedSeq) {
        List<Entry> out = new ArrayList<>();
        scan(null, agent, startedSeq, e -> {
            if (e.kind().equals("task.taken")) {
                Optional<EventPayload> p = builtIn(e);
                if (p.isPresent() && p.get() instanceof EventPayload.TaskTaken t && run.equals(t.by())) {
                    out.add(new Entry(e, t));
                }
                return;
            }
            read(e).filter(p -> p instanceof RunEvents.RunEvent r && run.equals(r.run()))
                    .ifPresent(p -> out.add(new Entry(e, p)));
        });
        return out;
    }

    private static Optional<EventPayload> read(Event e) {
        try {
            return RunEvents.read(e).map(p -> p);
        } catch (IllegalArgumentException unreadable) {
            LOG.warn("Skipping an unreadable run event: {}", unreadable.getMessage());
            return Optional.empty();
        }
    }

    private static Optional<EventPayload> builtIn(Event e) {
        try {
            return Events.payload(e);
        } catch (IllegalArgumentException unreadable) {
            return Optional.empty();
        }
    }

    /** Every event of a kind (or concerning an agent) after a sequence number, page by page. */
    void scan(String kind, String agent, long after, Consumer<Event> each) {
        long cursor = after;
        while (true) {
            EventPage page = store.query(new EventQuery(kind, agent, null, null, null, cursor, PAGE));
            page.events().forEach(each);
            if (page.events().size() < PAGE) {
                return;
            }
            cursor = page.events().get(page.events().size() - 1).seq();
        }
    }
}
