package io.toka.orchestration;

import io.toka.security.SecurityContext;
import java.util.List;
import java.util.Optional;
import org.osgi.annotation.versioning.ProviderType;

/**
 * Runs sets of agents: critical agents one at a time, then high agents in dependency order, then medium and low
 * agents in parallel (dependency waves, at most {@code max_concurrent_agents} at once).
 */
@ProviderType
public interface SessionService {

    /**
     * Starts a session in the background.
     *
     * @param agents agent names, all known
     * @throws IllegalArgumentException for an unknown agent, an unknown required dependency, or a cycle
     *     ("Circular dependencies detected: [a, b]")
     */
    SessionStatus start(List<String> agents, SecurityContext caller);

    Optional<SessionStatus> session(String id);

    List<SessionStatus> sessions();

    SessionStatus await(String id, java.time.Duration timeout) throws InterruptedException;
}
