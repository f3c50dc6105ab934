package io.toka.mcp.internal;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import javax.servlet.AsyncContext;
import javax.servlet.http.HttpServletResponse;

/**
 * The threads that write the long-lived SSE connections (session GET streams, {@code subscriptions/listen}
 * streams), so that whoever sends an event (the list-change fanout, a subscription's notifier) only queues it and
 * never waits for a client: a slow or stuck reader holds up its own connection's writer and nothing else. Each
 * connection queues at most {@link #capacity} events; one more closes it (the client resumes with
 * {@code Last-Event-ID} from the session's event log). Threads are made on demand and end when idle.
 */
final class SseWriters implements AutoCloseable {

    /** Events queued per connection; above a session's event log, so a resuming replay always fits. */
    static final int DEFAULT_CAPACITY = Session.LOG_CAPACITY * 2;

    private final ExecutorService threads;
    private final int capacity;

    SseWriters(int capacity) {
        if (capacity <= Session.LOG_CAPACITY) {
            throw new IllegalArgumentException("an SSE queue must hold more than a session's " + Session.LOG_CAPACITY
                    + " replayable events, not " + capacity);
        }
        this.capacity = capacity;
        AtomicInteger n = new AtomicInteger();
        this.threads = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "toka-mcp-sse-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /** @return a queued connection for an asynchronous SSE response */
    SseConnection connection(HttpServletResponse resp, AsyncContext async) {
        return new SseConnection(resp, async, threads, capacity);
    }

    int capacity() {
        return capacity;
    }

    /** Stops taking work; writes under way finish (or fail) on their own. */
    @Override
    public void close() {
        threads.shutdown();
    }
}
