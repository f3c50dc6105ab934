package io.toka.shell.internal;

import io.toka.orchestration.AgentService;
import io.toka.security.ShellSecurity;
import java.util.List;
import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;

/** {@code toka:agent-stop <name>}: terminates the running agent itself. */
@Command(scope = "toka", name = "agent-stop", description = "Terminates a running agent (its current model request or tool call is interrupted)")
@Service
public class AgentStop implements Action {

    @Reference
    AgentService agents;

    @Reference
    ShellSecurity security;

    @Argument(index = 0, name = "name", required = true, description = "The agent")
    String name;

    @Override
    public Object execute() {
        security.currentUser().authorize("agent.terminate:" + name, List.of("agent:run"));
        System.out.println(AgentCommands.line(agents.terminate(name)));
        return null;
    }
}
