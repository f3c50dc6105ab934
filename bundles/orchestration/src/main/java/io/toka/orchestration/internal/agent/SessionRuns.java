package io.toka.orchestration.internal.agent;

import io.toka.orchestration.AgentStatus;
import io.toka.security.SecurityContext;
import java.nio.file.Path;
import java.time.Duration;

/** What sessions need from the agent runtime beyond {@link io.toka.orchestration.AgentService}, inside the bundle. */
public interface SessionRuns {

    /**
     * The agent's run in this session: the one already running for it (rebuilt after a restart, say), or a new one.
     *
     * @throws IllegalArgumentException for an unknown agent
     * @throws IllegalStateException if the agent is running for something else
     */
    AgentStatus runInSession(String name, SecurityContext caller, String session);

    /**
     * Waits up to the timeout for the session's run of an agent to end: a run here, or one placed on (or taken over
     * by) another node, followed through the shared log.
     *
     * @param run the run's status as {@link #runInSession} (or the last wait) gave it
     * @return its status at the end of the wait
     */
    AgentStatus awaitInSession(AgentStatus run, String session, Duration timeout) throws InterruptedException;

    /** Waits until the runs that had not ended before a restart are rebuilt (at once when there was nothing to do). */
    boolean awaitRecovered(Duration timeout) throws InterruptedException;

    /** Whether runs are durable here (switched on, with a kernel and an event store). */
    boolean durableRuns();

    /** Where the tokens of durable runs, tasks and sessions are kept. */
    Path stateDirectory();

    /** Where the sessions' tokens are kept: owner-only files, or the cluster's shared store. */
    io.toka.orchestration.spi.TokenKeeper sessionTokens();

    /** The leases of this node's runs and sessions. */
    HeldLeases leases();

    /**
     * After this node claimed a session's lease: claims the leases of the session's unfinished runs and resumes them
     * here (waiting up to {@code wait} for leases that have not expired yet), so that the session finds them; runs
     * placed on a third node stay there.
     *
     * @param from the node that held the session before
     */
    void takeOverRunsOf(String session, String from, Duration wait) throws InterruptedException;
}
