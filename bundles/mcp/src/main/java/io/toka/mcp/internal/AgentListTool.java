package io.toka.mcp.internal;

import io.toka.orchestration.AgentConfig;
import io.toka.orchestration.AgentService;
import io.toka.orchestration.AgentStatus;
import io.toka.runtime.registry.CallOptions;
import io.toka.runtime.registry.ToolCallResult;
import io.toka.security.SecurityContext;
import io.toka.tool.ToolDescriptor;
import io.toka.tool.ToolResult;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@value #NAME}: the defined agents, with what they do and their latest run; needs {@code agent:read}. */
final class AgentListTool implements ServerTool {

    static final String NAME = "toka-agents-list";
    static final String READ = "agent:read";

    private static final ToolDescriptor DESCRIPTOR = ToolDescriptor.builder(NAME).version("1.0.0")
            .title("List Toka agents")
            .description("Lists the agents defined in Toka: name, what it does, its tasks and the state of its latest "
                    + "run. Run one with " + AgentRunTool.NAME + ".")
            .inputSchema("{\"type\":\"object\",\"properties\":{},\"additionalProperties\":false}")
            .requiredPermissions(READ).readOnly(true).idempotent(true).openWorld(false).destructive(false)
            .build();

    private final AgentService agents;

    AgentListTool(AgentService agents) {
        this.agents = agents;
    }

    @Override
    public ToolDescriptor descriptor() {
        return DESCRIPTOR;
    }

    @Override
    public boolean visible(SecurityContext caller) {
        return caller.isPermitted(READ);
    }

    @Override
    public ToolCallResult call(Map<String, Object> arguments, SecurityContext caller, CallOptions options) {
        long start = System.nanoTime();
        // the same check as GET /api/v1/agents
        caller.authorize("agent.list", List.of(READ));
        List<Map<String, Object>> out = new ArrayList<>();
        StringBuilder text = new StringBuilder();
        for (AgentConfig c : agents.agents()) {
            Map<String, Object> a = new LinkedHashMap<>();
            a.put("name", c.name());
            String description = c.spec() == null ? null : c.spec().description();
            a.put("description", description);
            a.put("tasks", c.tasks() == null ? List.of() : c.tasks().stream().map(AgentConfig.Task::description)
                    .toList());
            AgentStatus s = agents.status(c.name()).orElse(null);
            a.put("state", s == null ? "NEVER_RUN" : s.state().name());
            out.add(a);
            text.append("- ").append(c.name());
            if (description != null) {
                text.append(": ").append(description);
            }
            text.append(" [").append(a.get("state")).append("]\n");
        }
        String summary = out.isEmpty() ? "No agents are defined." : text.toString().stripTrailing();
        return new ToolCallResult(ToolCallResult.Status.SUCCESS, ToolResult.success(summary, Map.of("agents", out)),
                System.nanoTime() - start, DESCRIPTOR.version());
    }
}
