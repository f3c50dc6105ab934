package io.toka.cli;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * A small HTTP server on 127.0.0.1 answering like Toka's {@code /api/v1} (shapes taken from the servlets in
 * bundles/http): a request without the right Bearer token gets Toka's generic 401 problem; other answers are
 * set per route by the test; an unknown route gets Toka's 404 problem. Every request is recorded.
 */
final class FakeToka implements AutoCloseable {

    /** One request as the server saw it. */
    record Request(String method, String path, String query, Map<String, String> headers, String body) {
        String header(String name) {
            return headers.get(name.toLowerCase());
        }
    }

    /** An answer; {@code sse} events are written one by one, then the stream stays open if {@code holdOpen}. */
    record Answer(int status, String contentType, String body, List<String> sse, boolean holdOpen,
                  Map<String, String> headers) {
    }

    /** Computes an answer from the request. */
    interface Route {
        Answer answer(Request r) throws IOException;
    }

    static final String PROBLEM = "application/problem+json";

    final String token = "tk-" + UUID.randomUUID();
    final List<Request> requests = new CopyOnWriteArrayList<>();
    final Map<String, Route> routes = new ConcurrentHashMap<>();
    /** Counts down when a held-open stream sees its client go away. */
    final CountDownLatch streamClosed = new CountDownLatch(1);

    private final HttpServer server;
    private final ExecutorService executor = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "fake-toka");
        t.setDaemon(true);
        return t;
    });
    private final CountDownLatch stopping = new CountDownLatch(1);

    FakeToka() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.start();
    }

    /** @return the base address, e.g. http://127.0.0.1:40123 */
    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    static Answer json(int status, String body) {
        return new Answer(status, "application/json", body, null, false, Map.of());
    }

    static Answer problem(int status, String title, String detail) {
        return new Answer(status, PROBLEM, "{\"type\":\"urn:toka:problem:x\",\"title\":\"" + title + "\",\"status\":"
                + status + ",\"detail\":\"" + detail.replace("\"", "\\\"") + "\",\"instance\":\"/api/v1/x\"}", null,
                false, Map.of());
    }

    static Answer sse(List<String> events, boolean holdOpen) {
        return new Answer(200, "text/event-stream", null, events, holdOpen, Map.of());
    }

    /** Sets the answer of {@code METHOD /api/v1/path} (the path without the query). */
    FakeToka on(String method, String path, Answer answer) {
        routes.put(method + " /api/v1" + path, r -> answer);
        return this;
    }

    FakeToka on(String method, String path, Route route) {
        routes.put(method + " /api/v1" + path, route);
        return this;
    }

    /** @return the requests to {@code METHOD /api/v1/path} */
    List<Request> requests(String method, String path) {
        return requests.stream().filter(r -> r.method().equals(method) && r.path().equals("/api/v1" + path)).toList();
    }

    private void handle(HttpExchange x) throws IOException {
        try (x) {
            Map<String, String> headers = new TreeMap<>();
            x.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(), String.join(",", v)));
            String body = new String(x.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            Request r = new Request(x.getRequestMethod(), x.getRequestURI().getPath(), x.getRequestURI().getRawQuery(),
                    headers, body);
            requests.add(r);
            Answer a;
            boolean open = r.path().equals("/api/v1/health");
            if (!open && !("Bearer " + token).equals(r.header("Authorization"))) {
                x.getResponseHeaders().add("WWW-Authenticate", "Bearer realm=\"toka\"");
                a = problem(401, "Unauthorized", "a valid capability token is required: send 'Authorization: Bearer <token>'");
            } else {
                Route route = routes.get(r.method() + " " + r.path());
                a = route == null ? problem(404, "Not found", "no such path") : route.answer(r);
            }
            a.headers().forEach((k, v) -> x.getResponseHeaders().add(k, v));
            x.getResponseHeaders().add("Content-Type", a.contentType());
            if (a.sse() == null) {
                byte[] bytes = a.body().getBytes(StandardCharsets.UTF_8);
                x.sendResponseHeaders(a.status(), bytes.length == 0 ? -1 : bytes.length);
                x.getResponseBody().write(bytes);
                return;
            }
            x.sendResponseHeaders(200, 0);
            OutputStream out = x.getResponseBody();
            out.write(": toka event stream\nretry: 2000\n\n".getBytes(StandardCharsets.UTF_8));
            for (String e : a.sse()) {
                out.write(e.getBytes(StandardCharsets.UTF_8));
                out.flush();
            }
            if (a.holdOpen()) {
                try {
                    // keep-alives until the client goes away (a write then fails) or the server stops
                    while (!stopping.await(100, TimeUnit.MILLISECONDS)) {
                        out.write(": keep-alive\n\n".getBytes(StandardCharsets.UTF_8));
                        out.flush();
                    }
                } catch (IOException gone) {
                    streamClosed.countDown();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    /** @return one SSE event as Toka's EventStream writes it */
    static String event(long seq, String kind, String agent, String payload) {
        return "id: " + seq + "\nevent: " + kind + "\ndata: {\"seq\":" + seq + ",\"id\":\"e" + seq + "\",\"kind\":\""
                + kind + "\",\"version\":1,\"timestamp\":\"2026-12-05T08:00:0" + (seq % 10) + "Z\",\"agent\":"
                + (agent == null ? "null" : "\"" + agent + "\"") + ",\"subject\":\"admin\",\"parents\":[],"
                + "\"digest\":\"d\",\"payload\":" + payload + "}\n\n";
    }

    @Override
    public void close() {
        stopping.countDown();
        server.stop(0);
        executor.shutdownNow();
    }
}
