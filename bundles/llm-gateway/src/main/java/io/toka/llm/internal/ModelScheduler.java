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
 * wait. Each waiting call has a {@code start}: when it was queued, or, if its agent was granted another call while
 * this one waited, the time of that grant. A slot that frees goes
 * <ul>
 * <li><b>by priority</b>: to the waiting call of highest priority (critical, high, medium, low), and within a
 * priority to the earliest start. Calls of one priority thus go in the order they came, and an agent with several
 * calls queued goes to the back of its priority after each grant: the agents of a priority take turns (round
 * robin);
 * <li><b>unless one is overdue</b>: each {@code aging} a call waits counts as one priority level, i.e. its deadline
 * is {@code start + level x aging} (level: critical 0, high 1, medium 2, low 3). When the earliest deadline belongs
 * to a call of lower priority than the highest waiting, that call is overdue, and it gets the slot if fewer than
 * {@code max(1, maxConcurrent / 4)} slots are held by overdue calls (the <em>aging lane</em>).
 * </ul>
 * So nothing starves: a low call queued at {@code t} is overdue against any call queued after {@code t + 3 x aging},
 * critical included, and overdue calls go through the aging lane, earliest deadline first. And aging does not undo
 * priority under a deep queue: at least three quarters of the slots always go by priority, so critical calls are not
 * queued behind a backlog of old low ones (with plain aging, once every call waits longer than {@code 3 x aging},
 * the order degrades to first come, first served). A slot is never left free while a call waits, and a call that
 * finds a free slot and nobody waiting takes it without queueing.
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
    /** The most slots held at once by calls granted ahead of a higher priority because they were overdue. */
    private final int agingLane;
    private final long agingNanos;
    private final LongSupplier nanoClock;
    private final ReentrantLock lock = new ReentrantLock();

    // guarded by lock
    /** Agents with waiting calls; an agent is here exactly when its line is in {@link #ready}. */
    private final Map<String, Line> lines = new HashMap<>();
    /** Every line with waiting calls, earliest deadline first; {@link #byPriority} holds the same lines. */
    private final TreeSet<Line> ready = new TreeSet<>(Comparator.comparingLong((Line l) -> l.deadline)
            .thenComparingLong(l -> l.sequence));
    /** Highest priority first, then earliest start. */
    private final TreeSet<Line> byPriority = new TreeSet<>(Comparator.comparingInt((Line l) -> l.level)
            .thenComparingLong(l -> l.start).thenComparingLong(l -> l.sequence));
    private final int[] queued = new int[PRIORITIES.length];
    private final Window[] waits = new Window[PRIORITIES.length];
    private int inFlight;
    private int agedInFlight;
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
        this.agingLane = Math.max(1, maxConcurrent / 4);
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
        /** The head's level, start and deadline, and the tie-break: the lower goes first. */
        int level;
        long start;
        long deadline;
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
        boolean overdue;

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
        private final boolean overdue;
        private final AtomicBoolean released = new AtomicBoolean();

        Slot(long waitNanos, boolean overdue) {
            this.waitNanos = waitNanos;
            this.overdue = overdue;
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
                    free(overdue);
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
                return new Slot(0, false);
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
                add(line);
            }
            dispatch();
        } finally {
            lock.unlock();
        }
        while (true) {
            int state = w.state;
            if (state == GRANTED) {
                return new Slot(w.waitNanos, w.overdue);
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
                        remove(line);
                    }
                    line.waiters.remove(w);
                    if (line.waiters.isEmpty()) {
                        lines.remove(line.agent);
                    } else if (head) {
                        rank(line, false);
                        add(line);
                    }
                }
                case GRANTED -> free(w.overdue); // granted between the interrupt and the lock: it goes back
                default -> {
                    // closed: it holds nothing
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /** A slot comes back. Under the lock. */
    private void free(boolean overdue) {
        inFlight--;
        if (overdue) {
            agedInFlight--;
        }
        dispatch();
    }

    /** Hands free slots to waiting calls: by priority, or to an overdue call through the aging lane. Under the lock. */
    private void dispatch() {
        while (inFlight < maxConcurrent && !ready.isEmpty()) {
            Line line = ready.first();
            boolean overdue = false;
            Line top = byPriority.first();
            if (line.level > top.level) {
                // the earliest deadline is a call of lower priority than the highest waiting: it is overdue
                if (agedInFlight < agingLane) {
                    overdue = true;
                } else {
                    line = top;
                }
            }
            remove(line);
            Waiter w = line.waiters.pollFirst();
            int p = w.priority.ordinal();
            queued[p]--;
            long now = nanoClock.getAsLong();
            w.waitNanos = Math.max(0, now - w.queuedAt);
            w.overdue = overdue;
            waits[p].add(w.waitNanos);
            inFlight++;
            if (overdue) {
                agedInFlight++;
                aged++;
            }
            w.state = GRANTED;
            LockSupport.unpark(w.thread);
            if (line.waiters.isEmpty()) {
                lines.remove(line.agent);
            } else {
                line.granted = true;
                line.lastGrant = now;
                rank(line, true);
                add(line);
            }
        }
    }

    private void add(Line line) {
        ready.add(line);
        byPriority.add(line);
    }

    private void remove(Line line) {
        ready.remove(line);
        byPriority.remove(line);
    }

    /**
     * Ranks a line by its head; the line must not be in {@link #ready} or {@link #byPriority}. Under the lock.
     *
     * @param justGranted the agent was granted a slot just now: on a tie it goes behind every line already waiting
     */
    private void rank(Line line, boolean justGranted) {
        Waiter head = line.waiters.peekFirst();
        line.level = head.priority.ordinal();
        line.start = line.granted ? Math.max(head.queuedAt, line.lastGrant) : head.queuedAt;
        line.deadline = line.start + line.level * agingNanos;
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
            byPriority.clear();
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
