package io.toka.shell.internal;

import io.toka.orchestration.AgentService;
import io.toka.orchestration.AgentStatus;
import io.toka.security.ShellSecurity;
import java.time.Duration;
import java.util.List;
import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;

/** {@code toka:agent-run <name>}: starts an agent (in the background, or waits with {@code --wait}). */
@Command(scope = "toka", name = "agent-run", description = "Runs an agent: it asks the LLM and calls tools with a narrowed token")
@Service
public class AgentRun implements Action {

    @Reference
    AgentService agents;

    @Reference
    ShellSecurity security;

    @Argument(index = 0, name = "name", required = true, description = "The agent")
    String name;

    @Option(name = "--wait", aliases = "-w", description = "Wait this long for the run to finish, e.g. 5m")
    String wait;

    @Override
    public Object execute() throws InterruptedException {
        security.currentUser().authorize("agent.run:" + name, List.of("agent:run"));
        AgentStatus s = agents.run(name, security.currentUser());
        System.out.println(AgentCommands.line(s));
        Duration w = AgentCommands.parseWait(wait);
        if (w != null) {
            AgentStatus done = agents.await(name, w);
            System.out.println(AgentCommands.line(done));
            for (AgentStatus.TaskOutcome t : done.tasks()) {
                System.out.printf("  %s %s (%d steps, %d tool calls, %d attempts): %s%n", t.success() ? "ok  " : "FAIL",
                        t.task(), t.steps(), t.toolCalls(), t.attempts(), t.summary() == null ? "" : t.summary());
            }
        }
        return null;
    }
}
