package io.toka.orchestration.internal.agent;

import io.toka.event.Event;
import io.toka.event.EventPage;
import io.toka.event.EventPayload;
import io.toka.event.EventQuery;
import io.toka.event.EventStore;
import io.toka.event.EventStoreException;
import io.toka.kernel.internal.KernelImpl;
import io.toka.store.internal.CloseableEventStore;
import io.toka.store.internal.MemoryEventStore;
import io.toka.store.internal.SqliteEventStore;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Durable agents over the real kernel and a real event store (memory, SQLite or PostgreSQL), around an
 * {@link AgentFixture} (real registry, tools and tokens; scripted gateway). A crash is simulated by freezing the
 * store (nothing more is stored, as after a kill -9) and throwing away the kernel and the agent service with all
 * their memory; {@link #restart} builds new ones on the same store, which rebuild the runs from their journals.
 */
public final class DurableFixture implements AutoCloseable {

    /** Thrown into a run at a step boundary: it unwinds the run thread like a process that died there. */
    public static final class Crash extends Error {
        private static final long serialVersionUID = 1L;

        public Crash(String where) {
            super("simulated crash " + where, null, false, false);
        }
    }

    /** A store that can be frozen: appends then fail, as if the process had died. */
    static final class FreezableStore implements EventStore {
        final EventStore store;
        volatile boolean frozen;

        FreezableStore(EventStore store) {
            this.store = store;
        }

        @Override
        public String type() {
            return store.type();
        }

        @Override
        public List<Event> append(List<Event> events) {
            if (frozen) {
                throw new EventStoreException("the process is dead (simulated crash)");
            }
            return store.append(events);
        }

        @Override
        public EventPage query(EventQuery query) {
            return store.query(query);
        }

        @Override
        public Optional<Event> find(String id) {
            return store.find(id);
        }

        @Override
        public long lastSeq() {
            return store.lastSeq();
        }

        @Override
        public long count() {
            return store.count();
        }

        @Override
        public long prune(Instant olderThan, long keepAtMost) {
            return store.prune(olderThan, keepAtMost);
        }
    }

    /** Opens the store (again, after a crash: a new connection to the same database). */
    public interface Opener {
        CloseableEventStore open() throws Exception;
    }

    public final AgentFixture f;
    public CloseableEventStore backing;
    FreezableStore store;
    private final Opener opener;
    public KernelImpl kernel;
    public AgentServiceImpl agents;
    private int maxConcurrent = 4;
    private boolean durable = true;

    /** Over an in-memory store. */
    public DurableFixture(Path dir) throws Exception {
        this(dir, new MemoryEventStore(), null);
    }

    /**
     * @param opener reopens the store after a crash (a database), or null to keep the same store object (memory)
     */
    public DurableFixture(Path dir, CloseableEventStore backing, Opener opener) throws Exception {
        this.f = new AgentFixture(dir);
        this.backing = backing;
        this.store = new FreezableStore(backing);
        this.opener = opener;
    }

    /** Over a SQLite file in the directory, reopened after each crash. */
    public static DurableFixture sqlite(Path dir) throws Exception {
        Path file = dir.resolve("events.db");
        return new DurableFixture(dir, SqliteEventStore.open(file), () -> SqliteEventStore.open(file));
    }

    /** The runtime's durability switch for the next start. */
    public DurableFixture durable(boolean on) {
        this.durable = on;
        return this;
    }

    public Settings settings() {
        return new Settings(maxConcurrent, 1, 8, 3, 4096, Duration.ofMinutes(120), 0.3, 8192, durable,
                f.dir.resolve("agent-state"), Duration.ofSeconds(30), true, Duration.ofSeconds(5));
    }

    /** Starts a kernel and an agent service on the store, and rebuilds what is unfinished. */
    public AgentServiceImpl start(int maxConcurrentAgents) {
        this.maxConcurrent = maxConcurrentAgents;
        kernel = new KernelImpl(f.authority, store);
        agents = new AgentServiceImpl(f.catalog, f.llm, f.registry, f.authority, kernel, store, settings());
        kernel.setAgentRuntime(agents);
        f.agents = agents;
        agents.recover();
        return agents;
    }

    /** What the latest {@link #restart} rebuilt. */
    Recovery.Report lastRecovery;

    /**
     * Freezes the store, then throws away the agent service and the kernel. Runs stop where they are; nothing they
     * do after this is stored.
     */
    public void crash() throws InterruptedException {
        store.frozen = true;
        if (agents != null) {
            agents.deactivate();
        }
        if (kernel != null) {
            kernel.setAgentRuntime(null);
            kernel.deactivate();
        }
        agents = null;
        kernel = null;
    }

    /** A new kernel and agent service on the same store (and the same tokens, tools and model). */
    public AgentServiceImpl restart() throws Exception {
        if (opener != null) {
            backing.close();
            backing = opener.open();
            store = new FreezableStore(backing);
        }
        store.frozen = false;
        kernel = new KernelImpl(f.authority, store);
        agents = new AgentServiceImpl(f.catalog, f.llm, f.registry, f.authority, kernel, store, settings());
        kernel.setAgentRuntime(agents);
        f.agents = agents;
        lastRecovery = agents.recover();
        return agents;
    }

    /** Stops the store from storing anything more (the first half of a crash). */
    public void freeze() {
        store.frozen = true;
    }

    /** Every stored event, oldest first. */
    public List<Event> events() {
        List<Event> out = new ArrayList<>();
        long after = 0;
        while (true) {
            EventPage p = backing.query(EventQuery.after(after, EventQuery.MAX_LIMIT));
            out.addAll(p.events());
            if (p.events().size() < EventQuery.MAX_LIMIT) {
                return out;
            }
            after = p.events().get(p.events().size() - 1).seq();
        }
    }

    /** The stored run events of an agent, read back. */
    List<RunEvents.RunEvent> journalOf(String agent) {
        List<RunEvents.RunEvent> out = new ArrayList<>();
        for (Event e : events()) {
            if (agent.equals(e.agent())) {
                RunEvents.read(e).ifPresent(out::add);
            }
        }
        return out;
    }

    /** Waits until everything posted so far is stored (a marker event committed after it). */
    public void flush() throws InterruptedException {
        if (kernel != null) {
            kernel.postAndAwait(new EventPayload.SystemError("test", "flush"), Duration.ofSeconds(10));
        }
    }

    @Override
    public void close() throws Exception {
        if (agents != null) {
            agents.deactivate();
        }
        if (kernel != null) {
            kernel.deactivate();
        }
        f.agents = null;
        f.close();
        backing.close();
    }
}
