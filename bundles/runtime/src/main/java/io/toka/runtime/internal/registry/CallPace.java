package io.toka.runtime.internal.registry;

import java.util.concurrent.TimeUnit;

/**
 * How quickly one tool's calls finish, to decide where its next call runs. A tool whose last {@link #STREAK} calls
 * each took less than {@link #QUICK_NANOS} runs on its caller's thread, under a {@link DeadlineWatch} that cancels it
 * at its deadline; that saves the two thread hand-offs of a pooled call, which cost more than such a call itself.
 * Any slower call, and any call that times out, sends the next {@link #STREAK} calls back to the pool, where the
 * caller is answered at the deadline even when the tool ignores interruption. A tool starts on the pool.
 *
 * <p>Updates race benignly: a lost increment only delays the switch to the caller's thread.
 */
final class CallPace {

    /** The longest a call may take and still count as quick. */
    static final long QUICK_NANOS = TimeUnit.MILLISECONDS.toNanos(2);
    /** Consecutive quick calls before calls run on the caller's thread. */
    static final int STREAK = 32;

    private volatile int quick;
    /** Set for good once a call ignored interruption past its deadline: such a tool could pin its callers' threads. */
    private volatile boolean poolOnly;

    /** @return whether the next call may run on its caller's thread */
    boolean inline() {
        return quick >= STREAK && !poolOnly;
    }

    /** Sends every later call to the pool (until the tool's service is registered again). */
    void poolOnly() {
        poolOnly = true;
        quick = 0;
    }

    /** @return whether {@link #poolOnly} was called */
    boolean isPoolOnly() {
        return poolOnly;
    }

    /** Records how long a finished call ran. */
    void finished(long nanos) {
        if (nanos < QUICK_NANOS) {
            int q = quick;
            if (q < STREAK) {
                quick = q + 1;
            }
        } else {
            quick = 0;
        }
    }

    /** Records a call that timed out or overran: back to the pool. */
    void slow() {
        quick = 0;
    }
}
