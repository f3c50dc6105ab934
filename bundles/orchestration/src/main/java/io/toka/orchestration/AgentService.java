package io.toka.orchestration;

import io.toka.security.SecurityContext;
import java.util.List;
import java.util.Optional;
import org.osgi.annotation.versioning.ProviderType;

/** The agent configurations Toka knows, and their runs. Thread-safe. */
@ProviderType
public interface AgentService {

    /** Every configuration, by name. */
    List<AgentConfig> agents();

    Optional<AgentConfig> agent(String name);

    /**
     * Adds or replaces a configuration given as YAML (e.g. from {@code POST /api/v1/agents}, a session's files or an
     * agent workflow). Every path that defines an agent comes here, so none can skip the permission.
     *
     * @param caller who defines it: needs {@code agent:define} (audited)
     * @throws AgentConfigException naming every rule broken
     * @throws io.toka.security.AccessDeniedException if the caller lacks {@code agent:define}
     */
    AgentConfig define(String yaml, String source, SecurityContext caller) throws AgentConfigException;

    /**
     * Removes a configuration that came from the API; false if unknown. A running agent finishes its run; the tasks
     * queued for the agent are dropped (recorded as {@code tasks.dropped}).
     *
     * @param caller who removes it: needs {@code agent:define} (audited)
     * @throws io.toka.security.AccessDeniedException if the caller lacks {@code agent:define}
     */
    boolean remove(String name, SecurityContext caller);

    /**
     * Starts a run of the agent in the background and returns at once.
     *
     * @param caller who runs it: needs {@code agent:run} (audited); the agent's token is delegated from its token
     *     (narrowed to the agent's capabilities_required)
     * @throws io.toka.security.AccessDeniedException if the caller lacks {@code agent:run}
     * @throws IllegalArgumentException for an unknown agent
     * @throws IllegalStateException if the agent is already running
     */
    AgentStatus run(String name, SecurityContext caller);

    /** Pauses the running agent before its next model turn or tool call. */
    AgentStatus pause(String name);

    AgentStatus resume(String name);

    /** Stops the running agent: its current model request or tool call is interrupted. */
    AgentStatus terminate(String name);

    /** The latest run of the agent, or empty if it never ran. */
    Optional<AgentStatus> status(String name);

    /** Every agent's latest run. */
    List<AgentStatus> statuses();

    /** Waits until the agent's current run has finished; returns its final status. */
    AgentStatus await(String name, java.time.Duration timeout) throws InterruptedException;

    /**
     * The agent's tasks that are running and queued: the task its run is on, then the tasks waiting for it in the
     * kernel's queue, oldest first. Added in 2.1.0 as a default method; the default reports none.
     *
     * @throws IllegalArgumentException for an unknown agent
     */
    default List<AgentTask> tasks(String name) {
        return List.of();
    }
}
