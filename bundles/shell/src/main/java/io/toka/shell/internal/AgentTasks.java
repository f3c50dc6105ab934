package io.toka.shell.internal;

import io.toka.orchestration.AgentService;
import io.toka.orchestration.AgentTask;
import io.toka.security.ShellSecurity;
import java.util.List;
import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;

/** {@code toka:agent-tasks <agent>}: the task the agent is running and the tasks queued for it in the kernel. */
@Command(scope = "toka", name = "agent-tasks", description = "Shows the task an agent is running and the tasks queued"
        + " for it (ScheduleAgentTask), oldest first")
@Service
public class AgentTasks implements Action {

    @Reference
    AgentService agents;

    @Reference
    ShellSecurity security;

    @Argument(index = 0, name = "agent", required = true, description = "The agent")
    String agent;

    @Override
    public Object execute() {
        security.currentUser().authorize("agent.tasks:" + agent, List.of("agent:read"));
        List<AgentTask> tasks = agents.tasks(agent);
        if (tasks.isEmpty()) {
            System.out.println("Agent " + agent + " has no running or queued task.");
            return null;
        }
        for (AgentTask t : tasks) {
            if (t.state().equals("RUNNING")) {
                System.out.printf("RUNNING  task %d of run %s  %s  (for %s)%n", t.index(), t.runId(), t.task(),
                        t.subject());
            } else {
                System.out.printf("QUEUED   %s  %s  (by %s, %s)%n", t.id(), t.task(), t.subject(), t.queuedAt());
            }
        }
        return null;
    }
}
