package io.toka.orchestration.internal.agent;

import io.toka.llm.ContentBlock;
import io.toka.llm.LlmException;
import io.toka.llm.LlmGateway;
import io.toka.llm.LlmRequest;
import io.toka.llm.LlmResponse;
import io.toka.llm.LlmUsage;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An {@link LlmGateway} at the API level that answers from a script per agent and records every request. A step may
 * block (on a latch), throw an {@link LlmException}, or answer with text and tool calls.
 */
public final class ScriptedGateway implements LlmGateway {

    /** One scripted model turn. */
    @FunctionalInterface
    public interface Step {
        LlmResponse answer(LlmRequest request) throws LlmException, InterruptedException;
    }

    private final Map<String, Deque<Step>> scripts = new ConcurrentHashMap<>();
    private volatile Step fallback;
    private final AtomicLong ids = new AtomicLong();
    /** Every request, in arrival order. */
    public final List<LlmRequest> requests = new CopyOnWriteArrayList<>();

    /** Appends steps to the agent's script. */
    public ScriptedGateway script(String agent, Step... steps) {
        Deque<Step> q = scripts.computeIfAbsent(agent, a -> new ConcurrentLinkedDeque<>());
        q.addAll(List.of(steps));
        return this;
    }

    /** What to answer when an agent's script is used up. */
    public ScriptedGateway fallback(Step step) {
        this.fallback = step;
        return this;
    }

    public List<LlmRequest> requestsOf(String agent) {
        return requests.stream().filter(r -> r.agent().equals(agent)).toList();
    }

    @Override
    public LlmResponse complete(LlmRequest request) throws LlmException, InterruptedException {
        requests.add(request);
        Deque<Step> q = scripts.get(request.agent());
        Step s = q == null ? null : q.pollFirst();
        if (s == null) {
            s = fallback;
        }
        if (s == null) {
            throw new LlmException(LlmException.Reason.CONFIGURATION, "no scripted reply for " + request.agent());
        }
        return s.answer(request);
    }

    @Override
    public ProviderInfo provider() {
        return new ProviderInfo("scripted", "test-model", "memory:");
    }

    @Override
    public Map<String, LlmUsage> usage() {
        return Map.of();
    }

    // ---------------------------------------------------------------- steps

    public static LlmResponse reply(List<ContentBlock> content) {
        boolean tools = content.stream().anyMatch(b -> b instanceof ContentBlock.ToolUse);
        return new LlmResponse(content, tools ? "tool_use" : "end_turn", 10, 5, "scripted", "test-model", 0);
    }

    /** A final answer ending with the verdict object. */
    public static Step verdict(String verdict, String summary) {
        return r -> reply(List.of(new ContentBlock.Text("Done.\n{\"verdict\":\"" + verdict + "\",\"summary\":\""
                + summary + "\"}")));
    }

    public static Step text(String text) {
        return r -> reply(List.of(new ContentBlock.Text(text)));
    }

    /** A turn that calls one tool with arguments given as key, value, key, value... */
    public Step tool(String name, Object... args) {
        Map<String, Object> input = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i += 2) {
            input.put((String) args[i], args[i + 1]);
        }
        String id = "call-" + ids.incrementAndGet();
        return r -> reply(List.of(new ContentBlock.Text("Calling " + name), new ContentBlock.ToolUse(id, name, input)));
    }

    public static Step failing(LlmException.Reason reason) {
        return r -> {
            throw new LlmException(reason, "scripted " + reason);
        };
    }

    /** The tool results the model received in a request's last message. */
    public static List<ContentBlock.ToolResult> toolResults(LlmRequest r) {
        List<ContentBlock.ToolResult> out = new ArrayList<>();
        for (ContentBlock b : r.messages().get(r.messages().size() - 1).content()) {
            if (b instanceof ContentBlock.ToolResult tr) {
                out.add(tr);
            }
        }
        return out;
    }
}
