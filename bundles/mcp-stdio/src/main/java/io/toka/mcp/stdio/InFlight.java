package io.toka.mcp.stdio;

import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpResponse;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * One client request being forwarded: lets another thread cancel it while its worker waits for Toka's answer or
 * reads its event stream.
 *
 * <p>{@link #abort()} closes the HTTP exchange (for the 2026-07-28 revision, closing the response stream <em>is</em>
 * the cancellation) and interrupts the worker, but only while the worker is still inside this request: the
 * interrupt can never hit the next task of a pooled thread.
 */
final class InFlight {

    /** Thrown to the worker when its request was cancelled; it then answers nothing. */
    static final class Cancelled extends Exception {
        private static final long serialVersionUID = 1L;

        Cancelled() {
            super("cancelled", null, false, false);
        }
    }

    private final Object id;
    private final boolean stateless;
    private Thread worker;
    private CompletableFuture<?> future;
    private InputStream body;
    private boolean cancelled;
    private boolean done;

    /**
     * @param id the request id
     * @param stateless whether the request carries its protocol version in {@code _meta} (2026-07-28 and later),
     *         so that closing its stream is how it is cancelled
     */
    InFlight(Object id, boolean stateless) {
        this.id = id;
        this.stateless = stateless;
    }

    Object id() {
        return id;
    }

    boolean stateless() {
        return stateless;
    }

    /** Called by the worker when it starts on this request. */
    synchronized void begin() {
        worker = Thread.currentThread();
        if (cancelled) {
            worker.interrupt();
        }
    }

    /** Called by the worker when it is done with this request, in a finally block. */
    synchronized void finish() {
        done = true;
        worker = null;
        closeBody();
    }

    /**
     * Waits for the response headers.
     *
     * @param f the exchange
     * @return the response, its body registered so that {@link #abort()} can close it
     * @throws IOException if the exchange failed
     * @throws Cancelled if the request was cancelled meanwhile
     */
    HttpResponse<InputStream> await(CompletableFuture<HttpResponse<InputStream>> f) throws IOException, Cancelled {
        synchronized (this) {
            if (cancelled) {
                f.cancel(true);
                throw new Cancelled();
            }
            future = f;
        }
        try {
            HttpResponse<InputStream> r = f.get();
            if (!register(r.body())) {
                throw new Cancelled();
            }
            return r;
        } catch (InterruptedException | CancellationException e) {
            throw new Cancelled();
        } catch (ExecutionException e) {
            if (isCancelled()) {
                throw new Cancelled();
            }
            Throwable c = e.getCause();
            throw c instanceof IOException io ? io : new IOException(c == null ? e : c);
        }
    }

    private synchronized boolean register(InputStream in) {
        if (cancelled) {
            McpHttp.discard(in);
            return false;
        }
        body = in;
        return true;
    }

    /** Notes a cancellation that is forwarded to the server as a notification (the stream stays open). */
    synchronized void markCancelled() {
        cancelled = true;
    }

    /** Cancels by closing the exchange. */
    synchronized void abort() {
        cancelled = true;
        if (future != null) {
            future.cancel(true);
        }
        closeBody();
        if (!done && worker != null) {
            worker.interrupt();
        }
    }

    synchronized boolean isCancelled() {
        return cancelled;
    }

    private void closeBody() {
        if (body != null) {
            McpHttp.discard(body);
            body = null;
        }
    }
}
