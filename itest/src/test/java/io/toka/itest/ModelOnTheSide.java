package io.toka.itest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A scripted OpenAI-compatible Chat Completions server in the test JVM, outside Toka, so that it outlives a kill -9
 * of Toka. Each agent (found by the "You are NAME," of its system prompt) answers as a function of the conversation,
 * like a deterministic model: asked the same thing again after a restart, it answers the same. A reply may be held
 * until the test releases it, to keep a model call in flight while Toka is killed.
 */
final class ModelOnTheSide implements AutoCloseable {

    static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern AGENT = Pattern.compile("You are ([a-z0-9-]+), an agent");

    /** One answer: text, tool calls, or a hold. */
    record Reply(String text, List<Map<String, Object>> toolCalls, CountDownLatch hold, Reply then) {
        Reply(String text, List<Map<String, Object>> toolCalls, CountDownLatch hold) {
            this(text, toolCalls, hold, null);
        }

        static Reply text(String text) {
            return new Reply(text, List.of(), null);
        }

        static Reply tool(String name, Map<String, Object> arguments) {
            return new Reply(null, List.of(Map.of("name", name, "arguments", arguments)), null);
        }

        /** Answers {@code then} once the latch opens. */
        static Reply heldThen(CountDownLatch release, Reply then) {
            return new Reply(null, List.of(), release, then);
        }

        static Reply verdict(String verdict, String summary) {
            return text("Done.\n{\"verdict\":\"" + verdict + "\",\"summary\":\"" + summary + "\"}");
        }

        /** Answers nothing until the latch opens (or 5 minutes pass). */
        static Reply held(CountDownLatch release) {
            return new Reply(null, List.of(), release);
        }
    }

    /** What the model sees: the request body, and its turn (assistant messages so far). */
    record Ask(JsonNode body, int turn) {
        /** The contents of the tool results in the last messages. */
        List<String> toolResults() {
            List<String> out = new java.util.ArrayList<>();
            JsonNode msgs = body.get("messages");
            for (int i = msgs.size() - 1; i >= 0 && msgs.get(i).path("role").asText().equals("tool"); i--) {
                out.add(0, msgs.get(i).path("content").asText());
            }
            return out;
        }

        String prompt() {
            for (JsonNode m : body.get("messages")) {
                if (m.path("role").asText().equals("user")) {
                    return m.path("content").asText();
                }
            }
            return "";
        }
    }

    private final HttpServer server;
    private final Map<String, Function<Ask, Reply>> agents = new ConcurrentHashMap<>();
    final List<JsonNode> requests = new CopyOnWriteArrayList<>();
    final Map<String, CountDownLatch> arrivedAtHold = new ConcurrentHashMap<>();

    ModelOnTheSide() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "model-on-the-side");
            t.setDaemon(true);
            return t;
        }));
        server.createContext("/", this::handle);
        server.start();
    }

    /** The base URL for etc/io.toka.llm.cfg (the provider adds /v1/chat/completions). */
    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    void agent(String name, Function<Ask, Reply> model) {
        agents.put(name, model);
    }

    /** Requests of one agent, in order. */
    List<JsonNode> requestsOf(String agent) {
        return requests.stream().filter(r -> agent.equals(agentOf(r))).toList();
    }

    static String agentOf(JsonNode body) {
        for (JsonNode m : body.path("messages")) {
            if (m.path("role").asText().equals("system")) {
                Matcher x = AGENT.matcher(m.path("content").asText());
                if (x.find()) {
                    return x.group(1);
                }
            }
        }
        return null;
    }

    private void handle(HttpExchange x) throws IOException {
        try (x) {
            if (!x.getRequestURI().getPath().endsWith("/v1/chat/completions")) {
                x.sendResponseHeaders(404, -1);
                return;
            }
            JsonNode body;
            try (InputStream in = x.getRequestBody()) {
                body = JSON.readTree(in);
            }
            requests.add(body);
            String agent = agentOf(body);
            int turn = 0;
            for (JsonNode m : body.path("messages")) {
                if (m.path("role").asText().equals("assistant")) {
                    turn++;
                }
            }
            Function<Ask, Reply> model = agent == null ? null : agents.get(agent);
            Reply reply = model == null ? Reply.verdict("failure", "no model for this agent")
                    : model.apply(new Ask(body, turn));
            if (reply.hold() != null) {
                arrivedAtHold.computeIfAbsent(agent, a -> new CountDownLatch(1)).countDown();
                try {
                    if (!reply.hold().await(5, TimeUnit.MINUTES)) {
                        x.sendResponseHeaders(500, -1);
                        return;
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
                reply = reply.then() != null ? reply.then() : Reply.verdict("failure", "released a held reply");
            }
            ObjectNode message = JSON.createObjectNode().put("role", "assistant");
            if (reply.text() != null) {
                message.put("content", reply.text());
            } else {
                message.putNull("content");
            }
            if (!reply.toolCalls().isEmpty()) {
                ArrayNode calls = message.putArray("tool_calls");
                int i = 0;
                for (Map<String, Object> c : reply.toolCalls()) {
                    ObjectNode call = calls.addObject();
                    call.put("id", "call_" + agent + "_" + turn + "_" + i++);
                    call.put("type", "function");
                    call.putObject("function").put("name", (String) c.get("name"))
                            .put("arguments", JSON.writeValueAsString(c.get("arguments")));
                }
            }
            ObjectNode out = JSON.createObjectNode();
            out.put("id", "chatcmpl-" + requests.size()).put("object", "chat.completion").put("model", "side-model");
            ObjectNode choice = out.putArray("choices").addObject();
            choice.put("index", 0);
            choice.set("message", message);
            choice.put("finish_reason", reply.toolCalls().isEmpty() ? "stop" : "tool_calls");
            out.putObject("usage").put("prompt_tokens", 50).put("completion_tokens", 10).put("total_tokens", 60);
            byte[] bytes = JSON.writeValueAsBytes(out);
            x.getResponseHeaders().set("Content-Type", "application/json");
            x.sendResponseHeaders(200, bytes.length);
            try (OutputStream o = x.getResponseBody()) {
                o.write(bytes);
            }
        } catch (IOException | RuntimeException e) {
            // the client went away (Toka was killed): nothing to answer
        }
    }

    /** Waits until the agent's request reached a held reply. */
    boolean awaitHold(String agent, long seconds) throws InterruptedException {
        return arrivedAtHold.computeIfAbsent(agent, a -> new CountDownLatch(1)).await(seconds, TimeUnit.SECONDS);
    }

    @Override
    public void close() {
        server.stop(0);
    }

    static String utf8(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }
}
