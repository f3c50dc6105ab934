package io.toka.mcp.internal;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import javax.servlet.AsyncContext;
import javax.servlet.http.HttpServletResponse;

/**
 * One HTTP response in Server-Sent Events mode: the headers, then events ({@code id}, {@code event: message},
 * {@code data}) and comments, each flushed. Either a POST answered on its own thread, or an asynchronous GET or
 * {@code subscriptions/listen} whose {@link AsyncContext} is completed by {@link #close()}. Thread-safe; every
 * failed write throws {@link IOException}, after which the connection counts as closed.
 */
final class SseConnection {

    private static final byte[] KEEP_ALIVE = ":\n\n".getBytes(StandardCharsets.US_ASCII);

    private final HttpServletResponse resp;
    private final AsyncContext async;
    private OutputStream out;
    private boolean closed;

    /** @param async the request's async context, or {@code null} for a response written on the request thread */
    SseConnection(HttpServletResponse resp, AsyncContext async) {
        this.resp = resp;
        this.async = async;
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
    synchronized void event(String id, String data, long retryMillis) throws IOException {
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
    synchronized void keepAlive() throws IOException {
        write(KEEP_ALIVE);
    }

    private void write(byte[] bytes) throws IOException {
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

    synchronized boolean isClosed() {
        return closed;
    }

    /** Ends the response (completes the async context); a second call does nothing. */
    void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        if (async != null) {
            try {
                async.complete();
            } catch (IllegalStateException alreadyDone) {
                // the container completed it (the client went away)
            }
        }
    }
}
