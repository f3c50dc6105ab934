package io.toka.shell.internal;

import io.toka.orchestration.AgentService;
import io.toka.orchestration.AgentStatus;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Service;

/** {@code toka:agent-resume <name>}: resumes a paused agent. */
@Command(scope = "toka", name = "agent-resume", description = "Resumes a paused agent")
@Service
public class AgentResume extends AgentControl {

    @Override
    String action() {
        return "resume";
    }

    @Override
    AgentStatus apply(AgentService service, String agent) {
        return service.resume(agent);
    }
}
