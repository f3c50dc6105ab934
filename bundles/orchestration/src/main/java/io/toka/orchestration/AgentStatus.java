package io.toka.orchestration;

import java.time.Instant;
import java.util.List;

/**
 * A run of an agent, as it is now.
 *
 * @param agent the agent name
 * @param runId the run's id
 * @param state where it is
 * @param currentTask the 1-based task in progress, or 0
 * @param totalTasks how many tasks it has
 * @param progress 0 to 1
 * @param message the latest progress message
 * @param startedAt when the run started
 * @param finishedAt when it finished, or {@code null}
 * @param tasks a result per finished task
 * @param verdict the final verdict, or {@code null} while running
 * @param queueWaitMs how long the run's model calls have waited in the LLM gateway's queue for a free slot of the
 *     provider, added up (since 2.1.0)
 * @param resumedAt when the run was last rebuilt from its journal and resumed after a restart, or {@code null} if it
 *     never was (since 2.1.0)
 * @param parent the agent that spawned this one, or {@code null} (since 2.1.0)
 * @param durable whether the run records its steps and resumes after a restart (since 2.1.0)
 */
public record AgentStatus(String agent, String runId, State state, int currentTask, int totalTasks, double progress,
        String message, Instant startedAt, Instant finishedAt, List<TaskOutcome> tasks, String verdict,
        long queueWaitMs, Instant resumedAt, String parent, boolean durable) {

    /** A status without a queue wait (the 2.0.0 constructor). */
    public AgentStatus(String agent, String runId, State state, int currentTask, int totalTasks, double progress,
            String message, Instant startedAt, Instant finishedAt, List<TaskOutcome> tasks, String verdict) {
        this(agent, runId, state, currentTask, totalTasks, progress, message, startedAt, finishedAt, tasks, verdict,
                0);
    }

    /** A status of a run that never resumed, has no parent and is not durable. */
    public AgentStatus(String agent, String runId, State state, int currentTask, int totalTasks, double progress,
            String message, Instant startedAt, Instant finishedAt, List<TaskOutcome> tasks, String verdict,
            long queueWaitMs) {
        this(agent, runId, state, currentTask, totalTasks, progress, message, startedAt, finishedAt, tasks, verdict,
                queueWaitMs, null, null, false);
    }

    /** The lifecycle of a run. */
    public enum State {
        READY, RUNNING, PAUSED, COMPLETED, FAILED, TERMINATED
    }

    /**
     * @param task the task description
     * @param success the model's structured verdict together with the tool outcomes
     * @param summary the model's final answer
     * @param steps model turns used
     * @param toolCalls tool calls made (refusals included)
     * @param attempts attempts made (retries included)
     * @param durationMs wall time
     */
    public record TaskOutcome(String task, boolean success, String summary, int steps, int toolCalls, int attempts,
            long durationMs) {
    }
}
