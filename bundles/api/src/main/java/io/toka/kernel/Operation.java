package io.toka.kernel;

import java.util.Objects;

/** What a message asks the kernel to do. */
public sealed interface Operation permits Operation.ScheduleAgentTask, Operation.SpawnSubAgent, Operation.EmitObservation {

    /** Longest task description, after trimming. */
    int MAX_TASK_CHARS = 4096;
    /** Longest agent name or id. */
    int MAX_AGENT_CHARS = 256;
    /** Largest observation. */
    int MAX_OBSERVATION_BYTES = 1_048_576;
    /** Longest configuration of a spawned agent, in characters. */
    int MAX_CONFIG_CHARS = 256 * 1024;

    /** @return the permission a caller needs for this operation */
    String permission();

    /** @return the agent this operation targets */
    String agent();

    /**
     * Queue a task for an agent.
     *
     * @param agent the agent's id
     * @param task the task description (1-4096 characters after trimming)
     */
    record ScheduleAgentTask(String agent, String task) implements Operation {
        @Override
        public String permission() {
            return "agent:task:schedule";
        }
    }

    /**
     * Spawn a sub-agent: a child of a running agent, whose token is delegated from the parent's.
     *
     * @param parent the parent agent's id
     * @param name the child agent's name (1-256 characters): a defined agent, or the name in {@code config}
     * @param config the child's full agent configuration (YAML or JSON, at most {@link #MAX_CONFIG_CHARS}
     *     characters), or {@code null} to spawn the defined agent {@code name} (since 1.3)
     */
    record SpawnSubAgent(String parent, String name, String config) implements Operation {

        /** Spawns the defined agent {@code name}. */
        public SpawnSubAgent(String parent, String name) {
            this(parent, name, null);
        }

        @Override
        public String permission() {
            return "agent:spawn";
        }

        @Override
        public String agent() {
            return parent;
        }
    }

    /**
     * Record an observation.
     *
     * @param agent the observing agent's id
     * @param data the observation (at most 1 MiB)
     */
    record EmitObservation(String agent, byte[] data) implements Operation {
        public EmitObservation {
            Objects.requireNonNull(data, "data");
            data = data.clone();
        }

        @Override
        public byte[] data() {
            return data.clone();
        }

        /** @return the size of the data without copying it */
        public int size() {
            return data.length;
        }

        @Override
        public String permission() {
            return "agent:observe";
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof EmitObservation e && e.agent.equals(agent) && java.util.Arrays.equals(e.data, data);
        }

        @Override
        public int hashCode() {
            return agent.hashCode() * 31 + java.util.Arrays.hashCode(data);
        }

        @Override
        public String toString() {
            return "EmitObservation[agent=" + agent + ", " + data.length + " bytes]";
        }
    }
}
