package io.toka.shell.internal;

import io.toka.orchestration.AgentService;
import io.toka.orchestration.AgentStatus;
import io.toka.security.ShellSecurity;
import java.util.List;
import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.lifecycle.Reference;

/** The shared body of {@code toka:agent-pause}, {@code -resume} and {@code -stop}: one control on a running agent. */
abstract class AgentControl implements Action {

    @Reference
    AgentService agents;

    @Reference
    ShellSecurity security;

    @Argument(index = 0, name = "name", required = true, description = "The agent")
    String name;

    /** The action name for the audit log, e.g. {@code pause}. */
    abstract String action();

    abstract AgentStatus apply(AgentService service, String agent);

    @Override
    public Object execute() {
        security.currentUser().authorize("agent." + action() + ":" + name, List.of("agent:run"));
        System.out.println(AgentCommands.line(apply(agents, name)));
        return null;
    }
}
