package io.toka.runtime.internal.registry;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Enforces the timeouts of calls that run on their caller's thread (see {@link CallPace}): one daemon thread looks at
 * the watched calls every {@link #TICK_NANOS} while there are any, and cancels (interrupts) each call whose deadline
 * has passed, marking its watch {@linkplain Watch#expired() expired} so that the call is answered as a timeout
 * whatever the tool returns afterwards. It parks after {@link #IDLE_NANOS} with nothing to watch; arming and disarming
 * a watch is a set insert and removal, no thread hand-off (only the first arm after such a pause wakes the thread).
 */
final class DeadlineWatch {

    /** How often the watch looks at the deadlines while calls are watched: the precision of an inline timeout. */
    static final long TICK_NANOS = TimeUnit.MILLISECONDS.toNanos(5);
    /** How long the watch keeps ticking with nothing to watch before it parks until the next {@link #arm}. */
    static final long IDLE_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final Set<Watch> watched = ConcurrentHashMap.newKeySet();
    private final Thread thread;
    private volatile boolean parked;
    private volatile boolean stopped;

    /** A watched call. */
    static final class Watch {
        private final CallExecutor.Call<?> call;
        private final long deadline;
        private final Runnable onExpiry;
        private volatile boolean expired;

        private Watch(CallExecutor.Call<?> call, long deadline, Runnable onExpiry) {
            this.call = call;
            this.deadline = deadline;
            this.onExpiry = onExpiry;
        }

        /** @return whether the deadline passed while the call ran (it was then cancelled) */
        boolean expired() {
            return expired;
        }
    }

    DeadlineWatch(String threadName) {
        thread = new Thread(this::run, threadName);
        thread.setDaemon(true);
        thread.start();
    }

    /**
     * Watches a call until {@link #disarm}.
     *
     * @param deadline a {@link System#nanoTime()} value; when it passes, the call is cancelled
     */
    Watch arm(CallExecutor.Call<?> call, long deadline) {
        return arm(call, deadline, null);
    }

    /**
     * Watches a call until {@link #disarm}, and runs an action on the watch thread if its deadline passes first.
     *
     * @param deadline a {@link System#nanoTime()} value; when it passes, the call is cancelled
     * @param onExpiry run after the cancel, or {@code null}
     */
    Watch arm(CallExecutor.Call<?> call, long deadline, Runnable onExpiry) {
        Watch w = new Watch(call, deadline, onExpiry);
        watched.add(w);
        if (parked) {
            LockSupport.unpark(thread);
        }
        return w;
    }

    /** Stops watching a call (it finished). */
    void disarm(Watch w) {
        watched.remove(w);
    }

    /** Ends the watch thread; watched calls are no longer cancelled at their deadline. */
    void shutdown() {
        stopped = true;
        LockSupport.unpark(thread);
    }

    /** @return how many calls are watched (for tests) */
    int size() {
        return watched.size();
    }

    private void run() {
        long emptySince = System.nanoTime();
        while (!stopped) {
            long now = System.nanoTime();
            if (watched.isEmpty()) {
                if (now - emptySince < IDLE_NANOS) {
                    // keep ticking for a while: between the calls of one caller the set is empty for a moment, and
                    // parking then would make every arm() pay for waking this thread
                    LockSupport.parkNanos(this, TICK_NANOS);
                    continue;
                }
                parked = true;
                if (watched.isEmpty() && !stopped) {
                    LockSupport.park(this);
                }
                parked = false;
                emptySince = System.nanoTime();
                continue;
            }
            emptySince = now;
            long next = now + TICK_NANOS;
            for (Watch w : watched) {
                if (now - w.deadline >= 0) {
                    w.expired = true;
                    watched.remove(w);
                    w.call.cancel();
                    if (w.onExpiry != null) {
                        try {
                            w.onExpiry.run();
                        } catch (RuntimeException e) {
                            // accounting only; the watch thread must keep watching
                        }
                    }
                } else if (w.deadline - next < 0) {
                    next = w.deadline;
                }
            }
            LockSupport.parkNanos(this, Math.max(1, next - System.nanoTime()));
        }
    }
}
