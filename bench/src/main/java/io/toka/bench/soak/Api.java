package io.toka.bench.soak;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.concurrent.Executors;

/**
 * Toka's REST API as the soak and the swap benchmark call it: JSON in, status and JSON out, one shared HTTP/1.1
 * client. A transport failure becomes a {@link Failure} named after its kind, so that the caller can count it.
 */
final class Api {

    static final ObjectMapper JSON = new ObjectMapper();

    /** An answer: the HTTP status and the body as JSON (a missing node when the body is not JSON). */
    record Reply(int status, JsonNode body) {
        boolean ok() {
            return status >= 200 && status < 300;
        }
    }

    /** A failed operation, with a short label for the error table ({@code http-500}, {@code timeout}, ...). */
    static final class Failure extends Exception {
        private static final long serialVersionUID = 1L;

        final String label;

        Failure(String label, String detail) {
            super(label + ": " + detail, null, false, false);
            this.label = label;
        }
    }

    private final HttpClient http;
    private final String base;
    private final String token;
    private final Duration timeout;

    Api(String base, String token, Duration timeout) {
        this(HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5))
                .executor(Executors.newFixedThreadPool(4, r -> {
                    Thread t = new Thread(r, "soak-http");
                    t.setDaemon(true);
                    return t;
                })).build(), base, token, timeout);
    }

    private Api(HttpClient http, String base, String token, Duration timeout) {
        this.http = http;
        this.base = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
        this.token = token;
        this.timeout = timeout;
    }

    /** The same client with another bearer token. */
    Api as(String otherToken) {
        return new Api(http, base, otherToken, timeout);
    }

    String base() {
        return base;
    }

    Reply get(String path) throws Failure {
        return send(request(path).GET().build());
    }

    Reply post(String path, Object body) throws Failure {
        return send(request(path).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(bytes(body))).build());
    }

    Reply postYaml(String path, String yaml) throws Failure {
        return send(request(path).header("Content-Type", "application/yaml")
                .POST(HttpRequest.BodyPublishers.ofString(yaml)).build());
    }

    Reply delete(String path) throws Failure {
        return send(request(path).DELETE().build());
    }

    /** Opens a Server-Sent Events stream; the caller reads and closes it. */
    HttpResponse<InputStream> stream(String path, String lastEventId) throws Failure {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).header("Accept", "text/event-stream");
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        if (lastEventId != null) {
            b.header("Last-Event-ID", lastEventId);
        }
        try {
            HttpResponse<InputStream> r = http.send(b.GET().build(), HttpResponse.BodyHandlers.ofInputStream());
            if (r.statusCode() != 200) {
                r.body().close();
                throw new Failure("http-" + r.statusCode(), "GET " + path);
            }
            return r;
        } catch (IOException e) {
            throw transport(path, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Failure("interrupted", path);
        }
    }

    private HttpRequest.Builder request(String path) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(timeout);
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return b;
    }

    private Reply send(HttpRequest request) throws Failure {
        try {
            HttpResponse<byte[]> r = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
            JsonNode body;
            try {
                body = r.body().length == 0 ? MissingNode.getInstance() : JSON.readTree(r.body());
            } catch (IOException e) {
                body = MissingNode.getInstance();
            }
            return new Reply(r.statusCode(), body);
        } catch (IOException e) {
            throw transport(request.uri().getPath(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Failure("interrupted", request.uri().getPath());
        }
    }

    private static Failure transport(String path, IOException e) {
        String label = e instanceof HttpTimeoutException ? "timeout" : e instanceof ConnectException ? "connect" : "io";
        return new Failure(label, path + ": " + e);
    }

    private static byte[] bytes(Object body) {
        try {
            return body instanceof String s ? s.getBytes(java.nio.charset.StandardCharsets.UTF_8) : JSON.writeValueAsBytes(body);
        } catch (IOException e) {
            throw new IllegalArgumentException(e);
        }
    }
}
