package io.toka.mcp.internal;

import io.toka.orchestration.AgentService;
import io.toka.orchestration.AgentStatus;
import io.toka.runtime.registry.CallOptions;
import io.toka.runtime.registry.CancellationSignal;
import io.toka.runtime.registry.InvalidArgumentsException;
import io.toka.runtime.registry.ToolCallResult;
import io.toka.security.SecurityContext;
import io.toka.tool.ToolDescriptor;
import io.toka.tool.ToolResult;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@value #NAME}: runs one agent on the server and answers when the run ends, with its verdict and the outcome of
 * each task; needs {@code agent:run}, checked as {@code POST /api/v1/agents/{name}/run} does (and again by
 * {@link AgentService#run}, which delegates the agent's narrowed token from the caller's). While it runs, progress
 * notifications follow the agent's; cancelling the call terminates the run.
 */
final class AgentRunTool implements ServerTool {

    static final String NAME = "toka-agent-run";
    static final String RUN = "agent:run";
    /** How often the run's state is looked at for progress. */
    private static final Duration POLL = Duration.ofMillis(250);

    private static final ToolDescriptor DESCRIPTOR = ToolDescriptor.builder(NAME).version("1.0.0")
            .title("Run a Toka agent")
            .description("Runs one of Toka's agents (see " + AgentListTool.NAME + ") on the server, with its own "
                    + "model and a token narrowed to what it needs, and returns when it has finished: its verdict "
                    + "and a summary per task. Cancelling the call stops the agent.")
            .inputSchema("{\"type\":\"object\",\"properties\":{\"agent\":{\"type\":\"string\",\"minLength\":1,"
                    + "\"description\":\"The agent's name\"}},\"required\":[\"agent\"],\"additionalProperties\":false}")
            .requiredPermissions(RUN).readOnly(false).idempotent(false).openWorld(true).destructive(true)
            .build();

    private final AgentService agents;

    AgentRunTool(AgentService agents) {
        this.agents = agents;
    }

    @Override
    public ToolDescriptor descriptor() {
        return DESCRIPTOR;
    }

    @Override
    public boolean visible(SecurityContext caller) {
        return caller.isPermitted(RUN);
    }

    @Override
    public ToolCallResult call(Map<String, Object> arguments, SecurityContext caller, CallOptions options)
            throws InvalidArgumentsException {
        long start = System.nanoTime();
        Object agentArg = arguments.get("agent");
        if (!(agentArg instanceof String name) || name.isBlank() || arguments.size() != 1) {
            throw new InvalidArgumentsException(NAME,
                    List.of("it takes one argument, \"agent\": the name of an agent"));
        }
        caller.authorize("agent.run:" + name, List.of(RUN));
        if (agents.agent(name).isEmpty()) {
            return failure("Unknown agent '" + JsonRpc.clip(name, 64) + "'; " + AgentListTool.NAME
                    + " lists the agents", null, start);
        }
        AgentStatus status;
        try {
            status = agents.run(name, caller);
        } catch (IllegalStateException | IllegalArgumentException e) {
            return failure(e.getMessage(), null, start);
        }
        String runId = status.runId();
        CancellationSignal signal = options.cancellation();
        if (signal != null) {
            signal.onCancel(() -> agents.terminate(name));
        }
        double reported = -1;
        while (!finished(status)) {
            if (status.progress() != reported) {
                reported = status.progress();
                options.observer().progress(Math.round(reported * 1000) / 10.0, 100.0, status.message());
            }
            try {
                status = agents.await(name, POLL);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                agents.terminate(name);
                return failure("interrupted: the agent was stopped", status, start);
            }
            if (!runId.equals(status.runId())) {
                // another run replaced ours: ours has ended
                return failure("the run " + runId + " was replaced by " + status.runId(), status, start);
            }
        }
        return status.state() == AgentStatus.State.COMPLETED
                ? new ToolCallResult(ToolCallResult.Status.SUCCESS, ToolResult.success(summary(status),
                        structured(status)), System.nanoTime() - start, DESCRIPTOR.version())
                : failure(summary(status), status, start);
    }

    private static boolean finished(AgentStatus s) {
        return s.state() == AgentStatus.State.COMPLETED || s.state() == AgentStatus.State.FAILED
                || s.state() == AgentStatus.State.TERMINATED;
    }

    private static ToolCallResult failure(String message, AgentStatus status, long start) {
        ToolResult r = status == null ? ToolResult.failure(message) : ToolResult.failure(message, structured(status));
        return new ToolCallResult(ToolCallResult.Status.FAILURE, r, System.nanoTime() - start,
                DESCRIPTOR.version());
    }

    private static String summary(AgentStatus s) {
        StringBuilder sb = new StringBuilder();
        sb.append("Agent ").append(s.agent()).append(' ').append(s.state().name().toLowerCase());
        if (s.verdict() != null) {
            sb.append(": ").append(s.verdict());
        } else if (s.message() != null) {
            sb.append(": ").append(s.message());
        }
        int i = 1;
        for (AgentStatus.TaskOutcome t : s.tasks()) {
            sb.append('\n').append(i++).append(". ").append(t.success() ? "[ok] " : "[failed] ").append(t.task());
            if (t.summary() != null && !t.summary().isBlank()) {
                sb.append(" - ").append(t.summary());
            }
        }
        return sb.toString();
    }

    private static Map<String, Object> structured(AgentStatus s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("agent", s.agent());
        m.put("runId", s.runId());
        m.put("state", s.state().name());
        m.put("verdict", s.verdict());
        m.put("startedAt", s.startedAt() == null ? null : s.startedAt().toString());
        m.put("finishedAt", s.finishedAt() == null ? null : s.finishedAt().toString());
        m.put("tasks", s.tasks().stream().map(t -> {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("task", t.task());
            o.put("success", t.success());
            o.put("summary", t.summary());
            o.put("steps", t.steps());
            o.put("toolCalls", t.toolCalls());
            return o;
        }).toList());
        return m;
    }
}
