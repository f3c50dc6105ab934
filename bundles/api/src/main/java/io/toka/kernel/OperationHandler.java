package io.toka.kernel;

import io.toka.event.EventPayload;
import io.toka.security.SecurityContext;
import java.util.Optional;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * Whiteboard service: handles operations before the kernel's built-in handling. Handlers are asked in order of
 * {@code service.ranking} (highest first), then {@code service.id} (oldest first); the first one that returns a
 * payload wins and that payload is recorded as the operation's event. Called only for messages that passed every
 * check.
 */
@ConsumerType
public interface OperationHandler {

    /**
     * @param operation the checked operation
     * @param caller the authenticated sender
     * @return the event to record, or empty to pass the operation on
     * @throws InvalidOperationException to refuse it
     */
    Optional<EventPayload> handle(Operation operation, SecurityContext caller) throws InvalidOperationException;
}
