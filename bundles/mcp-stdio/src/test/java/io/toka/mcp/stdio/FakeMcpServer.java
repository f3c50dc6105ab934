package io.toka.mcp.stdio;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A small Streamable HTTP MCP server (2025-11-25 with a session, and 2026-07-28 requests without one) on 127.0.0.1,
 * made with the JDK's HTTP server, that records every exchange.
 *
 * <ul>
 *   <li>{@code initialize}: JSON, with an {@code Mcp-Session-Id} header.</li>
 *   <li>{@code tools/list}, {@code ping}: JSON.</li>
 *   <li>{@code tools/call echo}: SSE: a priming event, a progress notification, then the result.</li>
 *   <li>{@code tools/call slow}: SSE: a progress notification, then keep-alives until {@link #releaseSlow()} (the
 *       result), a {@code notifications/cancelled} for it (the stream ends without an answer), or the client
 *       disconnects (recorded in {@link #slowDisconnected}).</li>
 *   <li>{@code tools/call flaky}: SSE with numbered events, closed before the answer; the answer comes on the GET
 *       that resumes with {@code Last-Event-ID}.</li>
 *   <li>notifications and responses: 202.</li>
 *   <li>a wrong token: 401; an unknown session id: 404.</li>
 *   <li>GET: the session's stream, which sends one {@code notifications/tools/list_changed}, then stays open.</li>
 *   <li>DELETE: ends the session.</li>
 * </ul>
 */
final class FakeMcpServer implements AutoCloseable {

    /** One HTTP exchange as the server saw it. */
    record Exchange(String httpMethod, Map<String, String> headers, String body, Map<String, Object> message) {

        String header(String name) {
            return headers.get(name);
        }

        String rpcMethod() {
            return message == null ? null : Json.string(message, "method");
        }

        Object rpcId() {
            return message == null ? null : message.get("id");
        }
    }

    final String token = "tk-" + UUID.randomUUID();
    final List<Exchange> exchanges = new CopyOnWriteArrayList<>();
    final BlockingQueue<Exchange> queue = new LinkedBlockingQueue<>();
    final CountDownLatch slowDisconnected = new CountDownLatch(1);
    final CountDownLatch slowStarted = new CountDownLatch(1);
    final Set<String> sessions = ConcurrentHashMap.newKeySet();
    final AtomicInteger sessionCount = new AtomicInteger();
    final List<Map<String, Object>> toolList = new CopyOnWriteArrayList<>();

    private final HttpServer server;
    private final ExecutorService executor = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "fake-mcp");
        t.setDaemon(true);
        return t;
    });
    private final CountDownLatch releaseSlow = new CountDownLatch(1);
    private final CountDownLatch stopping = new CountDownLatch(1);
    private final Set<String> cancelled = ConcurrentHashMap.newKeySet();
    private volatile boolean refuseInitialize;
    private volatile Object flakyId;

    FakeMcpServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(executor);
        server.createContext("/mcp", this::handle);
        toolList.add(Map.of("name", "echo", "inputSchema", Map.of("type", "object")));
        server.start();
    }

    URI url() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/mcp");
    }

    void releaseSlow() {
        releaseSlow.countDown();
    }

    /** Forgets every session, as a restarted Toka would. */
    void forgetSessions() {
        sessions.clear();
    }

    void refuseInitialize() {
        refuseInitialize = true;
    }

    /**
     * Waits for the next exchange that matches.
     *
     * @param httpMethod the HTTP method
     * @param rpcMethod the JSON-RPC method, or null for any
     * @return the exchange
     */
    Exchange await(String httpMethod, String rpcMethod) throws InterruptedException {
        while (true) {
            Exchange e = queue.poll(20, TimeUnit.SECONDS);
            if (e == null) {
                throw new AssertionError("no " + httpMethod + " " + rpcMethod + " reached the server; seen: "
                        + exchanges.stream().map(x -> x.httpMethod() + " " + x.rpcMethod()).toList());
            }
            if (e.httpMethod().equals(httpMethod) && (rpcMethod == null || rpcMethod.equals(e.rpcMethod()))) {
                return e;
            }
        }
    }

    private void handle(HttpExchange x) throws IOException {
        try (x) {
            Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
            x.getRequestHeaders().forEach((k, v) -> headers.put(k, String.join(",", v)));
            String body = new String(x.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            Map<String, Object> message = null;
            if (!body.isEmpty()) {
                try {
                    message = Json.object(Json.parse(body));
                } catch (Json.JsonException e) {
                    send(x, 400, "application/json", "{\"error\":\"bad json\"}");
                    return;
                }
            }
            Exchange e = new Exchange(x.getRequestMethod(), headers, body, message);
            exchanges.add(e);
            queue.add(e);
            if (!("Bearer " + token).equals(headers.get("Authorization"))) {
                send(x, 401, "application/json", "{\"error\":\"invalid or expired token\"}");
                return;
            }
            switch (x.getRequestMethod()) {
                case "POST" -> post(x, e);
                case "GET" -> get(x, e);
                case "DELETE" -> {
                    boolean known = sessions.remove(String.valueOf(headers.get("Mcp-Session-Id")));
                    x.sendResponseHeaders(known ? 200 : 404, -1);
                }
                default -> x.sendResponseHeaders(405, -1);
            }
        }
    }

    private void post(HttpExchange x, Exchange e) throws IOException {
        String method = e.rpcMethod();
        Object id = e.rpcId();
        boolean stateless = e.message() != null && JsonRpc.metaProtocolVersion(e.message()) != null;
        if ("initialize".equals(method)) {
            if (refuseInitialize) {
                send(x, 503, "text/plain", "MCP is stopping");
                return;
            }
            String session = "session-" + sessionCount.incrementAndGet() + "-" + UUID.randomUUID();
            sessions.add(session);
            x.getResponseHeaders().add("Mcp-Session-Id", session);
            send(x, 200, "application/json", response(id, "{\"protocolVersion\":\"2025-11-25\",\"capabilities\":"
                    + "{\"tools\":{\"listChanged\":true}},\"serverInfo\":{\"name\":\"fake-toka\",\"version\":\"9\"}}"));
            return;
        }
        if (!stateless) {
            String session = e.header("Mcp-Session-Id");
            if (session == null) {
                send(x, 400, "application/json", "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32600,"
                        + "\"message\":\"Mcp-Session-Id required\"}}");
                return;
            }
            if (!sessions.contains(session)) {
                send(x, 404, "application/json", "{\"error\":\"unknown session\"}");
                return;
            }
        }
        if (id == null || method == null) {
            if ("notifications/cancelled".equals(method)) {
                cancelled.add(JsonRpc.idKey(Json.member(e.message().get("params"), "requestId")));
            }
            x.sendResponseHeaders(202, -1);
            return;
        }
        switch (method) {
            case "ping" -> send(x, 200, "application/json", response(id, "{}"));
            case "tools/list" -> send(x, 200, "application/json",
                    response(id, Json.write(Map.of("tools", List.copyOf(toolList)))));
            case "tools/call" -> call(x, e, id);
            default -> send(x, 200, "application/json", "{\"jsonrpc\":\"2.0\",\"id\":" + Json.write(id)
                    + ",\"error\":{\"code\":-32601,\"message\":\"Method not found: " + method + "\"}}");
        }
    }

    private void call(HttpExchange x, Exchange e, Object id) throws IOException {
        String tool = Json.string(e.message().get("params"), "name");
        x.getResponseHeaders().add("Content-Type", "text/event-stream");
        x.sendResponseHeaders(200, 0);
        OutputStream out = x.getResponseBody();
        String progress = "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":{\"progressToken\":"
                + "\"p-" + Json.write(id).replace("\"", "") + "\",\"progress\":1,\"total\":2,\"message\":\"half way\"}}";
        switch (String.valueOf(tool)) {
            case "echo" -> {
                event(out, "id: e-0\ndata:\n\n");
                event(out, "id: e-1\ndata: " + progress + "\n\n");
                event(out, "id: e-2\ndata: " + response(id, "{\"content\":[{\"type\":\"text\",\"text\":\"echo "
                        + "\\u00e9t\\u00e9\"}],\"isError\":false}") + "\n\n");
            }
            case "flaky" -> {
                flakyId = id;
                // numbered events, then the connection closes without the answer; the GET resuming after f-1 gets it
                event(out, "id: f-0\nretry: 10\ndata:\n\n");
                event(out, "id: f-1\ndata: " + progress + "\n\n");
            }
            case "slow" -> {
                slowStarted.countDown();
                event(out, "data: " + progress + "\n\n");
                try {
                    while (!releaseSlow.await(20, TimeUnit.MILLISECONDS)) {
                        if (cancelled.contains(JsonRpc.idKey(id)) || stopping.getCount() == 0) {
                            return;
                        }
                        // a keep-alive comment; writing to a closed connection fails, which is how we see it
                        event(out, ":\n\n");
                    }
                } catch (InterruptedException ex) {
                    return;
                } catch (IOException ex) {
                    slowDisconnected.countDown();
                    return;
                }
                event(out, "data: " + response(id, "{\"content\":[{\"type\":\"text\",\"text\":\"slow done\"}]}")
                        + "\n\n");
            }
            default -> event(out, "data: " + response(id, "{\"content\":[],\"isError\":true}") + "\n\n");
        }
    }

    private void get(HttpExchange x, Exchange e) throws IOException {
        String session = e.header("Mcp-Session-Id");
        if (session == null || !sessions.contains(session)) {
            send(x, 404, "application/json", "{\"error\":\"unknown session\"}");
            return;
        }
        x.getResponseHeaders().add("Content-Type", "text/event-stream");
        x.sendResponseHeaders(200, 0);
        OutputStream out = x.getResponseBody();
        String last = e.header("Last-Event-ID");
        if (last != null && last.startsWith("f-")) {
            // resuming the flaky call's stream: the answer it did not get
            event(out, "id: f-2\ndata: " + response(flakyId, "{\"content\":[{\"type\":\"text\",\"text\":"
                    + "\"resumed\"}]}") + "\n\n");
            return;
        }
        event(out, "id: g-1\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/tools/list_changed\"}\n\n");
        try {
            while (!stopping.await(20, TimeUnit.MILLISECONDS) && sessions.contains(session)) {
                event(out, ":\n\n");
            }
        } catch (InterruptedException | IOException ex) {
            // the client went away, or the server stops
        }
    }

    private static void event(OutputStream out, String text) throws IOException {
        out.write(text.getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private static String response(Object id, String result) {
        return "{\"jsonrpc\":\"2.0\",\"id\":" + Json.write(id) + ",\"result\":" + result + "}";
    }

    private static void send(HttpExchange x, int status, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        x.getResponseHeaders().add("Content-Type", type);
        x.sendResponseHeaders(status, bytes.length);
        x.getResponseBody().write(bytes);
    }

    @Override
    public void close() {
        stopping.countDown();
        releaseSlow.countDown();
        server.stop(0);
        executor.shutdownNow();
    }
}
