package io.toka.http.internal;

import java.lang.management.ManagementFactory;

/**
 * The resource bound every fuzz target checks per input: the bytes its thread allocated while handling one input
 * (a count of allocations, not a timing, so it does not depend on the machine's load). The time bound is Jazzer's
 * per-input timeout, set by the {@code fuzz} profile (see the README's Reliability section).
 */
final class FuzzBounds {

    /** More than this for one input (at most a few KiB of fuzz data) means a parser that amplifies its input. */
    static final long MAX_ALLOCATED_BYTES = 256L << 20;

    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    private FuzzBounds() {
    }

    /** Runs one input's handling and fails if it allocated more than {@link #MAX_ALLOCATED_BYTES}. */
    static void check(String what, Runnable handling) {
        long id = Thread.currentThread().getId();
        long before = THREADS.getThreadAllocatedBytes(id);
        handling.run();
        long used = THREADS.getThreadAllocatedBytes(id) - before;
        if (used > MAX_ALLOCATED_BYTES) {
            throw new AssertionError(what + " allocated " + (used >> 20) + " MiB for one input (bound "
                    + (MAX_ALLOCATED_BYTES >> 20) + " MiB)");
        }
    }
}
