package io.toka.mcp.internal;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import javax.servlet.AsyncContext;
import javax.servlet.http.HttpServletResponse;

/**
 * One HTTP response in Server-Sent Events mode: the headers, then events ({@code id}, {@code event: message},
 * {@code data}) and comments, each flushed. Two kinds:
 * <ul>
 * <li>direct: the SSE answer of a POST, written on the request's own thread (a blocked write holds up only that
 * request);</li>
 * <li>queued: an asynchronous GET or {@code subscriptions/listen} stream, whose {@link AsyncContext} is completed
 * by {@link #close()}. {@link #event} only queues, and one writer at a time (from {@link SseWriters}) drains the
 * queue, so a sender never waits for the client. A full queue closes the connection at once: the write that
 * found it full throws, as a broken one does. A failed write in the writer runs the {@link #onFailure} action.</li>
 * </ul>
 * Thread-safe; every refused or failed write throws {@link IOException}, after which the connection counts as closed.
 */
final class SseConnection {

    private static final byte[] KEEP_ALIVE = ":\n\n".getBytes(StandardCharsets.US_ASCII);

    private final HttpServletResponse resp;
    private final AsyncContext async;
    private final Executor writer;
    private final int capacity;
    private final ArrayDeque<byte[]> queue = new ArrayDeque<>();
    private OutputStream out;
    private boolean closed;
    /** A graceful close waits for the queue to drain. */
    private boolean closing;
    private boolean draining;
    private volatile Runnable onFailure;

    /** A direct connection. @param async the request's async context, or {@code null} (a POST's own thread) */
    SseConnection(HttpServletResponse resp, AsyncContext async) {
        this(resp, async, null, 0);
    }

    /** A queued connection when {@code writer} is set. */
    SseConnection(HttpServletResponse resp, AsyncContext async, Executor writer, int capacity) {
        this.resp = resp;
        this.async = async;
        this.writer = writer;
        this.capacity = capacity;
    }

    /** What to run when a queued write fails in the writer (the client is gone); once. */
    void onFailure(Runnable action) {
        this.onFailure = action;
    }

    /** Sends the headers (status 200, text/event-stream, no caching or proxy buffering) and flushes them. */
    synchronized void open() throws IOException {
        resp.setStatus(200);
        resp.setContentType("text/event-stream");
        resp.setHeader("Cache-Control", "no-cache, no-store");
        resp.setHeader("X-Accel-Buffering", "no");
        out = resp.getOutputStream();
        resp.flushBuffer();
    }

    /**
     * @param id the event id, or {@code null} for none
     * @param data one line of JSON (Jackson's compact output has no line breaks), or empty for a priming event
     * @param retryMillis a reconnection delay to announce, or 0
     */
    void event(String id, String data, long retryMillis) throws IOException {
        StringBuilder sb = new StringBuilder(data.length() + 48);
        if (id != null) {
            sb.append("id: ").append(id).append('\n');
        }
        if (retryMillis > 0) {
            sb.append("retry: ").append(retryMillis).append('\n');
        }
        if (!data.isEmpty()) {
            sb.append("event: message\n");
        }
        sb.append("data: ").append(data).append("\n\n");
        write(sb.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** A comment line: keeps intermediaries from closing a quiet stream, and finds a client that is gone. */
    void keepAlive() throws IOException {
        write(KEEP_ALIVE);
    }

    private void write(byte[] bytes) throws IOException {
        if (writer == null) {
            writeNow(bytes);
            return;
        }
        boolean start;
        synchronized (this) {
            if (closed || closing) {
                throw new IOException("the SSE connection is closed");
            }
            if (queue.size() >= capacity) {
                abortLocked();
                throw new IOException("the client reads too slowly: " + capacity + " events were waiting, so the "
                        + "connection is closed (resume with Last-Event-ID)");
            }
            queue.add(bytes);
            start = !draining;
            draining = true;
        }
        if (start) {
            try {
                writer.execute(this::drain);
            } catch (RejectedExecutionException stopping) {
                synchronized (this) {
                    abortLocked();
                }
                throw new IOException("the MCP endpoint is stopping");
            }
        }
    }

    private synchronized void writeNow(byte[] bytes) throws IOException {
        if (closed) {
            throw new IOException("the SSE connection is closed");
        }
        try {
            out.write(bytes);
            out.flush();
        } catch (IOException | RuntimeException e) {
            close();
            throw e instanceof IOException io ? io : new IOException(e);
        }
    }

    /** The writer: sends queued events until the queue is empty; completes a graceful close. */
    private void drain() {
        while (true) {
            byte[] next;
            synchronized (this) {
                next = closed ? null : queue.poll();
                if (next == null) {
                    draining = false;
                    if (closing && !closed) {
                        closed = true;
                    } else {
                        return;
                    }
                }
            }
            if (next == null) {
                completeAsync();
                return;
            }
            try {
                out.write(next);
                out.flush();
            } catch (IOException | RuntimeException e) {
                boolean first;
                synchronized (this) {
                    first = !closed;
                    abortLocked();
                }
                Runnable action = onFailure;
                if (first && action != null) {
                    action.run();
                }
                return;
            }
        }
    }

    /** Closes at once, dropping what is queued (under the lock); the async context is completed off this thread. */
    private void abortLocked() {
        if (closed) {
            return;
        }
        closed = true;
        queue.clear();
        if (async == null) {
            return;
        }
        // completing may wait for a write stuck in the container: never on the sender's thread
        try {
            writer.execute(this::completeAsync);
        } catch (RejectedExecutionException stopping) {
            completeAsync();
        }
    }

    synchronized boolean isClosed() {
        return closed;
    }

    /**
     * Ends the response (completes the async context) once what is queued is written; a second call does nothing.
     */
    void close() {
        synchronized (this) {
            if (closed || closing) {
                return;
            }
            if (draining) {
                closing = true;
                return;
            }
            closed = true;
        }
        completeAsync();
    }

    private void completeAsync() {
        if (async != null) {
            try {
                async.complete();
            } catch (IllegalStateException alreadyDone) {
                // the container completed it (the client went away)
            }
        }
    }
}
