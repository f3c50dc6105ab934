package io.toka.bench.soak;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A scripted OpenAI-compatible model on loopback ({@code POST /v1/chat/completions}), for agent runs under load. It
 * keeps no state: a conversation with no tool result yet gets a call of {@code tool}; one that has a tool result gets
 * the final answer with a success verdict. Each answer takes {@code delayMs} ± 50 %, like a small model.
 */
final class FakeModel implements AutoCloseable {

    private final HttpServer server;
    private final ExecutorService pool;
    private final String tool;
    private final String argumentsJson;
    private final int delayMs;
    final AtomicLong requests = new AtomicLong();
    final AtomicLong refused = new AtomicLong();

    FakeModel(int port, String tool, String argumentsJson, int delayMs) throws IOException {
        this.tool = tool;
        this.argumentsJson = argumentsJson;
        this.delayMs = delayMs;
        this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 64);
        this.pool = Executors.newFixedThreadPool(16, r -> {
            Thread t = new Thread(r, "fake-model");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(pool);
        server.createContext("/v1/chat/completions", this::complete);
        server.start();
    }

    private void complete(HttpExchange x) throws IOException {
        try (x; InputStream in = x.getRequestBody()) {
            JsonNode body;
            try {
                body = Api.JSON.readTree(in);
            } catch (IOException e) {
                reply(x, 400, "{\"error\":{\"message\":\"body is not JSON\"}}");
                refused.incrementAndGet();
                return;
            }
            if (!"POST".equals(x.getRequestMethod()) || !body.path("messages").isArray()) {
                reply(x, 400, "{\"error\":{\"message\":\"expected a chat completion request\"}}");
                refused.incrementAndGet();
                return;
            }
            long n = requests.incrementAndGet();
            boolean toolAnswered = false;
            for (JsonNode m : body.path("messages")) {
                toolAnswered |= "tool".equals(m.path("role").asText());
            }
            try {
                Thread.sleep(delayMs / 2 + ThreadLocalRandom.current().nextInt(delayMs + 1));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            ObjectNode message = Api.JSON.createObjectNode().put("role", "assistant");
            if (toolAnswered) {
                message.put("content", "Done.\n{\"verdict\":\"success\",\"summary\":\"the tool answered\"}");
            } else {
                message.putNull("content");
                ObjectNode call = message.putArray("tool_calls").addObject();
                call.put("id", "call_" + n).put("type", "function");
                call.putObject("function").put("name", tool).put("arguments", argumentsJson);
            }
            ObjectNode out = Api.JSON.createObjectNode();
            out.put("id", "chatcmpl-" + n).put("object", "chat.completion").put("model", body.path("model").asText("fake"));
            ObjectNode choice = out.putArray("choices").addObject();
            choice.put("index", 0);
            choice.set("message", message);
            choice.put("finish_reason", toolAnswered ? "stop" : "tool_calls");
            out.putObject("usage").put("prompt_tokens", 50).put("completion_tokens", 10).put("total_tokens", 60);
            reply(x, 200, Api.JSON.writeValueAsString(out));
        }
    }

    private static void reply(HttpExchange x, int status, String json) throws IOException {
        byte[] b = json.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        x.getResponseHeaders().set("Content-Type", "application/json");
        x.sendResponseHeaders(status, b.length);
        x.getResponseBody().write(b);
    }

    @Override
    public void close() {
        server.stop(0);
        pool.shutdownNow();
    }
}
