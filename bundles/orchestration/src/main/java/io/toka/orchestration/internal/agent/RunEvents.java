package io.toka.orchestration.internal.agent;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.toka.event.Event;
import io.toka.event.EventPayload;
import io.toka.llm.ContentBlock;
import io.toka.orchestration.AgentConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The journal of a durable run: one event per step, recorded before Toka acts on it, from which a run is rebuilt
 * after a restart. Kinds {@code agent.run.*}; every payload names the agent (indexed) and the run.
 *
 * <pre>
 * agent.run.started          the run, its configuration (as it was), who started it, its parent
 * agent.run.task_started     a task: its index, description, prompt, the queued task's id
 * agent.run.model_requested  a model request is about to be sent (retry n)
 * agent.run.model_turn       the model's reply, before any of it is acted on
 * agent.run.tool_called      a tool call is about to be made
 * agent.run.tool_returned    its result, before the model sees it
 * agent.run.reminded         a final answer without a verdict got the one reminder
 * agent.run.task_ended       a task's outcome
 * agent.run.paused/continued pause and resume by an operator
 * agent.run.recovered        the run was rebuilt after a restart, and what it does about calls in flight
 * agent.run.placed           the session's node handed the new run to the least-loaded node (a cluster)
 * agent.run.ended            the run's end
 * </pre>
 */
final class RunEvents {

    static final ObjectMapper JSON = new ObjectMapper()
            .configure(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    private RunEvents() {
    }

    /** A payload of a run's journal. */
    interface RunEvent extends EventPayload {
        String run();
    }

    /**
     * @param ownToken whether the run has a token of its own for its default tasks (kept under the run id); a run
     *     started for queued tasks has none: each task has its submitter's
     */
    record Started(String agent, String run, String subject, String caller, String parentAgent, String parentRun,
            String session, boolean ownToken, AgentConfig config) implements RunEvent {
        @Override
        public String kind() {
            return "agent.run.started";
        }
    }

    /**
     * @param taskId the queued task's id ({@code task.scheduled} event), or {@code null} for a default task
     * @param prompt the task's user prompt, as the model saw it
     * @param tools the registered tools the task was offered (a resumed run waits for them to be registered)
     */
    record TaskStarted(String agent, String run, int index, String task, String taskId, String prompt,
            List<String> tools, String subject) implements RunEvent {
        @Override
        public String kind() {
            return "agent.run.task_started";
        }
    }

    record ModelRequested(String agent, String run, int index, int step, int retry) implements RunEvent {
        @Override
        public String kind() {
            return "agent.run.model_requested";
        }
    }

    record ModelTurn(String agent, String run, int index, int step, List<Block> content, String stopReason,
            long inputTokens, long outputTokens, long queueWaitMs) implements RunEvent {
        @Override
        public String kind() {
            return "agent.run.model_turn";
        }
    }

    /** @param idempotent what the tool declared when it was called: whether a call in flight at a crash may repeat */
    record ToolCalled(String agent, String run, int index, String callId, String tool, Map<String, Object> input,
            boolean idempotent) implements RunEvent {
        @Override
        public String kind() {
            return "agent.run.tool_called";
        }
    }

    /**
     * @param outcome {@code success}; {@code failure} (the tool ran and failed: it can downgrade a success verdict);
     *     {@code refused} (a permission, an unknown tool, bad arguments); {@code unknown} (in flight at a crash, not
     *     repeatable)
     */
    record ToolReturned(String agent, String run, int index, String callId, String tool, String content,
            boolean error, String outcome) implements RunEvent {
        @Override
        public String kind() {
            return "agent.run.tool_returned";
        }
    }

    record Reminded(String agent, String run, int index, String text) implements RunEvent {
        @Override
        public String kind() {
            return "agent.run.reminded";
        }
    }

    record TaskEnded(String agent, String run, int index, String task, boolean success, String summary, int steps,
            int toolCalls, int attempts, long durationMs) implements RunEvent {
        @Override
        public String kind() {
            return "agent.run.task_ended";
        }
    }

    record Paused(String agent, String run) implements RunEvent {
        @Override
        public String kind() {
            return "agent.run.paused";
        }
    }

    record Continued(String agent, String run) implements RunEvent {
        @Override
        public String kind() {
            return "agent.run.continued";
        }
    }

    /** @param detail where the run resumes, and what it does about a call that was in flight */
    record Recovered(String agent, String run, String detail) implements RunEvent {
        @Override
        public String kind() {
            return "agent.run.recovered";
        }
    }

    record Ended(String agent, String run, String state, String verdict, String message) implements RunEvent {
        @Override
        public String kind() {
            return "agent.run.ended";
        }
    }

    /** A content block of a model turn, as stored. */
    record Block(String type, String text, String id, String name, Map<String, Object> input) {

        static List<Block> of(List<ContentBlock> blocks) {
            List<Block> out = new ArrayList<>(blocks.size());
            for (ContentBlock b : blocks) {
                if (b instanceof ContentBlock.Text t) {
                    out.add(new Block("text", t.text(), null, null, null));
                } else if (b instanceof ContentBlock.ToolUse u) {
                    out.add(new Block("tool_use", null, u.id(), u.name(), u.input()));
                } else if (b instanceof ContentBlock.ToolResult r) {
                    out.add(new Block(r.isError() ? "tool_error" : "tool_result", r.content(), r.toolUseId(), null,
                            null));
                }
            }
            return out;
        }

        static List<ContentBlock> toContent(List<Block> blocks) {
            List<ContentBlock> out = new ArrayList<>(blocks.size());
            for (Block b : blocks) {
                switch (b.type()) {
                    case "text" -> out.add(new ContentBlock.Text(b.text() == null ? "" : b.text()));
                    case "tool_use" -> out.add(new ContentBlock.ToolUse(b.id(), b.name(), b.input()));
                    case "tool_result", "tool_error" -> out.add(new ContentBlock.ToolResult(b.id(),
                            b.text() == null ? "" : b.text(), b.type().equals("tool_error")));
                    default -> throw new IllegalArgumentException("unknown block type '" + b.type() + "'");
                }
            }
            return out;
        }
    }

    private static final Map<String, Class<? extends RunEvent>> KINDS = Map.ofEntries(
            Map.entry("agent.run.started", Started.class),
            Map.entry("agent.run.task_started", TaskStarted.class),
            Map.entry("agent.run.model_requested", ModelRequested.class),
            Map.entry("agent.run.model_turn", ModelTurn.class),
            Map.entry("agent.run.tool_called", ToolCalled.class),
            Map.entry("agent.run.tool_returned", ToolReturned.class),
            Map.entry("agent.run.reminded", Reminded.class),
            Map.entry("agent.run.task_ended", TaskEnded.class),
            Map.entry("agent.run.paused", Paused.class),
            Map.entry("agent.run.continued", Continued.class),
            Map.entry("agent.run.recovered", Recovered.class),
            Map.entry("agent.run.placed", Placement.Placed.class),
            Map.entry("agent.run.ended", Ended.class));

    /**
     * @return the stored run event, or empty for another kind
     * @throws IllegalArgumentException if its payload does not read
     */
    static Optional<RunEvent> read(Event e) {
        Class<? extends RunEvent> type = KINDS.get(e.kind());
        if (type == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(JSON.readValue(e.payload(), type));
        } catch (java.io.IOException ex) {
            throw new IllegalArgumentException("event " + e.id() + " (" + e.kind() + ") does not read: "
                    + ex.getMessage(), ex);
        }
    }

    /** The payload classes, for tests. */
    static java.util.Set<String> kinds() {
        return KINDS.keySet();
    }
}
