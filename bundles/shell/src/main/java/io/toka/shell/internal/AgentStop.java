package io.toka.shell.internal;

import io.toka.orchestration.AgentService;
import io.toka.orchestration.AgentStatus;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Service;

/** {@code toka:agent-stop <name>}: terminates a running agent (its current model request or tool call is interrupted). */
@Command(scope = "toka", name = "agent-stop", description = "Terminates a running agent (its current model request or tool call is interrupted)")
@Service
public class AgentStop extends AgentControl {

    @Override
    String action() {
        return "terminate";
    }

    @Override
    AgentStatus apply(AgentService service, String agent) {
        return service.terminate(agent);
    }
}
