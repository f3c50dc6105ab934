package io.toka.shell.internal;

import io.toka.orchestration.AgentConfig;
import io.toka.orchestration.AgentService;
import io.toka.orchestration.AgentStatus;
import io.toka.security.ShellSecurity;
import java.util.List;
import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.table.ShellTable;

/** {@code toka:agent-list}: the agent configurations and their latest runs. */
@Command(scope = "toka", name = "agent-list", description = "Lists the agents: configuration and latest run")
@Service
public class AgentList implements Action {

    @Reference
    AgentService agents;

    @Reference
    ShellSecurity security;

    @Override
    public Object execute() {
        security.currentUser().authorize("agent.list", List.of("agent:read"));
        ShellTable table = new ShellTable();
        table.column("Name");
        table.column("Priority");
        table.column("Domain");
        table.column("Tasks");
        table.column("Depends on");
        table.column("State");
        table.column("Source").maxSize(50);
        for (AgentConfig c : agents.agents()) {
            AgentStatus s = agents.status(c.name()).orElse(null);
            table.addRow().addContent(c.name(), c.spec().priority() == null ? "" : c.spec().priority().name().toLowerCase(),
                    c.spec().domain(), c.tasks().size(), String.join(",", c.dependencies().required().keySet()),
                    s == null ? "-" : s.state(), c.source());
        }
        table.print(System.out);
        return null;
    }
}
