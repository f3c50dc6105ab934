package io.toka.kernel;

import io.toka.event.Event;
import io.toka.security.SecurityContext;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * Whiteboard service: what runs the agents the kernel schedules tasks for and spawns (the orchestration bundle). The
 * kernel admits {@link Operation.ScheduleAgentTask} and {@link Operation.SpawnSubAgent} only through it: without one,
 * both are refused ("no agent runtime"), as every agent is then unknown. With several, the one with the highest
 * {@code service.ranking} is used.
 *
 * <p>The order within {@link Kernel#submit}: the kernel's own checks (form, token, origin, permission, queue room),
 * then {@link #admit}, which refuses or prepares (an unknown agent is refused here, at submit time, with a clear
 * message); then the operation's event is stored (and a task queued), then {@link Admission#recorded} acts on it,
 * then the event is published. Nothing acts before its event is stored.
 *
 * @since 1.3
 */
@ConsumerType
public interface AgentRuntime {

    /**
     * Admits or refuses an agent operation that passed the kernel's checks. Nothing is recorded yet.
     *
     * @param operation a {@code ScheduleAgentTask} or a {@code SpawnSubAgent}
     * @param caller the authenticated sender
     * @return what to do once the operation's event is stored; never {@code null}
     * @throws InvalidOperationException to refuse the operation (an unknown agent, a spawn deeper than the
     *     delegation depth); the message says why
     * @throws CapabilityDeniedException to refuse the caller (a spawn asking for more than the parent holds)
     */
    Admission admit(Operation operation, SecurityContext caller) throws InvalidOperationException,
            CapabilityDeniedException;

    /** An admitted operation, waiting for its event to be stored. */
    @ConsumerType
    interface Admission {

        /**
         * The operation's event is stored (a task is in the agent's queue by now): act on it. Called on the
         * submitter's thread before the event is published; must not block for long.
         *
         * @param event the stored event; for a task, its id is the queued task's id
         */
        void recorded(Event event);

        /** The event could not be stored: nothing happened; release what {@link AgentRuntime#admit} prepared. */
        default void abandoned() {
        }
    }
}
