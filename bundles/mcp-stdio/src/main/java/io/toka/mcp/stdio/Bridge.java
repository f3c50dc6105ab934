package io.toka.mcp.stdio;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The stdio side: reads one JSON-RPC message per line from standard input and hands it on.
 *
 * <ul>
 *   <li>Requests run on a small pool, so a slow {@code tools/call} holds up neither a {@code ping} nor a
 *       {@code notifications/cancelled} sent after it.</li>
 *   <li>Notifications and the client's responses are sent from the reading thread, in order.</li>
 *   <li>{@code notifications/cancelled} for a 2026-07-28 request closes that request's HTTP stream (the way that
 *       revision cancels); for older versions it is forwarded, and the request ends without an answer if the server
 *       ends it so.</li>
 *   <li>Once the session is initialized, the session's GET stream runs alongside ({@link ServerStream}).</li>
 *   <li>At the end of standard input, requests in flight get {@code --shutdown-grace} to finish, then the session
 *       is ended with DELETE.</li>
 * </ul>
 */
final class Bridge implements Forwarder.SessionListener {

    private static final Duration DELETE_TIMEOUT = Duration.ofSeconds(5);

    private final Options options;
    private final McpHttp http;
    private final Output out;
    private final Log log;
    private final Session session = new Session();
    private final Forwarder forwarder;
    private final ThreadPoolExecutor executor;
    private final Map<String, InFlight> inFlight = new ConcurrentHashMap<>();
    private final AtomicBoolean closing = new AtomicBoolean();
    private final CountDownLatch closed = new CountDownLatch(1);
    private ServerStream serverStream;

    Bridge(Options options, TokenSource tokens, OutputStream stdout, Log log) {
        this.options = options;
        this.log = log;
        this.http = new McpHttp(options.url(), tokens, options.connectTimeout());
        this.out = new Output(stdout, log);
        this.forwarder = new Forwarder(http, session, new ParamHeaders(log), out, log, this);
        AtomicInteger threads = new AtomicInteger();
        this.executor = new ThreadPoolExecutor(options.maxConcurrent(), options.maxConcurrent(), 30, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), r -> {
                    Thread t = new Thread(r, "toka-mcp-request-" + threads.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
        this.executor.allowCoreThreadTimeOut(true);
    }

    /**
     * Runs until standard input ends, then shuts down.
     *
     * @param stdin the client's messages
     * @return the exit status: 0
     */
    int run(InputStream stdin) {
        BufferedReader in = new BufferedReader(new InputStreamReader(stdin, StandardCharsets.UTF_8));
        try {
            String line;
            boolean first = true;
            while ((line = in.readLine()) != null) {
                String text = line.strip();
                if (first && text.startsWith("\uFEFF")) {
                    text = text.substring(1).strip();
                }
                first = false;
                if (!text.isEmpty()) {
                    accept(text);
                }
            }
            log.debug("standard input closed");
        } catch (IOException e) {
            log.info("reading standard input failed: " + e.getMessage());
        }
        close();
        return 0;
    }

    /** Dispatches one line of standard input. */
    void accept(String text) {
        Object parsed;
        try {
            parsed = Json.parse(text);
        } catch (Json.JsonException e) {
            log.info("standard input: a line that is not JSON (" + e.getMessage() + ")");
            out.write(JsonRpc.error(null, JsonRpc.PARSE_ERROR, "Parse error: " + e.getMessage(), null));
            return;
        }
        Map<String, Object> msg = Json.object(parsed);
        if (msg == null) {
            log.info("standard input: a line that is not a JSON object");
            out.write(JsonRpc.error(null, JsonRpc.INVALID_REQUEST, "Invalid Request: each line must be one JSON-RPC "
                    + "message object (batches are not supported)", null));
            return;
        }
        Object id = msg.get("id");
        Object method = msg.get("method");
        if (method instanceof String m && id != null) {
            request(msg, text, m);
        } else if (method instanceof String m) {
            if (m.equals("notifications/cancelled") && cancelLocally(msg)) {
                return;
            }
            forwarder.notification(msg, text);
        } else if (method == null && id != null && (msg.containsKey("result") || msg.containsKey("error"))) {
            forwarder.notification(msg, text);
        } else {
            log.info("standard input: a message that is neither a request, a notification nor a response");
            if (id != null) {
                out.write(JsonRpc.error(id, JsonRpc.INVALID_REQUEST, "Invalid Request: 'method' must be a string",
                        null));
            }
        }
    }

    private void request(Map<String, Object> msg, String text, String method) {
        Object id = msg.get("id");
        String key = JsonRpc.idKey(id);
        InFlight f = new InFlight(id, JsonRpc.metaProtocolVersion(msg) != null);
        if (inFlight.putIfAbsent(key, f) != null) {
            out.write(JsonRpc.error(id, JsonRpc.INVALID_REQUEST, "Invalid Request: id " + Json.write(id)
                    + " is already used by a request in progress", null));
            return;
        }
        try {
            executor.execute(() -> {
                f.begin();
                try {
                    forwarder.request(msg, text, f);
                } catch (RuntimeException e) {
                    log.info("internal error while forwarding " + JsonRpc.describe(msg) + ": " + e);
                    out.write(JsonRpc.error(id, -32603, "Internal error in toka-mcp: " + e, null));
                } finally {
                    f.finish();
                    inFlight.remove(key, f);
                }
            });
        } catch (RejectedExecutionException e) {
            inFlight.remove(key, f);
            out.write(JsonRpc.error(id, JsonRpc.TRANSPORT_ERROR, "toka-mcp is shutting down", null));
        }
    }

    /**
     * A cancellation: closes the stream of a 2026-07-28 request (and sends nothing), or marks an older request
     * cancelled and lets the notification through.
     *
     * @return whether the notification is dealt with here and must not be forwarded
     */
    private boolean cancelLocally(Map<String, Object> msg) {
        Object requestId = Json.member(msg.get("params"), "requestId");
        InFlight f = requestId == null ? null : inFlight.get(JsonRpc.idKey(requestId));
        if (f == null) {
            log.debug("cancellation of a request that is not in progress: dropped");
            return true;
        }
        if (f.stateless()) {
            log.debug("cancelling request #" + Json.write(requestId) + " by closing its stream");
            f.abort();
            return true;
        }
        f.markCancelled();
        return false;
    }

    @Override
    public void ready(String sessionId, String protocolVersion) {
        synchronized (this) {
            if (closing.get()) {
                return;
            }
            if (serverStream != null) {
                if (serverStream.sessionId().equals(sessionId)) {
                    return;
                }
                serverStream.stop();
            }
            serverStream = new ServerStream(http, sessionId, protocolVersion, out, log);
            serverStream.start();
        }
    }

    @Override
    public void ended(String sessionId) {
        synchronized (this) {
            if (serverStream != null && serverStream.sessionId().equals(sessionId)) {
                serverStream.stop();
                serverStream = null;
            }
        }
    }

    /** At the end of standard input: lets requests finish within the grace time, then ends the session. */
    void close() {
        if (!closing.compareAndSet(false, true)) {
            awaitClosed(DELETE_TIMEOUT.toMillis());
            return;
        }
        try {
            stopServerStream();
            executor.shutdown();
            if (!executor.awaitTermination(options.shutdownGrace().toMillis(), TimeUnit.MILLISECONDS)) {
                log.info(inFlight.size() + " request(s) still in progress " + options.shutdownGrace().toSeconds()
                        + " s after standard input closed: abandoning them");
                inFlight.values().forEach(InFlight::abort);
                executor.shutdownNow();
                executor.awaitTermination(5, TimeUnit.SECONDS);
            }
            endSession();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            closed.countDown();
        }
    }

    /** On SIGTERM or SIGINT (a shutdown hook): no grace, but the session is still ended. */
    void terminate() {
        if (!closing.compareAndSet(false, true)) {
            awaitClosed(DELETE_TIMEOUT.toMillis());
            return;
        }
        try {
            stopServerStream();
            inFlight.values().forEach(InFlight::abort);
            executor.shutdownNow();
            endSession();
        } finally {
            closed.countDown();
        }
    }

    private void awaitClosed(long millis) {
        try {
            closed.await(millis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void stopServerStream() {
        ServerStream s;
        synchronized (this) {
            s = serverStream;
            serverStream = null;
        }
        if (s != null) {
            s.stop();
            try {
                s.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Sends DELETE for the session, if there is one. Toka may answer 405 (it keeps sessions until they expire). */
    private void endSession() {
        String sessionId = session.id();
        if (sessionId == null) {
            return;
        }
        Map<String, String> h = RequestHeaders.session(session.protocolVersion(), sessionId, null);
        try {
            int status = http.delete(h, DELETE_TIMEOUT);
            if (status / 100 == 2 || status == 404 || status == 405) {
                log.debug("ended MCP session " + SessionRecovery.abbreviate(sessionId) + " (HTTP " + status + ")");
            } else {
                log.info("ending MCP session " + SessionRecovery.abbreviate(sessionId) + ": Toka answered HTTP " + status);
            }
        } catch (IOException e) {
            log.info("could not end MCP session " + SessionRecovery.abbreviate(sessionId) + ": "
                    + Failures.unreachable(http.url(), e));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        session.ended(sessionId);
    }
}
