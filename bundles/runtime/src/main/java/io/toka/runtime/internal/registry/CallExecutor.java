package io.toka.runtime.internal.registry;

import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * Runs tool calls (and the runtime manager's executions) on a bounded set of worker threads with a low-latency
 * hand-off.
 *
 * <p>Why not a ThreadPoolExecutor: a call must run on a thread other than the caller's so that the caller can be
 * answered at the deadline even when a tool ignores interruption, but a pool's queue hand-off and
 * {@code Future.get} park and unpark a thread each way, which measured about 20 µs per call here. Here a worker that
 * has just finished spins for a short while before parking, and a caller spins briefly before parking on the
 * result, so a busy registry hands calls over without a context switch; idle workers park and cost nothing.
 */
public final class CallExecutor {

    /** How long an idle worker polls for the next call before parking. */
    private static final long WORKER_SPIN_NANOS = TimeUnit.MICROSECONDS.toNanos(50);
    /** How long a caller polls for the result before parking. */
    private static final long CALLER_SPIN_NANOS = TimeUnit.MICROSECONDS.toNanos(20);
    /** How long a parked worker waits for work before its thread ends. */
    private static final long IDLE_NANOS = TimeUnit.SECONDS.toNanos(60);

    private final int maxThreads;
    private final String threadPrefix;
    private final AtomicInteger threads = new AtomicInteger();
    private final AtomicInteger ids = new AtomicInteger();
    /** Idle workers, most recently used first (its caches are warm). */
    private final ConcurrentLinkedDeque<Worker> idle = new ConcurrentLinkedDeque<>();
    /** Every live worker, idle or busy, so that shutdown can reach running calls. */
    private final Set<Worker> workers = ConcurrentHashMap.newKeySet();
    private volatile boolean shutdown;

    public CallExecutor(int maxThreads, String threadPrefix) {
        this.maxThreads = maxThreads;
        this.threadPrefix = threadPrefix;
    }

    /**
     * Starts a call on a worker.
     *
     * @throws RejectedExecutionException if all {@code maxThreads} workers are busy or the executor is shut down
     */
    public <T> Call<T> submit(Callable<T> task) {
        Call<T> call = new Call<>(task);
        while (!shutdown) {
            Worker w = idle.pollFirst();
            if (w != null) {
                if (w.assign(call)) {
                    return call;
                }
                continue; // that worker retired meanwhile
            }
            int n = threads.get();
            if (n >= maxThreads) {
                throw new RejectedExecutionException("all " + maxThreads + " threads are busy");
            }
            if (threads.compareAndSet(n, n + 1)) {
                Worker fresh = new Worker(call);
                workers.add(fresh);
                Thread t = new Thread(fresh, threadPrefix + ids.incrementAndGet());
                t.setDaemon(true);
                t.start();
                return call;
            }
        }
        throw new RejectedExecutionException("shut down");
    }

    /** Stops idle workers and interrupts running calls. */
    public void shutdown() {
        shutdown = true;
        for (Worker w; (w = idle.pollFirst()) != null; ) {
            w.retire();
        }
        for (Worker w : workers) {
            w.cancelCurrent();
        }
    }

    /** A call in progress: await its result, or cancel it (interrupting its thread). */
    public static final class Call<T> {
        private static final int NEW = 0;
        private static final int RUNNING = 1;
        private static final int INTERRUPTING = 2;
        private static final int FINISHED = 3;

        private final Callable<T> task;
        private final AtomicInteger state = new AtomicInteger(NEW);
        private volatile Thread runner;
        private volatile Thread waiter;
        private volatile boolean done;
        /** Set by {@link #abandon}: the waiter stops waiting for the result. */
        private volatile boolean abandoned;
        private T value;
        private Throwable failure;
        /** Run once when the call is done (see {@link #onDone}). */
        private final AtomicReference<Runnable> whenDone = new AtomicReference<>();

        Call(Callable<T> task) {
            this.task = task;
        }

        void run() {
            runner = Thread.currentThread();
            if (!state.compareAndSet(NEW, RUNNING)) {
                // cancelled before it started: still run it, interrupted, so that its clean-up runs
                Thread.currentThread().interrupt();
            }
            try {
                value = task.call();
            } catch (Throwable t) { // NOPMD: handed to the caller
                failure = t;
            }
            while (!state.compareAndSet(RUNNING, FINISHED)) {
                // a cancel is interrupting us: let it finish so the interrupt cannot hit the next call
                if (state.get() == FINISHED) {
                    break;
                }
                Thread.onSpinWait();
            }
            Thread.interrupted(); // clear a late interrupt before this thread takes other work
            done = true;
            Runnable hook = whenDone.getAndSet(null);
            if (hook != null) {
                hook.run();
            }
            Thread w = waiter;
            if (w != null) {
                LockSupport.unpark(w);
            }
        }

        /**
         * @return the task's value
         * @throws TimeoutException if the call is not done within the timeout (it keeps running; see {@link #cancel})
         * @throws CancellationException if {@link #abandon} was called before the call was done
         * @throws InterruptedException if the waiting thread is interrupted
         * @throws Exception whatever the task threw
         */
        public T await(long timeoutNanos) throws Exception {
            long start = System.nanoTime();
            long deadline = start + timeoutNanos;
            while (!done && !abandoned && System.nanoTime() - start < Math.min(CALLER_SPIN_NANOS, timeoutNanos)) {
                Thread.onSpinWait();
            }
            if (!done) {
                waiter = Thread.currentThread();
                while (!done) {
                    if (abandoned) {
                        throw new CancellationException();
                    }
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        throw new TimeoutException();
                    }
                    LockSupport.parkNanos(this, left);
                    if (Thread.interrupted()) {
                        throw new InterruptedException();
                    }
                }
            }
            if (failure instanceof Exception e) {
                throw e;
            }
            if (failure instanceof Error e) {
                throw e;
            }
            return value;
        }

        /**
         * Cancels the call as {@link #cancel} does, and makes a waiting {@link #await} give up at once with a
         * {@link CancellationException} (unless the result is already there). Safe from any thread.
         */
        public void abandon() {
            abandoned = true;
            cancel();
            Thread w = waiter;
            if (w != null) {
                LockSupport.unpark(w);
            }
        }

        /** @return the thread running the call, or {@code null} before it started */
        public Thread runner() {
            return runner;
        }

        /** @return whether the task has returned (or thrown) */
        public boolean isDone() {
            return done;
        }

        /** Runs the action once the call is done: at once if it is, else on the call's thread when it ends. */
        void onDone(Runnable action) {
            whenDone.set(action);
            if (done) {
                Runnable hook = whenDone.getAndSet(null);
                if (hook != null) {
                    hook.run();
                }
            }
        }

        /** @return whether {@link #abandon} was called */
        public boolean isAbandoned() {
            return abandoned;
        }

        /** Interrupts the call's thread if it is still running the call; makes it start interrupted otherwise. */
        public void cancel() {
            if (state.compareAndSet(NEW, FINISHED)) {
                return;
            }
            if (state.compareAndSet(RUNNING, INTERRUPTING)) {
                try {
                    Thread r = runner;
                    if (r != null) {
                        r.interrupt();
                    }
                } finally {
                    state.set(FINISHED);
                }
            }
        }
    }

    private final class Worker implements Runnable {
        private static final Call<?> RETIRED = new Call<>(() -> null);
        private final AtomicReference<Call<?>> slot = new AtomicReference<>();
        private volatile Thread thread;

        Worker(Call<?> first) {
            slot.set(first);
        }

        boolean assign(Call<?> call) {
            if (!slot.compareAndSet(null, call)) {
                return false;
            }
            Thread t = thread;
            if (t != null) {
                LockSupport.unpark(t);
            }
            return true;
        }

        void cancelCurrent() {
            Call<?> call = slot.get();
            if (call != null && call != RETIRED) {
                call.cancel();
            }
        }

        void retire() {
            if (slot.compareAndSet(null, RETIRED)) {
                Thread t = thread;
                if (t != null) {
                    LockSupport.unpark(t);
                }
            }
        }

        @Override
        public void run() {
            thread = Thread.currentThread();
            try {
                while (true) {
                    Call<?> call = slot.get();
                    if (call == RETIRED) {
                        return;
                    }
                    call.run();
                    slot.set(null);
                    if (shutdown) {
                        return;
                    }
                    idle.addFirst(this);
                    if (!awaitWork()) {
                        return;
                    }
                }
            } finally {
                idle.remove(this);
                workers.remove(this);
                threads.decrementAndGet();
            }
        }

        /** Waits for the next call; false if this worker retired (idle too long, or shutdown). */
        private boolean awaitWork() {
            long spinUntil = System.nanoTime() + WORKER_SPIN_NANOS;
            while (slot.get() == null && System.nanoTime() - spinUntil < 0) {
                Thread.onSpinWait();
            }
            long idleUntil = System.nanoTime() + IDLE_NANOS;
            while (slot.get() == null) {
                long left = idleUntil - System.nanoTime();
                if (left <= 0 || shutdown) {
                    if (slot.compareAndSet(null, RETIRED)) {
                        return false;
                    }
                    break; // a call arrived at the last moment
                }
                LockSupport.parkNanos(this, left);
            }
            return slot.get() != RETIRED;
        }
    }
}
