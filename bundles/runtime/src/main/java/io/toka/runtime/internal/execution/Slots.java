package io.toka.runtime.internal.execution;

import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The concurrency cap of one language: a fair semaphore, so waiting requests are served in arrival order, with
 * counts of running and waiting requests for {@code engines()} and the busy message.
 */
final class Slots {

    final int max;
    private final Semaphore permits;
    private final AtomicInteger running = new AtomicInteger();
    private final AtomicInteger waiting = new AtomicInteger();

    Slots(int max) {
        this.max = max;
        this.permits = new Semaphore(max, true);
    }

    /**
     * Takes a slot, waiting up to the timeout.
     *
     * @return whether a slot was taken
     * @throws InterruptedException if interrupted while waiting
     */
    boolean acquire(long timeoutMillis) throws InterruptedException {
        // the timed tryAcquire, even with a zero wait, honours fairness; the untimed one would jump the queue
        waiting.incrementAndGet();
        try {
            if (!permits.tryAcquire(timeoutMillis, TimeUnit.MILLISECONDS)) {
                return false;
            }
        } finally {
            waiting.decrementAndGet();
        }
        running.incrementAndGet();
        return true;
    }

    void release() {
        running.decrementAndGet();
        permits.release();
    }

    int running() {
        return running.get();
    }

    int waiting() {
        return waiting.get();
    }
}
