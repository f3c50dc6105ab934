package io.toka.orchestration.internal.session;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.toka.event.Event;
import io.toka.event.EventPage;
import io.toka.event.EventPayload;
import io.toka.event.EventQuery;
import io.toka.event.EventStore;
import io.toka.kernel.Kernel;
import io.toka.orchestration.AgentStatus;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The journal of a durable session: {@code session.started} (its agents, phases and waves, the dependencies),
 * {@code session.phase}, {@code session.agent_done} (each agent's final status, recorded before the session moves
 * on), {@code session.ended}. A session that had not ended is rebuilt from it after a restart: its phase, waves and
 * the agents that finished come from the log (an agent whose run of this session ended while the session was not
 * looking is found from the run's own {@code agent.run.ended}).
 */
final class SessionJournal {

    private static final Logger LOG = LoggerFactory.getLogger(SessionJournal.class);
    private static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
    private static final int PAGE = EventQuery.MAX_LIMIT;

    /** A journal that records nothing: the session is not durable. */
    static final SessionJournal OFF = new SessionJournal(() -> null, Duration.ZERO);

    record Started(String session, String subject, List<String> agents, List<String> critical, List<String> high,
            List<List<String>> waves, Map<String, List<String>> requires) implements EventPayload {
        @Override
        public String kind() {
            return "session.started";
        }
    }

    record Phase(String session, String phase) implements EventPayload {
        @Override
        public String kind() {
            return "session.phase";
        }
    }

    /** An agent's final status in the session (times as ISO-8601 text). */
    record AgentDone(String session, String agent, String run, String state, String message, String verdict,
            String startedAt, String finishedAt) implements EventPayload {
        @Override
        public String kind() {
            return "session.agent_done";
        }

        static AgentDone of(String session, AgentStatus s) {
            return new AgentDone(session, s.agent(), s.runId(), s.state().name(), s.message(), s.verdict(),
                    s.startedAt() == null ? null : s.startedAt().toString(),
                    s.finishedAt() == null ? null : s.finishedAt().toString());
        }

        AgentStatus status() {
            Instant start = startedAt == null ? null : Instant.parse(startedAt);
            Instant end = finishedAt == null ? null : Instant.parse(finishedAt);
            return new AgentStatus(agent, run, AgentStatus.State.valueOf(state), 0, 0,
                    AgentStatus.State.valueOf(state) == AgentStatus.State.COMPLETED ? 1 : 0, message, start, end,
                    List.of(), verdict);
        }
    }

    record Ended(String session, String phase, String error) implements EventPayload {
        @Override
        public String kind() {
            return "session.ended";
        }
    }

    /** A session that had not ended: how it started, its phase, and the agents known to be done. */
    record Unfinished(Event startedEvent, Started started, String phase, Map<String, AgentStatus> done) {
    }

    private final Supplier<Kernel> kernel;
    private final Duration timeout;
    /** The session's lease in a cluster (every record is fenced by it), or null. */
    private volatile io.toka.orchestration.internal.agent.HeldLeases.Guard guard;

    SessionJournal(Supplier<Kernel> kernel, Duration timeout) {
        this.kernel = kernel;
        this.timeout = timeout;
    }

    boolean durable() {
        return this != OFF;
    }

    /** Fences every further record with the session's lease. */
    void guardWith(io.toka.orchestration.internal.agent.HeldLeases.Guard g) {
        this.guard = g;
    }

    io.toka.orchestration.internal.agent.HeldLeases.Guard guard() {
        return guard;
    }

    /** Whether this node lost the session's lease: it records nothing more for it. */
    boolean lost() {
        io.toka.orchestration.internal.agent.HeldLeases.Guard g = guard;
        return g != null && g.lost();
    }

    void post(EventPayload p) throws InterruptedException {
        if (guard != null) {
            commit(p); // a leased session records only under its lease
            return;
        }
        Kernel k = kernel.get();
        if (k != null) {
            k.post(p);
        }
    }

    /** Records and waits for it; false (logged) if it was not stored in time, or this node lost the lease. */
    boolean commit(EventPayload p) throws InterruptedException {
        Kernel k = kernel.get();
        if (k == null) {
            return false;
        }
        io.toka.orchestration.internal.agent.HeldLeases.Guard g = guard;
        boolean stored;
        if (g == null) {
            stored = k.postAndAwait(p, timeout);
        } else {
            try {
                stored = g.fenced(() -> k.postAndAwait(p, timeout));
            } catch (io.toka.orchestration.spi.LeaseLostException e) {
                LOG.warn("The session event {} was not recorded: {}", p.kind(), e.getMessage());
                return false;
            }
        }
        if (!stored) {
            LOG.warn("The session event {} was not stored within {} s", p.kind(), timeout.toSeconds());
        }
        return stored;
    }

    // ---------------------------------------------------------------- reading back

    static List<Unfinished> unfinished(EventStore store) {
        Map<String, Event> startedEvents = new LinkedHashMap<>();
        Map<String, Started> started = new LinkedHashMap<>();
        scan(store, "session.started", e -> read(e, Started.class, s -> {
            started.put(s.session(), s);
            startedEvents.put(s.session(), e);
        }));
        scan(store, "session.ended", e -> read(e, Ended.class, x -> started.remove(x.session())));
        if (started.isEmpty()) {
            return List.of();
        }
        Map<String, String> phases = new HashMap<>();
        scan(store, "session.phase", e -> read(e, Phase.class, p -> {
            if (started.containsKey(p.session())) {
                phases.put(p.session(), p.phase());
            }
        }));
        Map<String, Map<String, AgentStatus>> done = new HashMap<>();
        scan(store, "session.agent_done", e -> read(e, AgentDone.class, d -> {
            if (started.containsKey(d.session())) {
                done.computeIfAbsent(d.session(), x -> new LinkedHashMap<>()).put(d.agent(), d.status());
            }
        }));
        // runs of these sessions that ended without the session recording it
        Map<String, String[]> runOf = new HashMap<>(); // run id -> {session, agent}
        scan(store, "agent.run.started", e -> {
            JsonNode n = tree(e);
            String session = n == null ? null : n.path("session").asText(null);
            if (session != null && started.containsKey(session)) {
                runOf.put(n.path("run").asText(), new String[] {session, n.path("agent").asText()});
            }
        });
        if (!runOf.isEmpty()) {
            scan(store, "agent.run.ended", e -> {
                JsonNode n = tree(e);
                String[] sa = n == null ? null : runOf.get(n.path("run").asText());
                if (sa != null) {
                    Map<String, AgentStatus> d = done.computeIfAbsent(sa[0], x -> new LinkedHashMap<>());
                    d.putIfAbsent(sa[1], new AgentStatus(sa[1], n.path("run").asText(),
                            AgentStatus.State.valueOf(n.path("state").asText("FAILED")), 0, 0, 0,
                            n.path("message").asText(null), null, e.timestamp(), List.of(),
                            n.path("verdict").asText(null)));
                }
            });
        }
        return started.values().stream().map(s -> new Unfinished(startedEvents.get(s.session()), s,
                phases.getOrDefault(s.session(), "INITIALIZING"), done.getOrDefault(s.session(), Map.of()))).toList();
    }

    private static <T> void read(Event e, Class<T> type, Consumer<T> each) {
        try {
            each.accept(JSON.readValue(e.payload(), type));
        } catch (IOException ex) {
            LOG.warn("Skipping an unreadable {} event {}: {}", e.kind(), e.id(), ex.getMessage());
        }
    }

    private static JsonNode tree(Event e) {
        try {
            return JSON.readTree(e.payload());
        } catch (IOException ex) {
            return null;
        }
    }

    private static void scan(EventStore store, String kind, Consumer<Event> each) {
        long cursor = 0;
        while (true) {
            EventPage page = store.query(new EventQuery(kind, null, null, null, null, cursor, PAGE));
            page.events().forEach(each);
            if (page.events().size() < PAGE) {
                return;
            }
            cursor = page.events().get(page.events().size() - 1).seq();
        }
    }
}
