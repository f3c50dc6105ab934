package io.toka.kernel;

import java.time.Instant;
import java.util.Objects;

/**
 * A task waiting in an agent's queue in the kernel.
 *
 * @param id the id of its {@code task.scheduled} event
 * @param agent the agent it is for
 * @param task the description
 * @param subject who scheduled it
 * @param queuedAt when
 */
public record QueuedTask(String id, String agent, String task, String subject, Instant queuedAt) {

    public QueuedTask {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(agent, "agent");
        Objects.requireNonNull(task, "task");
        Objects.requireNonNull(queuedAt, "queuedAt");
    }
}
