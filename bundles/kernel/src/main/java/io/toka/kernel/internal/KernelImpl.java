package io.toka.kernel.internal;

import io.toka.event.Event;
import io.toka.event.EventBus;
import io.toka.event.EventPayload;
import io.toka.event.EventStore;
import io.toka.event.EventSubscriber;
import io.toka.event.Events;
import io.toka.kernel.AgentRuntime;
import io.toka.kernel.CapabilityDeniedException;
import io.toka.kernel.InvalidOperationException;
import io.toka.kernel.Kernel;
import io.toka.kernel.KernelException;
import io.toka.kernel.Message;
import io.toka.kernel.Operation;
import io.toka.kernel.OperationHandler;
import io.toka.kernel.QueuedTask;
import io.toka.security.AuthenticationException;
import io.toka.security.SecurityContext;
import io.toka.security.TokenService;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import io.toka.security.AuditListener;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The kernel. Checks each message in a fixed order, lets the first {@link OperationHandler} (or itself) turn it into
 * one event, stores that event durably, then publishes it. Also records what the rest of Toka reports: directly
 * ({@link #record}) and in the background ({@link #post}).
 */
@Component(service = {Kernel.class, EventBus.class})
public final class KernelImpl implements Kernel, EventBus {

    private static final Logger LOG = LoggerFactory.getLogger(KernelImpl.class);
    /** Events waiting for the background writer. */
    static final int POST_CAPACITY = 65_536;
    /** Most events the background writer stores in one append. */
    static final int POST_BATCH = 512;

    private final TokenService tokens;
    private final EventStore store;
    private final LocalEventBus bus = new LocalEventBus();
    /** Highest ranking first, then oldest service first: the reverse of ServiceReference's natural order. */
    private final Map<ServiceReference<?>, OperationHandler> handlers =
            new ConcurrentSkipListMap<>(java.util.Comparator.reverseOrder());
    private final TaskQueues queues = new TaskQueues();
    /** How long {@link #take} waits for its {@code task.taken} to be stored. */
    static final java.time.Duration TAKE_TIMEOUT = java.time.Duration.ofSeconds(30);
    private final BlockingQueue<Posted> posted = new LinkedBlockingQueue<>(POST_CAPACITY);

    /**
     * A posted event, built on the poster's thread (its id, JSON and digest cost CPU that would otherwise run on the
     * one writer thread, in series with every commit), and the commit its poster waits for ({@code null} when nobody
     * waits).
     */
    private record Posted(Event event, java.util.concurrent.CompletableFuture<Boolean> stored, List<Event> before) {
        Posted(Event event, java.util.concurrent.CompletableFuture<Boolean> stored) {
            this(event, stored, List.of());
        }

        int size() {
            return before.size() + 1;
        }
    }
    /** Posted events not yet stored (or given up on), including the batch the writer is storing. */
    private final AtomicLong postPending = new AtomicLong();
    /** {@link #storeStatistics()}: one uncontended add each per append. */
    private final java.util.concurrent.atomic.LongAdder storedEvents = new java.util.concurrent.atomic.LongAdder();
    private final java.util.concurrent.atomic.LongAdder appends = new java.util.concurrent.atomic.LongAdder();
    private final java.util.concurrent.atomic.LongAdder appendNanos = new java.util.concurrent.atomic.LongAdder();
    private final java.util.concurrent.atomic.LongAdder appendFailures = new java.util.concurrent.atomic.LongAdder();
    private final Thread writer;
    private volatile boolean running = true;
    private volatile ServiceRegistration<AuditListener> auditRegistration;

    /** Runs the agents: admits ScheduleAgentTask and SpawnSubAgent (the orchestration bundle), or none. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    volatile AgentRuntime agentRuntime;

    @Activate
    public KernelImpl(BundleContext context, @Reference TokenService tokens, @Reference EventStore store) {
        this(tokens, store);
        AuditEventRecorder recorder = new AuditEventRecorder();
        recorder.setKernel(this);
        // registered by hand, not as a component: see AuditEventRecorder
        this.auditRegistration = context.registerService(AuditListener.class, recorder, null);
    }

    /** Without a framework (tests): token events are not wired to the audit log. */
    public KernelImpl(TokenService tokens, EventStore store) {
        this.tokens = tokens;
        this.store = store;
        this.writer = new Thread(this::writePosted, "toka-event-writer");
        writer.setDaemon(true);
        int queued = queues.rebuild(store);
        writer.start();
        LOG.info("Kernel started on the {} event store (last event {}; {} queued task(s) restored)", store.type(),
                store.lastSeq(), queued);
    }

    @Deactivate
    public void deactivate() {
        ServiceRegistration<AuditListener> r = auditRegistration;
        if (r != null) {
            try {
                r.unregister();
            } catch (IllegalStateException alreadyGone) {
                // the framework is stopping
            }
        }
        running = false;
        writer.interrupt();
        try {
            writer.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        bus.closeAll();
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void addHandler(ServiceReference<OperationHandler> ref, OperationHandler handler) {
        handlers.put(ref, handler);
    }

    void removeHandler(ServiceReference<OperationHandler> ref) {
        handlers.remove(ref);
    }

    /** For tests without a framework: the agent runtime, or null for none. */
    public void setAgentRuntime(AgentRuntime runtime) {
        this.agentRuntime = runtime;
    }

    /** For tests without a framework: handlers in the order given. */
    void addHandlerForTest(ServiceReference<?> ref, OperationHandler handler) {
        handlers.put(ref, handler);
    }

    // ---------------------------------------------------------------- submit

    @Override
    public Event submit(Message message) throws KernelException {
        Operation op = validate(message);
        SecurityContext caller;
        try {
            caller = tokens.authenticate(message.capability());
        } catch (AuthenticationException e) {
            throw new CapabilityDeniedException("capability denied");
        }
        if (!caller.subject().equals(message.origin())) {
            throw new CapabilityDeniedException("capability denied: the token's subject is not the origin '"
                    + message.origin() + "'");
        }
        if (!caller.isPermitted(op.permission())) {
            throw new CapabilityDeniedException("capability denied: " + name(op) + " needs permission '"
                    + op.permission() + "'");
        }
        TaskQueues.AgentQueue queue = null;
        if (op instanceof Operation.ScheduleAgentTask s) {
            queue = queues.reserve(s.agent());
        }
        boolean enqueued = false;
        AgentRuntime.Admission admission = null;
        boolean recorded = false;
        try {
            EventPayload payload = null;
            for (OperationHandler h : handlers.values()) {
                Optional<EventPayload> p = h.handle(op, caller);
                if (p != null && p.isPresent()) {
                    payload = p.get();
                    break;
                }
            }
            boolean builtIn = payload == null;
            if (builtIn) {
                if (!(op instanceof Operation.EmitObservation)) {
                    admission = admit(op, caller);
                }
                payload = builtIn(op, caller);
            }
            Event created;
            try {
                created = Events.create(payload, List.of());
            } catch (IllegalArgumentException e) {
                throw new InvalidOperationException("the operation's event is invalid: " + e.getMessage());
            }
            Event event = append(created);
            recorded = true;
            if (builtIn && op instanceof Operation.ScheduleAgentTask s) {
                queues.add(queue, new QueuedTask(event.id(), s.agent(), s.task().trim(), caller.subject(),
                        event.timestamp()));
                enqueued = true;
            }
            if (admission != null) {
                try {
                    admission.recorded(event);
                } catch (RuntimeException e) {
                    // the event is stored: the runtime must recover from it (a queued task stays queued)
                    LOG.error("The agent runtime failed to act on {} {}", event.kind(), event.id(), e);
                }
            }
            bus.publish(event);
            return event;
        } finally {
            if (queue != null && !enqueued) {
                queues.release(((Operation.ScheduleAgentTask) op).agent(), queue);
            }
            if (admission != null && !recorded) {
                admission.abandoned();
            }
        }
    }

    /** The agent runtime admits or refuses a ScheduleAgentTask or SpawnSubAgent; without one, it is refused. */
    private AgentRuntime.Admission admit(Operation op, SecurityContext caller) throws KernelException {
        AgentRuntime runtime = agentRuntime;
        if (runtime == null) {
            throw new InvalidOperationException("no agent runtime is installed (feature toka-agents), so agent '"
                    + op.agent() + "' is unknown: " + name(op) + " cannot be carried out");
        }
        AgentRuntime.Admission a = runtime.admit(op, caller);
        if (a == null) {
            throw new IllegalStateException("the agent runtime admitted " + name(op) + " without an admission");
        }
        return a;
    }

    private static String name(Operation op) {
        return op.getClass().getSimpleName();
    }

    private static EventPayload builtIn(Operation op, SecurityContext caller) {
        if (op instanceof Operation.ScheduleAgentTask s) {
            return new EventPayload.TaskScheduled(s.agent(), s.task().trim(), caller.subject(), true);
        }
        if (op instanceof Operation.SpawnSubAgent s) {
            return new EventPayload.AgentSpawned(s.parent(), s.name(), caller.subject());
        }
        Operation.EmitObservation o = (Operation.EmitObservation) op;
        return new EventPayload.ObservationEmitted(o.agent(), Base64.getEncoder().encodeToString(o.data()), o.size(),
                caller.subject());
    }

    /** Step 1: the message is well-formed. The messages follow the original system's. */
    static Operation validate(Message m) throws InvalidOperationException {
        if (m == null) {
            throw new InvalidOperationException("message is required");
        }
        identifier("Origin", m.origin());
        String cap = m.capability();
        if (cap == null || cap.isBlank()) {
            throw new InvalidOperationException("Capability token cannot be empty");
        }
        if (cap.length() > 8192) {
            throw new InvalidOperationException("Capability token too long: " + cap.length() + " > 8192");
        }
        Operation op = m.operation();
        if (op == null) {
            throw new InvalidOperationException("operation is required: ScheduleAgentTask, SpawnSubAgent or EmitObservation");
        }
        if (op instanceof Operation.ScheduleAgentTask s) {
            identifier("Agent id", s.agent());
            String task = s.task() == null ? "" : s.task().trim();
            if (task.length() > Operation.MAX_TASK_CHARS) {
                throw new InvalidOperationException("Task description too long: " + task.length() + " > "
                        + Operation.MAX_TASK_CHARS);
            }
            if (task.isEmpty()) {
                throw new InvalidOperationException("Task description cannot be empty");
            }
        } else if (op instanceof Operation.SpawnSubAgent s) {
            identifier("Parent agent id", s.parent());
            identifier("Agent name", s.name());
            if (s.config() != null && s.config().isBlank()) {
                throw new InvalidOperationException("Agent configuration cannot be blank: give a full configuration,"
                        + " or none to spawn the defined agent '" + s.name() + "'");
            }
            if (s.config() != null && s.config().length() > Operation.MAX_CONFIG_CHARS) {
                throw new InvalidOperationException("Agent configuration too long: " + s.config().length() + " > "
                        + Operation.MAX_CONFIG_CHARS);
            }
        } else if (op instanceof Operation.EmitObservation o) {
            identifier("Agent id", o.agent());
            if (o.size() > Operation.MAX_OBSERVATION_BYTES) {
                throw new InvalidOperationException("Observation data too large: " + o.size() + " > "
                        + Operation.MAX_OBSERVATION_BYTES);
            }
        }
        return op;
    }

    private static void identifier(String what, String value) throws InvalidOperationException {
        if (value == null || value.isBlank()) {
            throw new InvalidOperationException(what + " cannot be empty");
        }
        if (value.length() > Operation.MAX_AGENT_CHARS) {
            throw new InvalidOperationException(what + " too long: " + value.length() + " > " + Operation.MAX_AGENT_CHARS);
        }
    }

    // ---------------------------------------------------------------- recording

    @Override
    public Event record(EventPayload payload, List<Event> parents) {
        Event event = append(Events.create(payload, parents == null ? List.of() : parents));
        bus.publish(event);
        return event;
    }

    /** Appends one event, counted in {@link #storeStatistics()}. */
    private Event append(Event event) {
        long started = System.nanoTime();
        boolean stored = false;
        try {
            Event e = store.append(event);
            stored = true;
            return e;
        } finally {
            counted(started, stored ? 1 : -1);
        }
    }

    /** Appends a batch, counted in {@link #storeStatistics()}. */
    private List<Event> append(List<Event> events) {
        long started = System.nanoTime();
        int stored = -1;
        try {
            List<Event> appended = store.append(events);
            stored = appended.size();
            return appended;
        } finally {
            counted(started, stored);
        }
    }

    /** @param stored events stored by the append, or -1 if it failed */
    private void counted(long started, int stored) {
        appendNanos.add(System.nanoTime() - started);
        appends.increment();
        if (stored < 0) {
            appendFailures.increment();
        } else {
            storedEvents.add(stored);
        }
    }

    @Override
    public StoreStatistics storeStatistics() {
        return new StoreStatistics(storedEvents.sum(), appends.sum(), appendNanos.sum(), appendFailures.sum(),
                Math.max(0, postPending.get()));
    }

    @Override
    public void post(EventPayload payload) {
        Event event = created(payload);
        if (event != null) {
            enqueue(new Posted(event, null));
        }
    }

    @Override
    public boolean postAndAwait(EventPayload payload, java.time.Duration timeout) throws InterruptedException {
        Event event = created(payload);
        if (event == null) {
            return false;
        }
        Posted p = new Posted(event, new java.util.concurrent.CompletableFuture<>());
        enqueue(p);
        try {
            return p.stored().get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            return false;
        } catch (java.util.concurrent.ExecutionException e) {
            return false;
        }
    }

    /**
     * Posts several events as one entry of the writer's queue, so that they are stored in one append (one commit),
     * together, and waits for it: for a caller that records a few steps and must not act before all are stored.
     */
    @Override
    public boolean postAllAndAwait(List<EventPayload> payloads, java.time.Duration timeout)
            throws InterruptedException {
        if (payloads.isEmpty()) {
            return true;
        }
        List<Event> before = new ArrayList<>(payloads.size() - 1);
        for (int i = 0; i < payloads.size() - 1; i++) {
            Event e = created(payloads.get(i));
            if (e != null) {
                before.add(e);
            }
        }
        Event last = created(payloads.get(payloads.size() - 1));
        if (last == null) {
            return false;
        }
        Posted p = new Posted(last, new java.util.concurrent.CompletableFuture<>(), List.copyOf(before));
        enqueue(p);
        try {
            return p.stored().get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            return false;
        } catch (java.util.concurrent.ExecutionException e) {
            return false;
        }
    }

    /** @return the event of a posted payload, or {@code null} (logged) if it is invalid: it is dropped */
    private static Event created(EventPayload payload) {
        try {
            return Events.create(payload, List.of());
        } catch (IllegalArgumentException e) {
            LOG.warn("Dropping an invalid {} event: {}", payload.kind(), e.getMessage());
            return null;
        }
    }

    private void enqueue(Posted entry) {
        Event event = entry.event();
        postPending.addAndGet(entry.size());
        // Back-pressure, never a drop: a full queue makes the poster wait for the writer (group commits of up to
        // POST_BATCH events), so every posted event (tool calls, audit records) is stored, in order.
        boolean interrupted = false;
        long waitedMillis = 0;
        try {
            while (true) {
                try {
                    if (posted.offer(entry, 1, TimeUnit.SECONDS)) {
                        return;
                    }
                    waitedMillis += 1000;
                    if (waitedMillis % 10_000 == 0) {
                        LOG.warn("Event writer is {} events behind; a {} event has waited {} s to be queued",
                                POST_CAPACITY, event.kind(), waitedMillis / 1000);
                    }
                } catch (InterruptedException e) {
                    interrupted = true; // keep the event; restore the flag once it is queued
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void writePosted() {
        List<Posted> batch = new ArrayList<>(POST_BATCH);
        while (running || !posted.isEmpty()) {
            try {
                Posted first = posted.poll(200, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                batch.add(first);
            } catch (InterruptedException e) {
                if (posted.isEmpty()) {
                    return;
                }
            }
            posted.drainTo(batch, POST_BATCH - batch.size());
            int taken = 0;
            List<Event> events = new ArrayList<>(batch.size());
            List<java.util.concurrent.CompletableFuture<Boolean>> waiting = new ArrayList<>();
            for (Posted posting : batch) {
                if (posting.stored() != null) {
                    waiting.add(posting.stored());
                }
                events.addAll(posting.before());
                events.add(posting.event());
                taken += posting.size();
            }
            batch.clear();
            List<Event> appended = null;
            try {
                appended = append(events);
            } catch (RuntimeException e) {
                // any store failure, expected (EventStoreException) or not, must not end the writer
                LOG.error("Could not store {} background event(s): {}", events.size(), e.toString());
            } finally {
                // before the waiters are told: a caller that returns sees these events no longer pending
                postPending.addAndGet(-taken);
            }
            Boolean stored = appended != null;
            waiting.forEach(w -> w.complete(stored));
            if (appended != null) {
                try {
                    for (Event e : appended) {
                        bus.publish(e);
                    }
                } catch (RuntimeException e) {
                    LOG.error("Could not publish {} stored background event(s): {}", appended.size(), e.toString());
                }
            }
        }
    }

    /** Waits until every posted event has been stored (for tests and orderly shutdown). */
    boolean awaitPosted(long timeoutMillis) throws InterruptedException {
        long end = System.currentTimeMillis() + timeoutMillis;
        while (postPending.get() > 0 && System.currentTimeMillis() < end) {
            Thread.onSpinWait();
            Thread.sleep(1);
        }
        return postPending.get() <= 0;
    }

    // ---------------------------------------------------------------- tasks

    @Override
    public int queuedTasks(String agent) {
        return queues.size(agent);
    }

    @Override
    public Optional<String> takeTask(String agent) {
        return take(agent, "kernel").map(QueuedTask::task);
    }

    @Override
    public List<QueuedTask> queued(String agent) {
        return queues.queued(agent);
    }

    /**
     * Takes the oldest task, records {@code task.taken} through the background writer and waits for its commit. If the
     * store refuses it, the task goes back to the front of the queue; if the commit is merely late (over
     * {@link #TAKE_TIMEOUT}, or the caller is interrupted), the task is not returned, and goes back only if the write
     * then fails.
     */
    @Override
    public Optional<QueuedTask> take(String agent, String consumer) {
        Optional<QueuedTask> polled = queues.poll(agent);
        if (polled.isEmpty()) {
            return polled;
        }
        QueuedTask t = polled.get();
        Event event = created(new EventPayload.TaskTaken(agent, t.id(), t.task(),
                consumer == null || consumer.isBlank() ? "kernel" : consumer));
        if (event == null) {
            queues.putBack(t);
            return Optional.empty();
        }
        Posted p = new Posted(event, new java.util.concurrent.CompletableFuture<>());
        enqueue(p);
        try {
            if (Boolean.TRUE.equals(p.stored().get(TAKE_TIMEOUT.toNanos(), TimeUnit.NANOSECONDS))) {
                return polled;
            }
            queues.putBack(t);
            LOG.warn("Task {} of agent {} stays queued: its task.taken could not be stored", t.id(), agent);
            return Optional.empty();
        } catch (InterruptedException | java.util.concurrent.TimeoutException e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            p.stored().thenAccept(stored -> {
                if (!Boolean.TRUE.equals(stored)) {
                    queues.putBack(t);
                }
            });
            LOG.warn("Task {} of agent {} was not handed to {}: its task.taken was not stored in time", t.id(),
                    agent, consumer);
            return Optional.empty();
        } catch (java.util.concurrent.ExecutionException e) {
            queues.putBack(t);
            return Optional.empty();
        }
    }

    @Override
    public int dropTasks(String agent, String reason) {
        List<QueuedTask> dropped = queues.drain(agent);
        if (dropped.isEmpty()) {
            return 0;
        }
        try {
            record(new EventPayload.TasksDropped(agent, dropped.size(), reason == null || reason.isBlank()
                    ? "dropped" : reason), List.of());
        } catch (RuntimeException e) {
            // not recorded: after a restart they would be queued again, so keep them queued now too
            dropped.forEach(queues::putBack);
            throw e;
        }
        LOG.info("Dropped {} queued task(s) of agent {}: {}", dropped.size(), agent, reason);
        return dropped.size();
    }

    /** For tests: how many agents have a queue object. */
    int queueObjects() {
        return queues.agents();
    }

    // ---------------------------------------------------------------- bus

    @Override
    public Subscription subscribe(EventSubscriber subscriber, int capacity) {
        return bus.subscribe(subscriber, capacity);
    }
}
