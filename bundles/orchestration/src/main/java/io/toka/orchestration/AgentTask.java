package io.toka.orchestration;

import java.time.Instant;

/**
 * A task of an agent, queued in the kernel ({@code ScheduleAgentTask}) or running.
 *
 * @param id the queued task's id (its {@code task.scheduled} event), or {@code null} for a default task
 * @param task the description
 * @param state {@code QUEUED} or {@code RUNNING}
 * @param subject who scheduled it, or who started the run for a default task
 * @param queuedAt when it was queued, or {@code null} for a default task
 * @param runId the run that runs it, or {@code null} while queued
 * @param index its 1-based place in the run, or 0 while queued
 * @since 2.1.0
 */
public record AgentTask(String id, String task, String state, String subject, Instant queuedAt, String runId,
        int index) {
}
