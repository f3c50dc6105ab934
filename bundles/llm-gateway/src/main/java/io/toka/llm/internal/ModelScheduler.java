package io.toka.llm.internal;

import io.toka.llm.LlmException;
import io.toka.llm.LlmException.Reason;
import io.toka.llm.LlmGateway.QueueStats;
import io.toka.llm.LlmGateway.Waits;
import io.toka.llm.LlmRequest.Priority;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;

/**
 * The one queue of model calls to a provider: at most {@code maxConcurrent} calls hold a slot at once; the others
 * wait, and each slot that frees goes to the waiting call of lowest <em>rank</em>:
 *
 * <pre>rank = start + level(priority) x aging        level: critical 0, high 1, medium 2, low 3</pre>
 *
 * where {@code start} is when the call was queued, or, if its agent already had a call granted while this one
 * waited, the time of that grant. So:
 * <ul>
 * <li><b>priority</b>: of two calls queued at about the same time, the higher priority goes first;
 * <li><b>aging</b>: each {@code aging} a call waits counts as one priority level, so a low call queued at {@code t}
 * goes before any call (critical included) queued after {@code t + 3 x aging}: nothing starves, and the longest a
 * call can be overtaken is bounded;
 * <li><b>round robin</b>: calls of one priority go in the order they were queued, and an agent with several calls
 * queued goes to the back of its priority after each grant, so the agents of a priority take turns.
 * </ul>
 * This is earliest-deadline-first with a deadline of {@code level x aging} per priority. A slot is never left free
 * while a call waits, and a call that finds a free slot and nobody waiting takes it without queueing.
 *
 * <p>A waiting call whose thread is interrupted leaves the queue and takes no slot; {@link #close()} wakes every
 * waiting call with an error. One lock guards the queue; waiting threads park and are woken one by one as they are
 * granted a slot, so a release wakes one thread, never all of them.
 */
final class ModelScheduler implements Admission {

    /** The waits kept per priority for the percentiles. */
    static final int WINDOW = 1024;

    private static final Priority[] PRIORITIES = Priority.values();
    private static final int WAITING = 0;
    private static final int GRANTED = 1;
    private static final int CLOSED = 2;
    private static final int CANCELLED = 3;

    private final int maxConcurrent;
    private final long agingNanos;
    private final LongSupplier nanoClock;
    private final ReentrantLock lock = new ReentrantLock();

    // guarded by lock
    /** Agents with waiting calls; an agent is here exactly when its line is in {@link #ready}. */
    private final Map<String, Line> lines = new HashMap<>();
    private final TreeSet<Line> ready = new TreeSet<>(Comparator.comparingLong((Line l) -> l.rank)
            .thenComparingLong(l -> l.sequence));
    private final int[] queued = new int[PRIORITIES.length];
    private final Window[] waits = new Window[PRIORITIES.length];
    private int inFlight;
    private long sequence;
    private long cancelled;
    private long aged;
    private boolean closed;

    /**
     * @param maxConcurrent the most calls holding a slot at once, at least 1
     * @param agingMillis the wait that counts as one priority level, at least 1
     * @param nanoClock {@link System#nanoTime()}, or a test's clock
     */
    ModelScheduler(int maxConcurrent, long agingMillis, LongSupplier nanoClock) {
        if (maxConcurrent < 1) {
            throw new IllegalArgumentException("maxConcurrent must be at least 1, not " + maxConcurrent);
        }
        if (agingMillis < 1) {
            throw new IllegalArgumentException("agingMillis must be at least 1, not " + agingMillis);
        }
        this.maxConcurrent = maxConcurrent;
        this.agingNanos = TimeUnit.MILLISECONDS.toNanos(agingMillis);
        this.nanoClock = nanoClock;
        for (int i = 0; i < waits.length; i++) {
            waits[i] = new Window();
        }
    }

    /** The calls of one agent that wait, oldest first. */
    private static final class Line {
        final String agent;
        final ArrayDeque<Waiter> waiters = new ArrayDeque<>(2);
        /** The head's rank, and the tie-break: the lower goes first. */
        long rank;
        long sequence;
        /** When the agent was last granted a slot while this line existed. */
        long lastGrant;
        boolean granted;

        Line(String agent) {
            this.agent = agent;
        }
    }

    private static final class Waiter {
        final Thread thread;
        final Priority priority;
        final long queuedAt;
        final Line line;
        final long sequence;
        /** WAITING, then GRANTED, CLOSED or CANCELLED; written under the lock, read by the parked thread. */
        volatile int state = WAITING;
        long waitNanos;

        Waiter(Thread thread, Priority priority, long queuedAt, Line line, long sequence) {
            this.thread = thread;
            this.priority = priority;
            this.queuedAt = queuedAt;
            this.line = line;
            this.sequence = sequence;
        }
    }

    private final class Slot implements Admission.Slot {
        private final long waitNanos;
        private final AtomicBoolean released = new AtomicBoolean();

        Slot(long waitNanos) {
            this.waitNanos = waitNanos;
        }

        @Override
        public long waitNanos() {
            return waitNanos;
        }

        @Override
        public void release() {
            if (released.compareAndSet(false, true)) {
                lock.lock();
                try {
                    inFlight--;
                    dispatch();
                } finally {
                    lock.unlock();
                }
            }
        }
    }

    @Override
    public Admission.Slot enter(String agent, Priority priority) throws InterruptedException, LlmException {
        if (Thread.interrupted()) {
            throw new InterruptedException();
        }
        Waiter w;
        lock.lock();
        try {
            if (closed) {
                throw stopped();
            }
            long now = nanoClock.getAsLong();
            if (inFlight < maxConcurrent && ready.isEmpty()) {
                inFlight++;
                waits[priority.ordinal()].add(0);
                return new Slot(0);
            }
            Line line = lines.get(agent);
            boolean fresh = line == null;
            if (fresh) {
                line = new Line(agent);
                lines.put(agent, line);
            }
            w = new Waiter(Thread.currentThread(), priority, now, line, ++sequence);
            line.waiters.addLast(w);
            queued[priority.ordinal()]++;
            if (fresh) {
                rank(line, false);
                ready.add(line);
            }
            dispatch();
        } finally {
            lock.unlock();
        }
        while (true) {
            int state = w.state;
            if (state == GRANTED) {
                return new Slot(w.waitNanos);
            }
            if (state == CLOSED) {
                throw stopped();
            }
            LockSupport.park(this);
            if (Thread.interrupted()) {
                leave(w);
                throw new InterruptedException();
            }
        }
    }

    /** An interrupted waiter leaves the queue, or gives back the slot it was granted meanwhile. */
    private void leave(Waiter w) {
        lock.lock();
        try {
            switch (w.state) {
                case WAITING -> {
                    w.state = CANCELLED;
                    cancelled++;
                    queued[w.priority.ordinal()]--;
                    Line line = w.line;
                    boolean head = line.waiters.peekFirst() == w;
                    if (head) {
                        ready.remove(line);
                    }
                    line.waiters.remove(w);
                    if (line.waiters.isEmpty()) {
                        lines.remove(line.agent);
                    } else if (head) {
                        rank(line, false);
                        ready.add(line);
                    }
                }
                case GRANTED -> {
                    // granted between the interrupt and the lock: the slot was taken for it, so it goes back
                    inFlight--;
                    dispatch();
                }
                default -> {
                    // closed: it holds nothing
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /** Hands free slots to the waiting calls of lowest rank. Under the lock. */
    private void dispatch() {
        while (inFlight < maxConcurrent && !ready.isEmpty()) {
            Line line = ready.pollFirst();
            Waiter w = line.waiters.pollFirst();
            int p = w.priority.ordinal();
            queued[p]--;
            for (int higher = 0; higher < p; higher++) {
                if (queued[higher] > 0) {
                    aged++;
                    break;
                }
            }
            long now = nanoClock.getAsLong();
            w.waitNanos = Math.max(0, now - w.queuedAt);
            waits[p].add(w.waitNanos);
            inFlight++;
            w.state = GRANTED;
            LockSupport.unpark(w.thread);
            if (line.waiters.isEmpty()) {
                lines.remove(line.agent);
            } else {
                line.granted = true;
                line.lastGrant = now;
                rank(line, true);
                ready.add(line);
            }
        }
    }

    /**
     * Ranks a line by its head; the line must not be in {@link #ready}. Under the lock.
     *
     * @param justGranted the agent was granted a slot just now: on a tie it goes behind every line already waiting
     */
    private void rank(Line line, boolean justGranted) {
        Waiter head = line.waiters.peekFirst();
        long start = line.granted ? Math.max(head.queuedAt, line.lastGrant) : head.queuedAt;
        line.rank = start + head.priority.ordinal() * agingNanos;
        if (justGranted) {
            line.sequence = ++sequence;
        } else if (!line.granted) {
            line.sequence = head.sequence;
        }
        // else the head left: the line keeps the tie-break of its last grant
    }

    private static LlmException stopped() {
        return new LlmException(Reason.CONFIGURATION, "The LLM gateway is stopped");
    }

    @Override
    public void close() {
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            for (Line line : lines.values()) {
                for (Waiter w : line.waiters) {
                    w.state = CLOSED;
                    cancelled++;
                    LockSupport.unpark(w.thread);
                }
            }
            lines.clear();
            ready.clear();
            Arrays.fill(queued, 0);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public QueueStats stats(String provider) {
        long[][] samples = new long[PRIORITIES.length][];
        long[] granted = new long[PRIORITIES.length];
        long[] total = new long[PRIORITIES.length];
        int[] waiting;
        int flying;
        long cancelledNow;
        long agedNow;
        lock.lock();
        try {
            for (int p = 0; p < PRIORITIES.length; p++) {
                samples[p] = waits[p].copy();
                granted[p] = waits[p].count;
                total[p] = waits[p].totalNanos;
            }
            waiting = queued.clone();
            flying = inFlight;
            cancelledNow = cancelled;
            agedNow = aged;
        } finally {
            lock.unlock();
        }
        Map<Priority, Waits> byPriority = new EnumMap<>(Priority.class);
        int totalQueued = 0;
        for (int p = 0; p < PRIORITIES.length; p++) {
            long[] s = samples[p];
            Arrays.sort(s);
            byPriority.put(PRIORITIES[p], new Waits(waiting[p], granted[p], millis(total[p]),
                    millis(percentile(s, 0.50)), millis(percentile(s, 0.99)), millis(s.length == 0 ? 0
                            : s[s.length - 1])));
            totalQueued += waiting[p];
        }
        return new QueueStats(provider, maxConcurrent, TimeUnit.NANOSECONDS.toMillis(agingNanos), flying,
                totalQueued, cancelledNow, agedNow, byPriority);
    }

    /** Nearest rank; 0 for no samples. */
    static long percentile(long[] sorted, double q) {
        if (sorted.length == 0) {
            return 0;
        }
        int rank = (int) Math.ceil(q * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length, rank) - 1)];
    }

    private static double millis(long nanos) {
        return nanos / 1e6;
    }

    /** The latest waits of one priority, and totals since the start. Under the lock. */
    private static final class Window {
        final long[] ring = new long[WINDOW];
        int size;
        int next;
        long count;
        long totalNanos;

        void add(long nanos) {
            ring[next] = nanos;
            next = (next + 1) % WINDOW;
            size = Math.min(WINDOW, size + 1);
            count++;
            totalNanos += nanos;
        }

        long[] copy() {
            return Arrays.copyOf(ring, size);
        }
    }
}
