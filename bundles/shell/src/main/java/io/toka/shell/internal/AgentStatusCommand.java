package io.toka.shell.internal;

import io.toka.orchestration.AgentService;
import io.toka.orchestration.AgentStatus;
import io.toka.security.ShellSecurity;
import java.util.List;
import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;

/** {@code toka:agent-status [name]}: the latest run of one agent (with its tasks) or of every agent. */
@Command(scope = "toka", name = "agent-status", description = "Shows the latest run of an agent, or of every agent")
@Service
public class AgentStatusCommand implements Action {

    @Reference
    AgentService agents;

    @Reference
    ShellSecurity security;

    @Argument(index = 0, name = "name", required = false, description = "The agent; all when omitted")
    String name;

    @Override
    public Object execute() {
        security.currentUser().authorize("agent.status", List.of("agent:read"));
        if (name == null) {
            List<AgentStatus> all = agents.statuses();
            if (all.isEmpty()) {
                System.out.println("No agent has run yet.");
            }
            all.forEach(s -> System.out.println(AgentCommands.line(s)));
            return null;
        }
        AgentStatus s = agents.status(name).orElseThrow(() -> new IllegalArgumentException(
                agents.agent(name).isPresent() ? "agent '" + name + "' has not run yet" : "unknown agent '" + name + "'"));
        System.out.println(AgentCommands.line(s));
        for (AgentStatus.TaskOutcome t : s.tasks()) {
            System.out.printf("  %s %s (%d steps, %d tool calls, %d attempts, %d ms): %s%n", t.success() ? "ok  " : "FAIL",
                    t.task(), t.steps(), t.toolCalls(), t.attempts(), t.durationMs(), t.summary() == null ? "" : t.summary());
        }
        return null;
    }
}
