package io.toka.mcp.stdio;

import io.toka.client.SseReader;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpResponse;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * The session's GET event stream (protocol versions up to 2025-11-25): messages the server sends on its own, such
 * as {@code notifications/tools/list_changed}, copied to standard output. Reconnects with {@code Last-Event-ID} when
 * the stream drops, after the server's {@code retry} or a growing back-off; stops for good on 405 (the server offers
 * no stream) or 404 (the session is gone: the next request starts a new one, and with it a new stream).
 */
final class ServerStream implements Runnable {

    private static final long FIRST_BACKOFF_MILLIS = 1000;
    private static final long MAX_BACKOFF_MILLIS = 30_000;

    private final McpHttp http;
    private final String sessionId;
    private final String protocolVersion;
    private final Output out;
    private final Log log;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private volatile Thread thread;
    private volatile CompletableFuture<?> pending;
    private volatile InputStream body;
    private String lastEventId;

    ServerStream(McpHttp http, String sessionId, String protocolVersion, Output out, Log log) {
        this.http = http;
        this.sessionId = sessionId;
        this.protocolVersion = protocolVersion;
        this.out = out;
        this.log = log;
    }

    String sessionId() {
        return sessionId;
    }

    void start() {
        Thread t = new Thread(this, "toka-mcp-server-stream");
        t.setDaemon(true);
        thread = t;
        t.start();
    }

    /** Stops the stream and closes its connection; harmless when called twice. */
    void stop() {
        stopped.countDown();
        CompletableFuture<?> p = pending;
        if (p != null) {
            p.cancel(true);
        }
        InputStream b = body;
        if (b != null) {
            McpHttp.discard(b);
        }
        Thread t = thread;
        if (t != null && t != Thread.currentThread()) {
            t.interrupt();
        }
    }

    /**
     * Waits for the stream's thread to end.
     *
     * @param millis the longest wait
     * @throws InterruptedException if interrupted
     */
    void join(long millis) throws InterruptedException {
        Thread t = thread;
        if (t != null) {
            t.join(millis);
        }
    }

    @Override
    public void run() {
        long backoff = FIRST_BACKOFF_MILLIS;
        boolean failing = false;
        boolean tokenReloaded = false;
        while (!isStopped()) {
            long delay;
            try {
                CompletableFuture<HttpResponse<InputStream>> f = http.get(headers());
                pending = f;
                if (isStopped()) {
                    f.cancel(true);
                    return;
                }
                HttpResponse<InputStream> r = f.get();
                int status = r.statusCode();
                String type = r.headers().firstValue("Content-Type").orElse("").toLowerCase(Locale.ROOT);
                if (status == 200 && type.startsWith("text/event-stream")) {
                    if (failing) {
                        log.info("the server stream is open again");
                    }
                    failing = false;
                    tokenReloaded = false;
                    long[] retry = {-1};
                    int events = copy(r.body(), retry);
                    backoff = events > 0 ? FIRST_BACKOFF_MILLIS : Math.min(backoff * 2, MAX_BACKOFF_MILLIS);
                    delay = retry[0] >= 0 ? Math.min(retry[0], MAX_BACKOFF_MILLIS) : backoff;
                } else {
                    byte[] answer = McpHttp.readLimited(r.body(), 64 * 1024);
                    if (status == 405) {
                        log.debug("Toka offers no server stream (HTTP 405)");
                        return;
                    }
                    if (status == 404) {
                        log.debug("the server stream ends with its session (HTTP 404)");
                        return;
                    }
                    if (status == 401 && !tokenReloaded && http.tokens().reload()) {
                        tokenReloaded = true;
                        continue;
                    }
                    if (!failing) {
                        log.info("the server stream (change notifications) was refused, retrying: "
                                + Failures.status(status, http.url(), http.tokens().origin(), answer));
                    }
                    failing = true;
                    delay = backoff;
                    backoff = Math.min(backoff * 2, MAX_BACKOFF_MILLIS);
                }
            } catch (ExecutionException e) {
                if (isStopped()) {
                    return;
                }
                if (!failing) {
                    log.info("the server stream (change notifications) is broken, retrying: "
                            + Failures.unreachable(http.url(), e.getCause() == null ? e : e.getCause()));
                }
                failing = true;
                delay = backoff;
                backoff = Math.min(backoff * 2, MAX_BACKOFF_MILLIS);
            } catch (InterruptedException | CancellationException e) {
                return;
            } finally {
                pending = null;
            }
            try {
                if (stopped.await(delay, TimeUnit.MILLISECONDS)) {
                    return;
                }
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private Map<String, String> headers() {
        return RequestHeaders.session(protocolVersion, sessionId, lastEventId);
    }

    /** Copies events until the stream ends; returns how many messages it carried. */
    private int copy(InputStream in, long[] retry) {
        body = in;
        int events = 0;
        try (SseReader sse = new SseReader(in)) {
            if (isStopped()) {
                return 0;
            }
            SseReader.Event e;
            while ((e = sse.next()) != null) {
                if (e.id() != null) {
                    lastEventId = e.id().isEmpty() ? null : e.id();
                }
                if (e.retryMillis() != null) {
                    retry[0] = e.retryMillis();
                }
                if (!e.hasData() || !e.isMessage()) {
                    continue;
                }
                Object message;
                try {
                    message = Json.parse(e.data());
                } catch (Json.JsonException x) {
                    message = null;
                }
                if (Json.object(message) == null) {
                    log.info("dropped an event from Toka's server stream that is not a JSON-RPC message");
                    continue;
                }
                events++;
                out.write(message);
            }
        } catch (IOException x) {
            if (!isStopped()) {
                log.debug("the server stream broke: " + x.getMessage());
            }
        } finally {
            body = null;
        }
        return events;
    }

    private boolean isStopped() {
        return stopped.getCount() == 0;
    }
}
