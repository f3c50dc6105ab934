package io.toka.orchestration.internal.agent;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.std.ToStringSerializer;
import io.toka.orchestration.AgentConfig;
import io.toka.orchestration.AgentConfigException;
import io.toka.orchestration.AgentService;
import io.toka.orchestration.AgentStatus;
import io.toka.runtime.execution.ExecutionEngine;
import io.toka.runtime.execution.ExecutionResult;
import java.time.Duration;
import java.time.Instant;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * Runs {@code AgentWorkflow} executions of the runtime manager: the configuration (the agent YAML as a map, given as
 * JSON, which is YAML too) is defined in the catalog, the agent runs with a token delegated from the caller's, and
 * the execution waits for its verdict. Success is a COMPLETED run; the output is the run's final status as JSON.
 */
@Component(service = ExecutionEngine.class, property = ExecutionEngine.LANGUAGE + "=agent-workflow")
public final class AgentWorkflowEngine implements ExecutionEngine {

    private static final ObjectMapper JSON = new ObjectMapper().registerModule(
            new SimpleModule("toka-time").addSerializer(Instant.class, new ToStringSerializer()));

    private final AgentService agents;

    @Activate
    public AgentWorkflowEngine(@Reference AgentService agents) {
        this.agents = agents;
    }

    @Override
    public String language() {
        return "agent-workflow";
    }

    @Override
    public String version() {
        return "Toka agents " + AgentWorkflowEngine.class.getPackage().getImplementationVersion();
    }

    @Override
    public Object prepare(String code) throws CodeException {
        if (code == null || code.isBlank()) {
            throw new CodeException("the agent configuration is empty", 0);
        }
        return code;
    }

    @Override
    public EngineResult run(Object prepared, Call call) throws CodeException, InterruptedException {
        if (call.caller() == null) {
            throw new CodeException("an agent workflow needs a caller to delegate the agent's token from", 0);
        }
        AgentConfig config;
        try {
            config = agents.define((String) prepared, "execution", call.caller());
        } catch (AgentConfigException e) {
            throw new CodeException("invalid agent configuration: " + String.join("; ", e.problems()), 0);
        }
        try {
            agents.run(config.name(), call.caller());
        } catch (IllegalStateException | IllegalArgumentException e) {
            throw new CodeException(e.getMessage(), 0);
        }
        Duration left = Duration.between(Instant.now(), call.deadline());
        AgentStatus status = agents.await(config.name(), left.isNegative() ? Duration.ZERO : left);
        if (status.finishedAt() == null) {
            status = agents.terminate(config.name());
            return new EngineResult(false, json(status), "timed out after " + call.timeout().toSeconds()
                    + " s; the agent was terminated", null, ExecutionResult.ResourceUsage.UNKNOWN);
        }
        boolean ok = status.state() == AgentStatus.State.COMPLETED;
        return new EngineResult(ok, json(status), ok ? null : status.message(), null,
                ExecutionResult.ResourceUsage.UNKNOWN);
    }

    private static String json(AgentStatus status) {
        try {
            return JSON.writeValueAsString(status);
        } catch (JsonProcessingException e) {
            return status.toString();
        }
    }
}
