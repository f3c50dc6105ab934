package io.toka.orchestration;

import java.time.Instant;
import java.util.List;

/**
 * A session, as it is now.
 *
 * @param id the session id
 * @param phase {@code INITIALIZING}, {@code CRITICAL}, {@code HIGH}, {@code PARALLEL}, {@code COMPLETED},
 *     {@code FAILED}
 * @param progress 0 to 1
 * @param agents the agents, in the order they run (waves for the parallel phase)
 * @param startedAt when it started
 * @param finishedAt when it finished, or {@code null}
 * @param error why it failed, or {@code null}
 * @param summary a status per agent (its last run)
 * @param resumedAt when the session was rebuilt from its journal after a restart, or {@code null} (since 2.1.0)
 */
public record SessionStatus(String id, String phase, double progress, List<String> agents, Instant startedAt,
        Instant finishedAt, String error, List<AgentStatus> summary, Instant resumedAt) {

    /** A session that never resumed (the 2.0.0 constructor). */
    public SessionStatus(String id, String phase, double progress, List<String> agents, Instant startedAt,
            Instant finishedAt, String error, List<AgentStatus> summary) {
        this(id, phase, progress, agents, startedAt, finishedAt, error, summary, null);
    }
}
