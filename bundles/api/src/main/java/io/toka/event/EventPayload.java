package io.toka.event;

import java.util.Objects;

/**
 * The typed content of an event. The record components become the JSON payload; {@link #kind()} and
 * {@link #schemaVersion()} are stored beside it. Constructors validate, so an out-of-range value never becomes an event.
 * Bundles may define their own payload types; the built-in ones are nested here.
 */
public interface EventPayload {

    /** @return the dotted kind, e.g. {@code agent.spawned} */
    String kind();

    /** @return the payload's schema version for its kind */
    default int schemaVersion() {
        return 1;
    }

    /** @return the agent the event concerns, or {@code null} */
    default String agent() {
        return null;
    }

    /** @return the security subject that caused it, or {@code null} */
    default String subject() {
        return null;
    }

    private static String require(String value, String name) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(name + " must not be blank");
        }
        return value;
    }

    private static long nonNegative(long value, String name) {
        if (value < 0) {
            throw new IllegalArgumentException(name + " must not be negative, not " + value);
        }
        return value;
    }

    /**
     * A task was scheduled for an agent.
     *
     * @param queued whether it waits in the agent's queue in the kernel ({@code ScheduleAgentTask}) until a run takes
     *     it ({@link TaskTaken}); false for a task a run was started with (since 1.3; events stored before it read
     *     false, so a restart never queues them again)
     */
    record TaskScheduled(String agent, String task, String subject, boolean queued) implements EventPayload {
        public TaskScheduled {
            require(agent, "agent");
            require(task, "task");
        }

        /** A task a run was started with, not queued. */
        public TaskScheduled(String agent, String task, String subject) {
            this(agent, task, subject, false);
        }

        @Override
        public String kind() {
            return "task.scheduled";
        }
    }

    /**
     * A run took a queued task out of the agent's queue (since 1.3).
     *
     * @param agent the agent
     * @param taskId the id of the task's {@code task.scheduled} event
     * @param task the task description
     * @param by who took it, e.g. the run's id
     */
    record TaskTaken(String agent, String taskId, String task, String by) implements EventPayload {
        public TaskTaken {
            require(agent, "agent");
            require(taskId, "taskId");
            require(task, "task");
        }

        @Override
        public String kind() {
            return "task.taken";
        }
    }

    /**
     * Every task queued for the agent up to this event was dropped, e.g. because the agent was deleted (since 1.3).
     *
     * @param agent the agent
     * @param count how many tasks were dropped
     * @param reason why
     */
    record TasksDropped(String agent, int count, String reason) implements EventPayload {
        public TasksDropped {
            require(agent, "agent");
            require(reason, "reason");
            nonNegative(count, "count");
        }

        @Override
        public String kind() {
            return "tasks.dropped";
        }
    }

    /**
     * One security decision from the audit log (authentication, authorization, token issue, delegation and
     * revocation, key rotation, rate-limit refusals), stored so that it can be queried by kind, subject and time.
     *
     * @param action what was attempted, e.g. {@code authorize}
     * @param outcome {@code success}, {@code failure}, {@code allowed} or {@code denied}
     * @param subject who, or {@code null} when a token could not be read
     * @param jti the token involved, or {@code null}
     * @param detail the resource or the reason, or {@code null}
     */
    record AuditRecorded(String action, String outcome, String subject, String jti, String detail)
            implements EventPayload {
        public AuditRecorded {
            require(action, "action");
            require(outcome, "outcome");
        }

        @Override
        public String kind() {
            return "audit.recorded";
        }
    }

    /** A sub-agent was spawned. */
    record AgentSpawned(String parent, String agent, String subject) implements EventPayload {
        public AgentSpawned {
            require(parent, "parent");
            require(agent, "agent");
        }

        @Override
        public String kind() {
            return "agent.spawned";
        }
    }

    /** An agent emitted an observation; {@code data} is base64. */
    record ObservationEmitted(String agent, String data, int size, String subject) implements EventPayload {
        public ObservationEmitted {
            require(agent, "agent");
            Objects.requireNonNull(data, "data");
            nonNegative(size, "size");
        }

        @Override
        public String kind() {
            return "observation.emitted";
        }
    }

    /** An agent ended; {@code exitCode} is in [-128, 127]. */
    record AgentTerminated(String agent, String reason, int exitCode) implements EventPayload {
        public AgentTerminated {
            require(agent, "agent");
            require(reason, "reason");
            if (exitCode < -128 || exitCode > 127) {
                throw new IllegalArgumentException("exit_code must be in [-128, 127], not " + exitCode);
            }
        }

        @Override
        public String kind() {
            return "agent.terminated";
        }
    }

    /** An agent was paused. */
    record AgentSuspended(String agent, String reason) implements EventPayload {
        public AgentSuspended {
            require(agent, "agent");
        }

        @Override
        public String kind() {
            return "agent.suspended";
        }
    }

    /** A paused agent continued. */
    record AgentResumed(String agent) implements EventPayload {
        public AgentResumed {
            require(agent, "agent");
        }

        @Override
        public String kind() {
            return "agent.resumed";
        }
    }

    /** An agent finished a task. */
    record TaskCompleted(String agent, String task, String result, long durationMs) implements EventPayload {
        public TaskCompleted {
            require(agent, "agent");
            require(task, "task");
            nonNegative(durationMs, "durationMs");
        }

        @Override
        public String kind() {
            return "task.completed";
        }
    }

    /** An agent failed a task. */
    record TaskFailed(String agent, String task, String error) implements EventPayload {
        public TaskFailed {
            require(agent, "agent");
            require(task, "task");
            require(error, "error");
        }

        @Override
        public String kind() {
            return "task.failed";
        }
    }

    /** A task ran out of time. */
    record TaskTimeout(String agent, String task, long timeoutMs) implements EventPayload {
        public TaskTimeout {
            require(agent, "agent");
            require(task, "task");
            nonNegative(timeoutMs, "timeoutMs");
        }

        @Override
        public String kind() {
            return "task.timeout";
        }
    }

    /**
     * A tool was called.
     *
     * @param outcome how the call ended: {@code success}, {@code failure}, {@code timeout} or {@code cancelled}
     *     (since 1.2; events stored before it have none and read as {@code success} or {@code failure})
     */
    record ToolInvoked(String tool, String version, String subject, boolean success, long durationMs, String outcome)
            implements EventPayload {
        public ToolInvoked {
            require(tool, "tool");
            nonNegative(durationMs, "durationMs");
            if (outcome == null || outcome.isBlank()) {
                outcome = success ? "success" : "failure";
            }
        }

        /** A call whose outcome is only success or failure. */
        public ToolInvoked(String tool, String version, String subject, boolean success, long durationMs) {
            this(tool, version, subject, success, durationMs, null);
        }

        @Override
        public String kind() {
            return "tool.invoked";
        }
    }

    /** A capability token was issued (or delegated). */
    record TokenIssued(String jti, String subject, String detail) implements EventPayload {
        public TokenIssued {
            require(jti, "jti");
        }

        @Override
        public String kind() {
            return "token.issued";
        }
    }

    /** A capability token was revoked. */
    record TokenRevoked(String jti, String subject, String detail) implements EventPayload {
        public TokenRevoked {
            require(jti, "jti");
        }

        @Override
        public String kind() {
            return "token.revoked";
        }
    }

    /** The signing key was rotated. */
    record KeyRotated(String subject, String detail) implements EventPayload {
        @Override
        public String kind() {
            return "key.rotated";
        }
    }

    /** Something failed inside Toka. */
    record SystemError(String component, String message) implements EventPayload {
        public SystemError {
            require(component, "component");
            require(message, "message");
        }

        @Override
        public String kind() {
            return "system.error";
        }
    }
}
