package io.toka.mcp.stdio;

import io.toka.client.SseReader;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Forwards one message from standard input to Toka's MCP endpoint and writes what comes back to standard output:
 * a JSON body as one line, each message of an SSE body as one line (notifications, then the response), nothing for
 * a 202. An HTTP failure becomes a JSON-RPC error response for the request's id.
 *
 * <p>Two recoveries keep a long-running client working: a 401 re-reads a changed token file and retries once (Toka
 * re-mints its admin token), and a 404 for our session (Toka restarted and forgot it) starts a new session with the
 * client's original initialize parameters and retries once. A response stream that breaks before its answer is
 * resumed with {@code Last-Event-ID} when the server gave event ids (protocol versions up to 2025-11-25).
 */
final class Forwarder {

    /** Notifications and the client's responses are answered with 202 at once; a stuck server must not hang stdin. */
    private static final Duration SHORT_TIMEOUT = Duration.ofSeconds(30);
    private static final int ERROR_BODY_LIMIT = 64 * 1024;
    private static final int RESUME_ATTEMPTS = 5;
    private static final long DEFAULT_RETRY_MILLIS = 1000;
    private static final long MAX_RETRY_MILLIS = 30_000;

    /** Told when the session is ready for its server stream, and when it ended. */
    interface SessionListener {
        void ready(String sessionId, String protocolVersion);

        void ended(String sessionId);
    }

    private final McpHttp http;
    private final Session session;
    private final ParamHeaders paramHeaders;
    private final RequestHeaders headers;
    private final SessionRecovery recovery;
    private final Output out;
    private final Log log;
    private final SessionListener listener;

    Forwarder(McpHttp http, Session session, ParamHeaders paramHeaders, Output out, Log log, SessionListener listener) {
        this.http = http;
        this.session = session;
        this.paramHeaders = paramHeaders;
        this.headers = new RequestHeaders(session, paramHeaders);
        this.recovery = new SessionRecovery(http, session, headers, log, listener);
        this.out = out;
        this.log = log;
        this.listener = listener;
    }

    /**
     * Forwards a request and writes its answer. Runs on a worker thread; returns when the answer is out.
     *
     * @param msg the request
     * @param body the request as the client wrote it
     * @param f its cancellation handle
     */
    void request(Map<String, Object> msg, String body, InFlight f) {
        Object id = msg.get("id");
        String method = (String) msg.get("method");
        boolean initialize = method.equals("initialize");
        boolean tokenReloaded = false;
        boolean recovered = false;
        log.debug("-> " + JsonRpc.describe(msg));
        try {
            while (true) {
                String sessionId = initialize ? null : session.id();
                HttpResponse<InputStream> r;
                try {
                    r = f.await(http.post(body, headers.post(msg, sessionId, initialize), null));
                } catch (IOException e) {
                    fail(f, msg, null, Failures.unreachable(http.url(), e));
                    return;
                }
                int status = r.statusCode();
                if (status >= 200 && status < 300) {
                    answer(msg, method, r, f);
                    return;
                }
                byte[] error = McpHttp.readLimited(r.body(), ERROR_BODY_LIMIT);
                if (status == 401 && !tokenReloaded && http.tokens().reload()) {
                    tokenReloaded = true;
                    log.info("the token file changed; sending " + JsonRpc.describe(msg) + " again with the new token");
                    continue;
                }
                if (status == 404 && sessionId != null && !recovered) {
                    recovered = true;
                    String why = recovery.recover(sessionId);
                    if (why == null) {
                        continue;
                    }
                    fail(f, msg, status, "the MCP session ended on Toka (HTTP 404) and a new one could not be "
                            + "started: " + why);
                    return;
                }
                Map<String, Object> rpc = JsonRpc.errorBodyFor(
                        Json.parseOrNull(new String(error, StandardCharsets.UTF_8)), id);
                if (rpc != null) {
                    log.info(JsonRpc.describe(msg) + ": Toka answered HTTP " + status + ": "
                            + Json.member(rpc.get("error"), "message"));
                    if (!f.isCancelled()) {
                        out.write(rpc);
                    }
                } else {
                    fail(f, msg, status, Failures.status(status, http.url(), http.tokens().origin(), error));
                }
                return;
            }
        } catch (InFlight.Cancelled c) {
            log.debug(JsonRpc.describe(msg) + " cancelled");
        }
    }

    /**
     * Forwards a notification or a response of the client (to a request the server sent, before 2026-07-28),
     * waiting for Toka's 202. Runs on the thread reading standard input, so that messages reach Toka in the order
     * the client wrote them ({@code notifications/initialized} before the requests that follow it).
     *
     * @param msg the message
     * @param body the message as the client wrote it
     */
    void notification(Map<String, Object> msg, String body) {
        String method = Json.string(msg, "method");
        boolean tokenReloaded = false;
        log.debug("-> " + JsonRpc.describe(msg));
        while (true) {
            String sessionId = session.id();
            HttpResponse<InputStream> r;
            try {
                r = http.post(body, headers.post(msg, sessionId, false), SHORT_TIMEOUT)
                        .get(SHORT_TIMEOUT.toSeconds() + 5, TimeUnit.SECONDS);
            } catch (ExecutionException | TimeoutException e) {
                log.info(JsonRpc.describe(msg) + " not delivered: "
                        + Failures.unreachable(http.url(), e.getCause() == null ? e : e.getCause()));
                return;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            int status = r.statusCode();
            byte[] answer = McpHttp.readLimited(r.body(), ERROR_BODY_LIMIT);
            if (status >= 200 && status < 300) {
                if ("notifications/initialized".equals(method) && sessionId != null) {
                    listener.ready(sessionId, session.protocolVersion());
                }
                return;
            }
            if (status == 401 && !tokenReloaded && http.tokens().reload()) {
                tokenReloaded = true;
                continue;
            }
            if (status == 404 && sessionId != null && !"notifications/initialized".equals(method)) {
                String why = recovery.recover(sessionId);
                log.info(JsonRpc.describe(msg) + " was not delivered: the MCP session had ended on Toka"
                        + (why == null ? "; a new session is started for the next requests" : " (" + why + ")"));
                return;
            }
            log.info(JsonRpc.describe(msg) + " was refused: "
                    + Failures.status(status, http.url(), http.tokens().origin(), answer));
            return;
        }
    }

    /** A 2xx answer to a request: a JSON body, an event stream, or (wrongly) nothing. */
    private void answer(Map<String, Object> msg, String method, HttpResponse<InputStream> r, InFlight f)
            throws InFlight.Cancelled {
        Object id = msg.get("id");
        String type = r.headers().firstValue("Content-Type").orElse("").toLowerCase(Locale.ROOT);
        if (r.statusCode() == 202 || r.statusCode() == 204) {
            McpHttp.discard(r.body());
            fail(f, msg, r.statusCode(), "Toka accepted the request without answering it (HTTP " + r.statusCode()
                    + ")");
            return;
        }
        if (type.startsWith("text/event-stream")) {
            stream(msg, method, r, f);
            return;
        }
        if (!type.isEmpty() && !type.startsWith("application/json")) {
            McpHttp.discard(r.body());
            fail(f, msg, r.statusCode(), "Toka answered with content of type '" + type + "', neither JSON nor an "
                    + "event stream: is --url the MCP endpoint?");
            return;
        }
        byte[] bytes;
        try (InputStream in = r.body()) {
            bytes = in.readAllBytes();
        } catch (IOException e) {
            if (f.isCancelled()) {
                throw new InFlight.Cancelled();
            }
            fail(f, msg, null, "the answer from Toka broke off: " + e.getMessage());
            return;
        }
        Object parsed;
        try {
            parsed = Json.parse(new String(bytes, StandardCharsets.UTF_8));
        } catch (Json.JsonException e) {
            fail(f, msg, r.statusCode(), "Toka's answer is not valid JSON (" + e.getMessage() + ")");
            return;
        }
        Map<String, Object> m = Json.object(parsed);
        if (JsonRpc.isResponseTo(m, id)) {
            deliver(msg, method, m, r);
            return;
        }
        Map<String, Object> error = JsonRpc.errorBodyFor(m, id);
        if (error != null) {
            out.write(error);
            return;
        }
        fail(f, msg, r.statusCode(), "Toka's answer is not a JSON-RPC response to this request");
    }

    /**
     * Copies an event stream to standard output until the response to the request; resumes a broken stream with
     * {@code Last-Event-ID} when the server numbered its events and a session exists.
     */
    private void stream(Map<String, Object> msg, String method, HttpResponse<InputStream> first, InFlight f)
            throws InFlight.Cancelled {
        Object id = msg.get("id");
        String lastEventId = null;
        long retry = DEFAULT_RETRY_MILLIS;
        int attempts = 0;
        InputStream body = first.body();
        while (true) {
            if (body != null) {
                try (SseReader sse = new SseReader(body)) {
                    SseReader.Event e;
                    while ((e = sse.next()) != null) {
                        if (e.id() != null) {
                            lastEventId = e.id().isEmpty() ? null : e.id();
                        }
                        if (e.retryMillis() != null) {
                            retry = Math.min(e.retryMillis(), MAX_RETRY_MILLIS);
                        }
                        if (!e.hasData() || !e.isMessage()) {
                            continue;
                        }
                        attempts = 0;
                        Map<String, Object> m = parseEvent(e.data());
                        if (m == null) {
                            continue;
                        }
                        if (JsonRpc.isResponseTo(m, id)) {
                            deliver(msg, method, m, first);
                            return;
                        }
                        out.write(m);
                    }
                } catch (IOException e) {
                    if (f.isCancelled() || Thread.currentThread().isInterrupted()) {
                        throw new InFlight.Cancelled();
                    }
                    log.debug("the event stream of " + JsonRpc.describe(msg) + " broke: " + e.getMessage());
                }
            }
            if (f.isCancelled()) {
                return;
            }
            String sessionId = session.id();
            if (lastEventId == null || sessionId == null || f.stateless() || attempts >= RESUME_ATTEMPTS) {
                fail(f, msg, null, "Toka closed the response stream before answering"
                        + (attempts > 0 ? " (resuming it failed " + attempts + " times)" : ""));
                return;
            }
            attempts++;
            try {
                TimeUnit.MILLISECONDS.sleep(retry);
            } catch (InterruptedException e) {
                throw new InFlight.Cancelled();
            }
            body = resume(msg, sessionId, lastEventId, f);
        }
    }

    /** Reopens a broken response stream; null when this attempt failed (the caller counts attempts). */
    private InputStream resume(Map<String, Object> msg, String sessionId, String lastEventId, InFlight f)
            throws InFlight.Cancelled {
        Map<String, String> h = RequestHeaders.session(session.protocolVersion(), sessionId, lastEventId);
        try {
            HttpResponse<InputStream> r = f.await(http.get(h));
            String type = r.headers().firstValue("Content-Type").orElse("").toLowerCase(Locale.ROOT);
            if (r.statusCode() == 200 && type.startsWith("text/event-stream")) {
                log.debug("resumed the event stream of " + JsonRpc.describe(msg) + " after event " + lastEventId);
                return r.body();
            }
            McpHttp.discard(r.body());
            log.debug("resuming the event stream of " + JsonRpc.describe(msg) + ": HTTP " + r.statusCode());
        } catch (IOException e) {
            log.debug("resuming the event stream of " + JsonRpc.describe(msg) + ": " + e.getMessage());
        }
        return null;
    }

    /** Writes the response, after learning from it what the bridge needs (session, versions, tool headers). */
    private void deliver(Map<String, Object> msg, String method, Map<String, Object> response,
                         HttpResponse<?> http) {
        Map<String, Object> result = Json.object(response.get("result"));
        if (result != null && method.equals("initialize")) {
            initialized(msg, result, http);
        } else if (result != null && method.equals("tools/list")) {
            paramHeaders.learn(result);
        }
        log.debug("<- " + JsonRpc.describe(msg) + (response.containsKey("error") ? " (error)" : ""));
        out.write(response);
    }

    private void initialized(Map<String, Object> msg, Map<String, Object> result, HttpResponse<?> r) {
        String sessionId = SessionRecovery.sessionIdOf(r, log);
        String version = Json.string(result, "protocolVersion");
        session.established(sessionId, version, Json.object(msg.get("params")));
        Object server = result.get("serverInfo");
        log.info("connected to " + (Json.string(server, "name") == null ? "Toka" : Json.string(server, "name"))
                + (Json.string(server, "version") == null ? "" : " " + Json.string(server, "version"))
                + " at " + http.url() + ", protocol " + version + (sessionId == null ? ", no session" : ", session "
                + SessionRecovery.abbreviate(sessionId)));
    }

    private Map<String, Object> parseEvent(String data) {
        Object parsed = Json.parseOrNull(data);
        Map<String, Object> m = Json.object(parsed);
        if (m == null) {
            log.info("dropped an event from Toka that is not a JSON-RPC message");
        }
        return m;
    }

    private void fail(InFlight f, Map<String, Object> msg, Integer status, String message) {
        log.info(JsonRpc.describe(msg) + ": " + message);
        if (!f.isCancelled()) {
            out.write(JsonRpc.error(msg.get("id"), JsonRpc.TRANSPORT_ERROR, message,
                    status == null ? null : Map.of("httpStatus", status)));
        }
    }
}
