package io.toka.mcp.stdio;

import io.toka.client.SseReader;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Starts a new session when Toka answers 404 for ours (it was restarted, or the session expired): sends the
 * client's own initialize parameters again, then {@code notifications/initialized}, so that the client carries on
 * without noticing more than a line on standard error. What the old session held on the server (resource
 * subscriptions, the log level) is gone, and the line says so.
 */
final class SessionRecovery {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final int ERROR_BODY_LIMIT = 64 * 1024;

    private final McpHttp http;
    private final Session session;
    private final RequestHeaders headers;
    private final Log log;
    private final Forwarder.SessionListener listener;
    private final AtomicLong ids = new AtomicLong();
    private String recoveredFrom;
    private String failure;

    SessionRecovery(McpHttp http, Session session, RequestHeaders headers, Log log,
                    Forwarder.SessionListener listener) {
        this.http = http;
        this.session = session;
        this.headers = headers;
        this.log = log;
        this.listener = listener;
    }

    /**
     * Replaces the session {@code expired}. Requests that hit the same 404 at the same time wait here, then use
     * the new session (or get the same failure).
     *
     * @param expired the session id Toka answered 404 for
     * @return null when there is a new session, else why not
     */
    synchronized String recover(String expired) {
        if (expired.equals(recoveredFrom)) {
            return failure;
        }
        recoveredFrom = expired;
        failure = null;
        session.ended(expired);
        listener.ended(expired);
        Map<String, Object> params = session.initializeParams();
        if (params == null) {
            return failure = "the client has not initialized";
        }
        log.info("Toka no longer knows MCP session " + abbreviate(expired)
                + " (HTTP 404; was it restarted?): starting a new session");
        String requestId = "toka-mcp-" + ids.incrementAndGet();
        Map<String, Object> init = new LinkedHashMap<>();
        init.put("jsonrpc", "2.0");
        init.put("id", requestId);
        init.put("method", "initialize");
        init.put("params", params);
        try {
            HttpResponse<InputStream> r = send(init, null, true);
            if (r.statusCode() < 200 || r.statusCode() >= 300) {
                return failure = Failures.status(r.statusCode(), http.url(), http.tokens().origin(),
                        McpHttp.readLimited(r.body(), ERROR_BODY_LIMIT));
            }
            Map<String, Object> response = readResponse(r, requestId);
            Map<String, Object> result = response == null ? null : Json.object(response.get("result"));
            if (result == null) {
                return failure = "Toka did not accept the initialize request again"
                        + (response == null ? "" : ": " + Json.member(response.get("error"), "message"));
            }
            String sessionId = sessionIdOf(r, log);
            session.established(sessionId, Json.string(result, "protocolVersion"), params);
            Map<String, Object> done = new LinkedHashMap<>();
            done.put("jsonrpc", "2.0");
            done.put("method", "notifications/initialized");
            McpHttp.discard(send(done, sessionId, false).body());
            log.info("started MCP session " + (sessionId == null ? "(none)" : abbreviate(sessionId))
                    + "; resource subscriptions and the log level set in the old one are gone");
            if (sessionId != null) {
                listener.ready(sessionId, session.protocolVersion());
            }
            return null;
        } catch (ExecutionException e) {
            return failure = Failures.unreachable(http.url(), e.getCause() == null ? e : e.getCause());
        } catch (TimeoutException e) {
            return failure = "Toka did not answer the new initialize request in time";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return failure = "interrupted";
        } catch (IOException e) {
            return failure = "the answer to the new initialize request broke off: " + e.getMessage();
        }
    }

    private HttpResponse<InputStream> send(Map<String, Object> msg, String sessionId, boolean initialize)
            throws ExecutionException, TimeoutException, InterruptedException {
        return http.post(Json.write(msg), headers.post(msg, sessionId, initialize), TIMEOUT)
                .get(TIMEOUT.toSeconds() + 5, TimeUnit.SECONDS);
    }

    /**
     * @param r the initialize response
     * @param log where a refused id is reported
     * @return the session id Toka assigned, or null when it has none or it is not visible ASCII
     */
    static String sessionIdOf(HttpResponse<?> r, Log log) {
        String sessionId = r.headers().firstValue("Mcp-Session-Id").orElse(null);
        if (sessionId != null && !HeaderValues.isVisibleAscii(sessionId)) {
            log.info("ignoring the session id Toka sent: it is not visible ASCII");
            return null;
        }
        return sessionId;
    }

    /** Session ids are bearer-like secrets in some servers: logs show only their start. */
    static String abbreviate(String sessionId) {
        return sessionId.length() <= 8 ? sessionId : sessionId.substring(0, 8) + "...";
    }

    /** The response with this id in a JSON or SSE body; other messages in it are dropped. */
    private static Map<String, Object> readResponse(HttpResponse<InputStream> r, Object id) throws IOException {
        String type = r.headers().firstValue("Content-Type").orElse("").toLowerCase(Locale.ROOT);
        try (InputStream in = r.body()) {
            if (type.startsWith("text/event-stream")) {
                SseReader sse = new SseReader(in);
                SseReader.Event e;
                while ((e = sse.next()) != null) {
                    Map<String, Object> m = e.hasData() ? Json.object(Json.parseOrNull(e.data())) : null;
                    if (JsonRpc.isResponseTo(m, id)) {
                        return m;
                    }
                }
                return null;
            }
            Map<String, Object> m = Json.object(Json.parseOrNull(new String(in.readAllBytes(), StandardCharsets.UTF_8)));
            return JsonRpc.isResponseTo(m, id) ? m : null;
        }
    }
}
