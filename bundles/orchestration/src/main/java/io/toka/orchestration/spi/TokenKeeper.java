package io.toka.orchestration.spi;

import java.util.Optional;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * Where the tokens of durable runs, queued tasks and sessions are kept between their start and their end, so that a
 * run resumes with its own (narrowed, delegated) token: after a restart, or on another node. Never the event log,
 * which {@code event:read} can read. A token read back is checked again by the token service (revoked, expired).
 * Ids are run, task and session ids (UUIDs).
 */
@ConsumerType
public interface TokenKeeper {

    /**
     * Keeps the token for the id, durably, before returning.
     *
     * @throws IllegalArgumentException if the id is not a run, task or session id
     * @throws RuntimeException if it could not be kept
     */
    void put(String id, String token);

    /** @return the token kept for the id, if any */
    Optional<String> get(String id);

    /** Forgets the id's token; nothing if there is none. */
    void remove(String id);
}
