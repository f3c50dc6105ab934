package io.toka.shell.internal;

import io.toka.orchestration.AgentService;
import io.toka.security.ShellSecurity;
import java.util.List;
import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;

/** {@code toka:agent-resume <name>}: resumes the running agent itself. */
@Command(scope = "toka", name = "agent-resume", description = "Resumes a running agent")
@Service
public class AgentResume implements Action {

    @Reference
    AgentService agents;

    @Reference
    ShellSecurity security;

    @Argument(index = 0, name = "name", required = true, description = "The agent")
    String name;

    @Override
    public Object execute() {
        security.currentUser().authorize("agent.resume:" + name, List.of("agent:run"));
        System.out.println(AgentCommands.line(agents.resume(name)));
        return null;
    }
}
