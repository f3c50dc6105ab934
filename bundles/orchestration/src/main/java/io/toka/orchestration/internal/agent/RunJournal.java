package io.toka.orchestration.internal.agent;

import io.toka.event.EventPayload;
import io.toka.kernel.Kernel;
import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;

/**
 * Where a run records its steps. A durable run's journal goes to the kernel's batched writer: {@link #post} for a
 * step nothing outside Toka waits on, kept in order with the run and handed to the kernel with the next
 * {@link #commit}, the step an action waits on, which returns once it and everything posted before it are stored, in
 * one append (one commit). So a tool call costs one commit, whatever steps led to it. A run that is not durable
 * records no journal. {@link #post} and {@link #commit} are for the run's own thread, {@link #handOver} may come
 * from another (a timer while the model thinks), {@link #postNow} is for other threads.
 */
class RunJournal {

    /** The journal of a run that is not durable: records nothing. */
    static final RunJournal OFF = new RunJournal(() -> null, false, Duration.ZERO, null);

    /** A step could not be recorded: the run must not act on it. */
    static final class NotRecorded extends Exception {
        private static final long serialVersionUID = 1L;

        NotRecorded(String message) {
            super(message, null, false, false);
        }
    }

    /** Called around each record, for tests that stop a run at a step boundary. */
    interface Hooks {
        /** Before the payload is recorded. */
        void before(EventPayload payload, RunJournal journal);

        /** Once it is recorded (kept for the next commit, for {@link #post}; stored, for {@link #commit}). */
        void after(EventPayload payload, RunJournal journal);
    }

    private final Supplier<Kernel> kernel;
    private final boolean durable;
    private final Duration timeout;
    private final Hooks hooks;
    /** The run's lease when runs are leased in a cluster (each commit is fenced by it), or null. */
    private volatile HeldLeases.Guard guard;
    /** Posted steps not yet handed to the kernel (guarded by itself). */
    private final java.util.List<EventPayload> pending = new java.util.ArrayList<>();

    RunJournal(Supplier<Kernel> kernel, boolean durable, Duration timeout, Hooks hooks) {
        this.kernel = kernel;
        this.durable = durable;
        this.timeout = timeout;
        this.hooks = hooks;
    }

    boolean durable() {
        return durable;
    }

    /** Fences every further commit with the run's lease: a commit fails once this node no longer holds it. */
    void guardWith(HeldLeases.Guard guard) {
        this.guard = guard;
    }

    HeldLeases.Guard guard() {
        return guard;
    }

    /** Records a step that no action waits on: stored, in order, with the next {@link #commit}. */
    void post(EventPayload payload) {
        if (!durable) {
            return;
        }
        if (hooks != null) {
            hooks.before(payload, this);
        }
        synchronized (pending) {
            pending.add(payload);
        }
        if (hooks != null) {
            hooks.after(payload, this);
        }
    }

    /** Records a step from another thread (a pause, say) in the background, at once. */
    void postNow(EventPayload payload) {
        if (!durable || (guard != null && guard.lost())) {
            return;
        }
        Kernel k = kernel.get();
        if (k != null) {
            k.post(payload);
        }
    }

    /**
     * Hands the posted steps to the kernel's writer without waiting: they are stored while the run waits for something
     * else (the model), and before the next commit returns at the latest.
     */
    void handOver() {
        Kernel k = kernel.get();
        if (k == null || guard != null) {
            return; // a leased run's steps are stored only under its lease, with the next commit
        }
        synchronized (pending) {
            // posted under the lock, so that a commit on the run's thread cannot overtake them
            for (EventPayload p : pending) {
                k.post(p);
            }
            pending.clear();
        }
    }

    /** Stores the posted steps now (for tests that stop a run right after a posted step). */
    void flush() throws NotRecorded, InterruptedException {
        store(null);
    }

    /** Stores the pending steps and then {@code last} (if any) in one group, and waits for it. */
    private void store(EventPayload last) throws NotRecorded, InterruptedException {
        List<EventPayload> group;
        synchronized (pending) {
            group = new java.util.ArrayList<>(pending);
            pending.clear();
        }
        if (last != null) {
            group.add(last);
        }
        if (group.isEmpty()) {
            return;
        }
        Kernel k = kernel.get();
        if (k == null) {
            throw new NotRecorded("the kernel is not available to record " + group.get(group.size() - 1).kind());
        }
        boolean stored;
        HeldLeases.Guard g = guard;
        if (g == null) {
            stored = k.postAllAndAwait(group, timeout);
        } else {
            try {
                stored = g.fenced(() -> k.postAllAndAwait(group, timeout));
            } catch (io.toka.orchestration.spi.LeaseLostException e) {
                throw new NotRecorded(e.getMessage() + "; not acting on " + group.get(group.size() - 1).kind());
            }
        }
        if (!stored) {
            throw new NotRecorded("the event store did not store " + group.get(group.size() - 1).kind()
                    + " within " + timeout.toSeconds() + " s");
        }
    }

    /**
     * Records and waits until it is stored.
     *
     * @throws NotRecorded if the kernel is gone or the store did not store it in time
     * @throws InterruptedException if interrupted while waiting (it may still be stored)
     */
    void commit(EventPayload payload) throws NotRecorded, InterruptedException {
        if (!durable) {
            return;
        }
        if (hooks != null) {
            hooks.before(payload, this);
        }
        store(payload);
        if (hooks != null) {
            hooks.after(payload, this);
        }
    }
}
