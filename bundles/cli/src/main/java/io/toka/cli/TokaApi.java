package io.toka.cli;

import io.toka.client.SseReader;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.NullNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * Toka's REST API ({@code /api/v1}) over {@code java.net.http}: JSON requests and answers, and Server-Sent Event
 * streams. Every failure becomes a {@link CliException} with one sentence: the server's problem {@code detail} for
 * an answer it refused, what to check for a connection that failed.
 */
final class TokaApi {

    /** Handles the events of a stream. */
    interface EventHandler {
        /**
         * @param event the next event
         * @return whether to go on reading
         * @throws CliException to end the command with this failure
         */
        boolean onEvent(SseReader.Event event) throws CliException;
    }

    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(60);
    /** A tool call lasts as long as the tool's own timeout, which Toka enforces; this only ends a hung connection. */
    static final Duration CALL_TIMEOUT = Duration.ofMinutes(30);
    /** How much of an error body is read. */
    private static final int MAX_ERROR_BODY = 64 * 1024;
    /** A GET refused by the rate limit is tried again this often, when Toka asks to wait at most MAX_RETRY_WAIT. */
    private static final int MAX_RETRIES = 3;
    private static final long MAX_RETRY_WAIT_SECONDS = 10;

    private final URI base;
    private final TokenSource token;
    private final String userAgent;
    private final ObjectMapper mapper;
    private final HttpClient client;
    private final PrintStream err;

    /**
     * @param base Toka's address, e.g. http://127.0.0.1:8181
     * @param token the token, or null to send none (only health answers without one)
     * @param version this client's version, for the User-Agent
     * @param mapper JSON
     * @param err where a wait for the rate limit is mentioned
     */
    TokaApi(URI base, TokenSource token, String version, ObjectMapper mapper, PrintStream err) {
        this.base = base;
        this.err = err;
        this.token = token;
        this.userAgent = "toka-cli/" + version;
        this.mapper = mapper;
        // never follow a redirect: the token must not be sent anywhere but --url
        this.client = HttpClient.newBuilder().connectTimeout(CONNECT_TIMEOUT)
                .followRedirects(HttpClient.Redirect.NEVER).build();
    }

    /** @return a path segment, percent-encoded */
    static String segment(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /** @return a query parameter value, percent-encoded */
    static String query(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    /** @return whether a token is sent */
    boolean hasToken() {
        return token != null;
    }

    /**
     * @param path under /api/v1, starting with '/'
     * @return the JSON answer
     * @throws CliException if the request fails or the answer is not 2xx JSON
     */
    JsonNode get(String path) throws CliException {
        return json("GET", path, request(path).GET(), REQUEST_TIMEOUT);
    }

    /**
     * @param path under /api/v1, starting with '/'
     * @param body the JSON body, or null for none
     * @param timeout how long to wait for the answer
     * @return the JSON answer (a NullNode for an empty one)
     * @throws CliException if the request fails or the answer is not 2xx JSON
     */
    JsonNode post(String path, Object body, Duration timeout) throws CliException {
        byte[] bytes;
        try {
            bytes = body == null ? new byte[0] : mapper.writeValueAsBytes(body);
        } catch (JsonProcessingException e) {
            throw CliException.failure("cannot write the request as JSON: " + e.getOriginalMessage());
        }
        return json("POST", path, request(path).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(bytes)), timeout);
    }

    /**
     * Reads a Server-Sent Events stream until the handler says stop or the server ends it.
     *
     * @param path under /api/v1
     * @param lastEventId the sequence number to resume after, or null
     * @param handler gets each event
     * @return whether the handler stopped the stream (false: the server ended it)
     * @throws CliException if the request is refused or the connection fails
     */
    boolean stream(String path, String lastEventId, EventHandler handler) throws CliException {
        HttpRequest.Builder b = request(path).setHeader("Accept", "text/event-stream").GET();
        if (lastEventId != null) {
            b.header("Last-Event-ID", lastEventId);
        }
        HttpResponse<InputStream> r = send("GET", path, b, null, HttpResponse.BodyHandlers.ofInputStream());
        try (InputStream body = r.body()) {
            if (r.statusCode() / 100 != 2) {
                throw refusal("GET", path, r.statusCode(), body.readNBytes(MAX_ERROR_BODY),
                        r.headers().firstValue("Retry-After").orElse(null));
            }
            String type = r.headers().firstValue("Content-Type").orElse("");
            if (!type.toLowerCase(java.util.Locale.ROOT).startsWith("text/event-stream")) {
                throw CliException.failure("Toka's answer to GET " + path + " is not an event stream (Content-Type '"
                        + type + "'): is --url Toka's address?");
            }
            SseReader reader = new SseReader(body);
            for (SseReader.Event e; (e = reader.next()) != null; ) {
                if (!handler.onEvent(e)) {
                    return true;
                }
            }
            return false;
        } catch (IOException e) {
            throw CliException.failure("the event stream from " + base + " broke off: " + message(e));
        }
    }

    private HttpRequest.Builder request(String path) {
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve("/api/v1" + path))
                .header("User-Agent", userAgent).header("Accept", "application/json");
        if (token != null) {
            b.header("Authorization", "Bearer " + token.token());
        }
        return b;
    }

    private JsonNode json(String method, String path, HttpRequest.Builder b, Duration timeout) throws CliException {
        HttpResponse<byte[]> r = send(method, path, b, timeout, HttpResponse.BodyHandlers.ofByteArray());
        // a GET changes nothing, so one refused by the rate limit can wait its turn; a POST is never repeated
        for (int retry = 0; r.statusCode() == 429 && method.equals("GET") && retry < MAX_RETRIES; retry++) {
            long wait = retryAfter(r);
            if (wait > MAX_RETRY_WAIT_SECONDS) {
                break;
            }
            err.println("toka: Toka's rate limit for this token was reached; trying " + method + " " + path
                    + " again in " + wait + " s");
            try {
                Thread.sleep(wait * 1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw CliException.failure("interrupted while waiting for Toka's rate limit");
            }
            r = send(method, path, b, timeout, HttpResponse.BodyHandlers.ofByteArray());
        }
        if (r.statusCode() / 100 != 2) {
            throw refusal(method, path, r.statusCode(), r.body(), r.headers().firstValue("Retry-After").orElse(null));
        }
        if (r.body().length == 0) {
            return NullNode.getInstance();
        }
        try {
            return mapper.readTree(r.body());
        } catch (IOException e) {
            throw CliException.failure("Toka's answer to " + method + " " + path + " is not JSON ("
                    + preview(r.body()) + "): is --url Toka's address?");
        }
    }

    /** Retry-After in seconds (at least 1), or a wait too long to retry when there is none or it is unreadable. */
    private static long retryAfter(HttpResponse<?> r) {
        try {
            return Math.max(1, Long.parseLong(r.headers().firstValue("Retry-After").orElse("").trim()));
        } catch (NumberFormatException e) {
            return Long.MAX_VALUE;
        }
    }

    private <T> HttpResponse<T> send(String method, String path, HttpRequest.Builder b, Duration timeout,
                                     HttpResponse.BodyHandler<T> handler) throws CliException {
        if (timeout != null) {
            b.timeout(timeout);
        }
        try {
            return client.send(b.build(), handler);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw CliException.failure("interrupted while waiting for Toka");
        } catch (IOException | IllegalArgumentException e) {
            throw CliException.failure(unreachable(method + " " + path, e));
        }
    }

    private String unreachable(String what, Exception e) {
        Throwable cause = e;
        while (cause.getCause() != null && !(cause instanceof ConnectException)) {
            cause = cause.getCause();
        }
        if (cause instanceof ConnectException && !(e instanceof HttpConnectTimeoutException)) {
            return "cannot reach Toka at " + base + ": connection refused. Is Toka running? Start it with bin/start "
                    + "(its port is set in etc/org.apache.felix.http.cfg), or pass the right --url";
        }
        if (e instanceof HttpConnectTimeoutException) {
            return "no connection to Toka at " + base + " within " + CONNECT_TIMEOUT.toSeconds()
                    + " seconds; is the host right?";
        }
        if (e instanceof HttpTimeoutException) {
            return "Toka at " + base + " did not answer " + what + " in time";
        }
        if (cause instanceof UnresolvedAddressException || e instanceof UnresolvedAddressException) {
            return "cannot reach Toka at " + base + ": unknown host " + base.getHost();
        }
        return "the connection to Toka at " + base + " failed during " + what + ": " + message(e);
    }

    private static String message(Throwable e) {
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    /** An answer other than 2xx, as one sentence; 401 and 403 end with exit status 3. */
    private CliException refusal(String method, String path, int status, byte[] body, String retryAfter) {
        String detail = detail(body);
        return switch (status) {
            case 401 -> CliException.refused("Toka rejected the token from " + (token == null ? "(none sent)"
                    : token.origin()) + " (HTTP 401): it is missing, invalid, expired or revoked. Use a current one, "
                    + "e.g. Toka's admin token (data/toka/admin.token), or one from 'toka tokens issue'");
            case 403 -> CliException.refused("Toka refused " + method + " " + path + " (HTTP 403)"
                    + (detail == null ? ": the token lacks a permission it needs" : ": " + detail));
            case 429 -> CliException.failure("Toka's rate limit for this token was reached (HTTP 429)"
                    + (detail != null ? ": " + detail
                    : retryAfter == null ? "" : "; try again in " + retryAfter + " seconds"));
            default -> {
                if (status >= 300 && status < 400) {
                    yield CliException.failure("Toka answered " + method + " " + path + " with a redirect (HTTP "
                            + status + "), which is not followed (the token must not go elsewhere): check --url");
                }
                if (detail != null) {
                    yield CliException.failure(detail + " (HTTP " + status + ")");
                }
                yield CliException.failure(status == 404 ? "there is nothing at " + base.resolve("/api/v1" + path)
                        + " (HTTP 404): is --url Toka's address?"
                        : status >= 500 ? "Toka failed to handle " + method + " " + path + " (HTTP " + status
                        + "); its log (data/log/karaf.log) says why"
                        : "Toka answered " + method + " " + path + " with HTTP " + status);
            }
        };
    }

    /** The message of an error body: RFC 9457 {@code detail}, else {@code message} or {@code error}; or null. */
    private String detail(byte[] body) {
        if (body == null || body.length == 0) {
            return null;
        }
        try {
            JsonNode n = mapper.readTree(body);
            for (String key : new String[] {"detail", "message", "error"}) {
                if (n != null && n.path(key).isTextual() && !n.path(key).asText().isBlank()) {
                    return n.path(key).asText();
                }
            }
            return null;
        } catch (IOException e) {
            return null;
        }
    }

    private static String preview(byte[] body) {
        String text = new String(body, 0, Math.min(body.length, 200), StandardCharsets.UTF_8).strip();
        String line = text.lines().findFirst().orElse("");
        return line.isEmpty() ? "empty" : "starts with '" + (line.length() > 60 ? line.substring(0, 60) + "...'"
                : line + "'");
    }
}
