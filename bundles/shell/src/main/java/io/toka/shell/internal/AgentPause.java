package io.toka.shell.internal;

import io.toka.orchestration.AgentService;
import io.toka.orchestration.AgentStatus;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Service;

/** {@code toka:agent-pause <name>}: pauses a running agent before its next model call or tool call. */
@Command(scope = "toka", name = "agent-pause", description = "Pauses a running agent before its next model call or tool call")
@Service
public class AgentPause extends AgentControl {

    @Override
    String action() {
        return "pause";
    }

    @Override
    AgentStatus apply(AgentService service, String agent) {
        return service.pause(agent);
    }
}
