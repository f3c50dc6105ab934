package io.toka.orchestration.internal.agent;

import io.toka.event.Event;
import io.toka.kernel.AgentRuntime;
import io.toka.kernel.CapabilityDeniedException;
import io.toka.kernel.InvalidOperationException;
import io.toka.kernel.Operation;
import io.toka.orchestration.AgentConfig;
import io.toka.orchestration.AgentConfigException;
import io.toka.orchestration.internal.config.AgentConfigParser;
import io.toka.security.SecurityContext;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the kernel asks the agent runtime before it records a {@code ScheduleAgentTask} or {@code SpawnSubAgent}.
 * Everything that can be refused is refused here, at submit time, with a clear message, before anything is recorded:
 *
 * <ul>
 *   <li><b>A task</b> for an unknown agent is refused. Otherwise the task's own token is delegated now from the
 *       submitter's (narrowed to the agent's capabilities: a submitter that lacks one is refused), and kept once the
 *       task is queued. An idle agent then gets a run for it; a running one takes it after its current task.</li>
 *   <li><b>A spawn</b> is refused unless the parent is running and the message comes from the parent itself (its
 *       token's subject is {@code agent:<parent>} and it is the token the parent is running with); the child is a
 *       defined agent, or a full configuration that does not shadow one; it is not running; it asks for no capability
 *       its parent lacks; and the delegation chain stays within the limit (so spawns nest no deeper than delegation
 *       does). The child's token is delegated from the parent's. Once recorded, the child starts; terminating the
 *       parent terminates it.</li>
 * </ul>
 */
final class Admissions {

    private static final Logger LOG = LoggerFactory.getLogger(Admissions.class);

    private final AgentServiceImpl agents;
    private final AgentConfigParser parser = new AgentConfigParser();

    Admissions(AgentServiceImpl agents) {
        this.agents = agents;
    }

    AgentRuntime.Admission admit(Operation op, SecurityContext caller) throws InvalidOperationException,
            CapabilityDeniedException {
        if (agents.stopping()) {
            throw new InvalidOperationException("the agent runtime is stopping: try again once it has started");
        }
        if (op instanceof Operation.ScheduleAgentTask s) {
            return schedule(s, caller);
        }
        if (op instanceof Operation.SpawnSubAgent s) {
            return spawn(s, caller);
        }
        throw new InvalidOperationException("the agent runtime does not handle " + op.getClass().getSimpleName());
    }

    // ---------------------------------------------------------------- tasks

    private AgentRuntime.Admission schedule(Operation.ScheduleAgentTask s, SecurityContext caller)
            throws InvalidOperationException, CapabilityDeniedException {
        String name = s.agent();
        Optional<AgentConfig> config = agents.catalog.get(name);
        if (config.isEmpty()) {
            AgentRun r = agents.runs.get(name);
            if (r != null && !r.isFinished()) {
                config = Optional.of(r.config); // a spawned child from a full configuration, while it runs
            }
        }
        if (config.isEmpty()) {
            throw new InvalidOperationException("unknown agent '" + name + "': define it first (POST /api/v1/agents "
                    + "or etc/toka/agents/" + name + ".yaml)");
        }
        AgentConfig c = config.get();
        Optional<String> missing = Delegation.missing(c, caller);
        if (missing.isPresent()) {
            throw new CapabilityDeniedException("capability denied: agent '" + name + "' needs '" + missing.get()
                    + "', which the scheduling token does not hold, so its task could not run with a token delegated"
                    + " from it");
        }
        TaskLoop.TaskToken token;
        try {
            token = agents.delegation.token(c, caller, false);
        } catch (Delegation.Refused e) {
            throw new InvalidOperationException("cannot schedule a task for agent '" + name + "': " + e.getMessage());
        }
        boolean durable = agents.durable(c);
        String subject = caller.subject();
        return new AgentRuntime.Admission() {
            @Override
            public void recorded(Event event) {
                try {
                    agents.keepTaskToken(event.id(), token.raw(), durable);
                } catch (RuntimeException e) {
                    // the task is queued without a kept token: it fails with that reason when it is taken
                    LOG.error("The token of task {} for agent {} could not be kept: {}", event.id(), name,
                            e.toString());
                }
                agents.kick(name, subject);
            }
        };
    }

    // ---------------------------------------------------------------- spawns

    private AgentRuntime.Admission spawn(Operation.SpawnSubAgent s, SecurityContext caller)
            throws InvalidOperationException, CapabilityDeniedException {
        String parentName = s.parent();
        AgentRun parent = agents.runs.get(parentName);
        if (parent == null || parent.isFinished()) {
            throw new InvalidOperationException("agent '" + parentName + "' is not running: only a running agent "
                    + "spawns children");
        }
        if (!caller.subject().equals("agent:" + parentName) || !holdsParentsToken(parent, caller)) {
            throw new CapabilityDeniedException("capability denied: only agent '" + parentName + "' itself spawns its"
                    + " children, with the token it runs with (origin agent:" + parentName + ")");
        }
        AgentConfig child = childConfig(s);
        AgentRun running = agents.runs.get(child.name());
        if (running != null && !running.isFinished()) {
            throw new InvalidOperationException("agent '" + child.name() + "' is already running (run "
                    + running.runId + ")");
        }
        Optional<String> missing = Delegation.missing(child, caller);
        if (missing.isPresent()) {
            throw new CapabilityDeniedException("capability denied: child '" + child.name() + "' asks for '"
                    + missing.get() + "', which its parent '" + parentName + "' does not hold; a child's token only "
                    + "narrows its parent's");
        }
        TaskLoop.TaskToken token;
        try {
            token = agents.delegation.token(child, caller, true);
        } catch (Delegation.Refused e) {
            if (e.depth) {
                throw new InvalidOperationException("spawn too deep: agent '" + parentName + "' cannot spawn '"
                        + child.name() + "': " + e.getMessage());
            }
            throw new InvalidOperationException("cannot spawn '" + child.name() + "': " + e.getMessage());
        }
        return new AgentRuntime.Admission() {
            @Override
            public void recorded(Event event) {
                try {
                    agents.start(child, caller.subject(), () -> token, parent, parent.session);
                    LOG.info("Agent {} spawned {} (token {} delegated from the parent's)", parentName, child.name(),
                            token.context().token().map(t -> t.jti()).orElse("?"));
                } catch (IllegalStateException e) {
                    LOG.warn("Agent {} could not start its child {}: {}", parentName, child.name(), e.getMessage());
                }
            }
        };
    }

    /** The caller's token is the one the parent's run, or its current task, runs with. */
    private static boolean holdsParentsToken(AgentRun parent, SecurityContext caller) {
        String jti = caller.token().map(t -> t.jti()).orElse(null);
        if (jti == null) {
            return false;
        }
        if (parent.runToken != null && parent.runToken.context().token().map(t -> t.jti()).orElse("")
                .equals(jti)) {
            return true;
        }
        return parent.currentTaskToken().map(t -> t.context().token().map(c -> c.jti()).orElse(""))
                .filter(jti::equals).isPresent();
    }

    private AgentConfig childConfig(Operation.SpawnSubAgent s) throws InvalidOperationException {
        if (s.config() == null) {
            return agents.catalog.get(s.name()).orElseThrow(() -> new InvalidOperationException("unknown agent '"
                    + s.name() + "': spawn a defined agent, or give its full configuration"));
        }
        AgentConfig parsed;
        try {
            parsed = parser.parse(s.config(), "spawned by " + s.parent());
        } catch (AgentConfigException e) {
            throw new InvalidOperationException("the child's configuration is invalid: "
                    + String.join("; ", e.problems()));
        }
        if (!parsed.name().equals(s.name())) {
            throw new InvalidOperationException("the child's configuration names '" + parsed.name() + "', not '"
                    + s.name() + "'");
        }
        if (agents.catalog.get(parsed.name()).isPresent()) {
            throw new InvalidOperationException("agent '" + parsed.name() + "' is defined: spawn it by name; a "
                    + "configuration given with a spawn cannot replace a defined agent");
        }
        return parsed;
    }
}
