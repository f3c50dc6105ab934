package io.toka.orchestration.internal.agent;

import io.toka.event.EventPayload;
import io.toka.kernel.Kernel;
import java.time.Duration;
import java.util.function.Supplier;

/**
 * Where a run records its steps. A durable run's journal goes to the kernel's batched writer: {@link #post} for a
 * step nothing external waits on, {@link #commit} for the step an action waits on, which returns once it and
 * everything posted before it is stored (one group commit). A run that is not durable records no journal.
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
        void before(EventPayload payload);

        /** Once it is recorded (committed, for {@link #commit}). */
        void after(EventPayload payload);
    }

    private final Supplier<Kernel> kernel;
    private final boolean durable;
    private final Duration timeout;
    private final Hooks hooks;

    RunJournal(Supplier<Kernel> kernel, boolean durable, Duration timeout, Hooks hooks) {
        this.kernel = kernel;
        this.durable = durable;
        this.timeout = timeout;
        this.hooks = hooks;
    }

    boolean durable() {
        return durable;
    }

    /** Records in the background; stored, in order, before the next {@link #commit} returns. */
    void post(EventPayload payload) {
        if (!durable) {
            return;
        }
        if (hooks != null) {
            hooks.before(payload);
        }
        Kernel k = kernel.get();
        if (k != null) {
            k.post(payload);
        }
        if (hooks != null) {
            hooks.after(payload);
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
            hooks.before(payload);
        }
        Kernel k = kernel.get();
        if (k == null) {
            throw new NotRecorded("the kernel is not available to record " + payload.kind());
        }
        if (!k.postAndAwait(payload, timeout)) {
            throw new NotRecorded("the event store did not store " + payload.kind() + " within "
                    + timeout.toSeconds() + " s");
        }
        if (hooks != null) {
            hooks.after(payload);
        }
    }
}
