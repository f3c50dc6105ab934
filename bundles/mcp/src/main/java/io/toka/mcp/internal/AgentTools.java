package io.toka.mcp.internal;

import io.toka.orchestration.AgentService;
import java.util.List;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * Toka's agents over MCP, as two tools: {@value AgentListTool#NAME} and {@value AgentRunTool#NAME}. Present only
 * while an {@link AgentService} is (feature toka-agents); the MCP endpoint picks this up as {@link ServerTools}.
 *
 * <p>Why tools and not prompts: an MCP prompt is a message template the <em>user</em> picks and the
 * <em>client's</em> model then runs (server/prompts: "prompts are designed to be user-controlled"). A Toka agent is
 * the opposite: it runs on the server, with its own model (the LLM gateway), its own tasks and a token narrowed to
 * its {@code capabilities_required}, and what comes back is the outcome of that work. That is a tool call (a model-
 * or user-invoked action whose result returns to the caller), with progress notifications while it runs and
 * cancellation that terminates the run. Rendering an agent's tasks as a prompt would hand them to a different model
 * with the caller's full token, which is neither what the agent is nor safe.
 */
@Component(service = ServerTools.class)
public final class AgentTools implements ServerTools {

    private final List<ServerTool> tools;

    @Activate
    public AgentTools(@Reference AgentService agents) {
        this.tools = List.of(new AgentListTool(agents), new AgentRunTool(agents));
    }

    @Override
    public List<ServerTool> tools() {
        return tools;
    }
}
