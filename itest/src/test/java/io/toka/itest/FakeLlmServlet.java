package io.toka.itest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.servlet.http.HttpServlet;
import javax.servlet.http.HttpServletRequest;
import javax.servlet.http.HttpServletResponse;

/**
 * A protocol-faithful OpenAI-compatible Chat Completions server for the itests, registered in the test probe on
 * Toka's own HTTP port (whiteboard pattern {@code /fake-llm/*}). Each agent has its own script of turns, found by
 * the agent's name in the request; every request body is recorded.
 */
public final class FakeLlmServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;
    static final ObjectMapper JSON = new ObjectMapper();

    /** One scripted turn: an HTTP status with headers, or a reply. */
    record Turn(int status, Map<String, String> headers, String text, List<Map<String, Object>> toolCalls,
            java.util.concurrent.CountDownLatch arrived, java.util.concurrent.CountDownLatch gate) {
        Turn(int status, Map<String, String> headers, String text, List<Map<String, Object>> toolCalls) {
            this(status, headers, text, toolCalls, null, null);
        }

        /** This turn, answered only once {@code gate} opens; {@code arrived} counts down when the request comes. */
        Turn held(java.util.concurrent.CountDownLatch arrived, java.util.concurrent.CountDownLatch gate) {
            return new Turn(status, headers, text, toolCalls, arrived, gate);
        }
    }

    private final Map<String, Deque<Turn>> scripts = new ConcurrentHashMap<>();
    final List<JsonNode> requests = new CopyOnWriteArrayList<>();
    final List<String> agentsInOrder = new CopyOnWriteArrayList<>();

    void script(String agent, Turn... turns) {
        scripts.computeIfAbsent(agent, a -> new ArrayDeque<>()).addAll(List.of(turns));
    }

    static Turn text(String text) {
        return new Turn(200, Map.of(), text, List.of());
    }

    static Turn tool(String name, Map<String, Object> arguments) {
        return new Turn(200, Map.of(), null, List.of(Map.of("name", name, "arguments", arguments)));
    }

    static Turn status(int status, Map<String, String> headers) {
        return new Turn(status, headers, null, List.of());
    }

    static String verdict(String verdict, String summary) {
        return "Done.\n{\"verdict\":\"" + verdict + "\",\"summary\":\"" + summary + "\"}";
    }

    @Override
    protected void doPost(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        if (!req.getRequestURI().endsWith("/v1/chat/completions")) {
            resp.sendError(404);
            return;
        }
        if (!"Bearer itest-key".equals(req.getHeader("Authorization"))) {
            resp.setStatus(401);
            resp.getOutputStream().write("{\"error\":{\"message\":\"bad key\"}}".getBytes(StandardCharsets.UTF_8));
            return;
        }
        JsonNode body = JSON.readTree(req.getInputStream());
        requests.add(body);
        String text = body.toString();
        String agent = null;
        synchronized (scripts) {
            for (String name : scripts.keySet()) {
                if (text.contains(name) && (agent == null || name.length() > agent.length())) {
                    agent = name;
                }
            }
        }
        Turn turn = null;
        if (agent != null) {
            if (agentsInOrder.isEmpty() || !agentsInOrder.get(agentsInOrder.size() - 1).equals(agent)) {
                agentsInOrder.add(agent);
            }
            Deque<Turn> q = scripts.get(agent);
            synchronized (q) {
                turn = q.pollFirst();
            }
        }
        if (turn == null) {
            turn = text(verdict("failure", "the fake LLM has no script left for this request"));
        }
        if (turn.gate() != null) {
            turn.arrived().countDown();
            try {
                if (!turn.gate().await(60, java.util.concurrent.TimeUnit.SECONDS)) {
                    resp.setStatus(500);
                    return;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                resp.setStatus(500);
                return;
            }
        }
        resp.setContentType("application/json");
        if (turn.status() != 200) {
            resp.setStatus(turn.status());
            turn.headers().forEach(resp::setHeader);
            resp.getOutputStream().write("{\"error\":{\"message\":\"scripted error\"}}".getBytes(StandardCharsets.UTF_8));
            return;
        }
        ObjectNode message = JSON.createObjectNode().put("role", "assistant");
        if (turn.text() != null) {
            message.put("content", turn.text());
        } else {
            message.putNull("content");
        }
        if (!turn.toolCalls().isEmpty()) {
            ArrayNode calls = message.putArray("tool_calls");
            int i = 0;
            for (Map<String, Object> c : turn.toolCalls()) {
                ObjectNode call = calls.addObject();
                call.put("id", "call_" + requests.size() + "_" + i++);
                call.put("type", "function");
                call.putObject("function").put("name", (String) c.get("name"))
                        .put("arguments", JSON.writeValueAsString(c.get("arguments")));
            }
        }
        ObjectNode out = JSON.createObjectNode();
        out.put("id", "chatcmpl-" + requests.size()).put("object", "chat.completion").put("model", "fake-model");
        ObjectNode choice = out.putArray("choices").addObject();
        choice.put("index", 0);
        choice.set("message", message);
        choice.put("finish_reason", turn.toolCalls().isEmpty() ? "stop" : "tool_calls");
        out.putObject("usage").put("prompt_tokens", 50).put("completion_tokens", 10).put("total_tokens", 60);
        resp.setStatus(200);
        resp.getOutputStream().write(JSON.writeValueAsBytes(out));
    }
}
