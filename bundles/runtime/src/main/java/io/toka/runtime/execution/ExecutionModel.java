package io.toka.runtime.execution;

import java.util.Map;
import java.util.Objects;

/** What to execute: dynamic code, a tool call, or an agent workflow. */
public sealed interface ExecutionModel permits ExecutionModel.DynamicCode, ExecutionModel.ToolExecution,
        ExecutionModel.AgentWorkflow {

    /**
     * Code in a language an engine provides.
     *
     * @param language the engine's language, e.g. {@code shell}, {@code python}, {@code javascript}, {@code wasm}
     * @param code the source text; for {@code wasm}, the module as base64 (or empty with
     *     {@code inputs.module_path} naming a module inside the workspace)
     * @param inputs JSON-like inputs (maps, lists, strings, numbers, booleans, null); how an engine passes them is
     *     its own: JSON on stdin for shell and Python, an {@code inputs} object for JavaScript, {@code function} and
     *     {@code args} for WebAssembly
     */
    record DynamicCode(String language, String code, Map<String, Object> inputs) implements ExecutionModel {
        public DynamicCode {
            Objects.requireNonNull(language, "language");
            Objects.requireNonNull(code, "code");
            inputs = inputs == null ? Map.of() : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(inputs));
        }
    }

    /**
     * A tool call through the registry, with the same permission checks as HTTP.
     *
     * @param tool the tool name
     * @param arguments its arguments
     */
    record ToolExecution(String tool, Map<String, Object> arguments) implements ExecutionModel {
        public ToolExecution {
            Objects.requireNonNull(tool, "tool");
            arguments = arguments == null ? Map.of() : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(arguments));
        }
    }

    /**
     * An agent run. Its engine is contributed by the agents bundle; until one is installed the model is refused.
     *
     * @param agentConfig the agent configuration (the agent YAML as a map)
     */
    record AgentWorkflow(Map<String, Object> agentConfig) implements ExecutionModel {
        public AgentWorkflow {
            agentConfig = agentConfig == null ? Map.of() : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(agentConfig));
        }
    }
}
