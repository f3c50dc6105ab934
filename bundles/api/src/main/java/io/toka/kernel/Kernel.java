package io.toka.kernel;

import io.toka.event.Event;
import io.toka.event.EventPayload;
import java.util.List;
import java.util.Optional;
import org.osgi.annotation.versioning.ProviderType;

/** The kernel: checks and records operations, and records the events the rest of Toka reports. */
@ProviderType
public interface Kernel {

    /** Most tasks one agent may have queued. */
    int MAX_QUEUED_TASKS = 10_000;

    /**
     * Checks, in order: the message is well-formed; the token is valid; its subject is the origin; it holds the
     * operation's permission; the agent's queue has room. Then the first {@link OperationHandler} that handles the
     * operation, or the kernel itself, produces exactly one event, which is stored durably and published. The kernel
     * admits {@code ScheduleAgentTask} and {@code SpawnSubAgent} through the {@link AgentRuntime}, which refuses an
     * unknown agent; without one they are refused.
     *
     * @param message the message
     * @return the recorded event
     * @throws InvalidOperationException for a malformed message or a full queue; the message names the limit
     * @throws CapabilityDeniedException for an invalid token, a wrong origin or a missing permission
     */
    Event submit(Message message) throws KernelException;

    /**
     * Records an event durably and publishes it.
     *
     * @param payload what happened
     * @param parents the events it follows from
     * @return the stored event
     */
    Event record(EventPayload payload, List<Event> parents);

    /**
     * Records an event in the background (batched with others). Never drops it: when the writer is behind, the caller
     * waits for room in its queue (back-pressure).
     *
     * @param payload what happened
     */
    void post(EventPayload payload);

    /**
     * Records an event in the background, batched with others (group commit), and waits until the batch holding it
     * is stored. Everything posted before it is stored by then too, in order. For what must be durable before its
     * caller is answered, e.g. an acknowledged tool call.
     *
     * @param payload what happened
     * @param timeout how long to wait for the commit
     * @return whether it was stored within the timeout (it stays queued either way)
     * @throws InterruptedException if interrupted while waiting
     */
    boolean postAndAwait(EventPayload payload, java.time.Duration timeout) throws InterruptedException;

    /**
     * Records several events in the background as one group, stored in one append (one commit) in the given order, and
     * waits until it is stored, with everything posted before it. Added in 1.3; the default posts all but the last
     * and waits for the last, which keeps the order and the guarantee but may take more than one commit.
     *
     * @param payloads what happened, in order
     * @param timeout how long to wait for the commit
     * @return whether they were stored within the timeout
     * @throws InterruptedException if interrupted while waiting
     */
    default boolean postAllAndAwait(List<EventPayload> payloads, java.time.Duration timeout)
            throws InterruptedException {
        if (payloads.isEmpty()) {
            return true;
        }
        for (int i = 0; i < payloads.size() - 1; i++) {
            post(payloads.get(i));
        }
        return postAndAwait(payloads.get(payloads.size() - 1), timeout);
    }

    /** @return how many tasks the agent has queued */
    int queuedTasks(String agent);

    /**
     * Takes the agent's oldest queued task, recording {@code task.taken} as {@link #take} does.
     *
     * @return its description, or empty if none
     */
    Optional<String> takeTask(String agent);

    /**
     * The agent's queued tasks. The queue is durable: it is rebuilt from the event log when the kernel starts
     * ({@code task.scheduled} events with {@code queued}, less {@code task.taken} and {@code tasks.dropped}). Added
     * in 1.3 as a default method; the default reports none.
     *
     * @param agent the agent
     * @return its queued tasks, oldest first
     */
    default List<QueuedTask> queued(String agent) {
        return List.of();
    }

    /**
     * Takes the agent's oldest queued task for a consumer (a run): records {@code task.taken} naming the consumer and
     * returns the task only once that is stored, so that after a crash the task is neither lost nor taken twice.
     * Added in 1.3; the default takes it through {@link #takeTask} with a made-up id.
     *
     * @param agent the agent
     * @param consumer who takes it, e.g. a run id
     * @return the task, or empty if none is queued (or its taking could not be stored: it stays queued)
     */
    default Optional<QueuedTask> take(String agent, String consumer) {
        return takeTask(agent).map(t -> new QueuedTask(java.util.UUID.randomUUID().toString(), agent, t, null,
                java.time.Instant.now()));
    }

    /**
     * Drops every task queued for the agent (it was deleted, say) and records {@code tasks.dropped}. Added in 1.3;
     * the default takes them one by one.
     *
     * @param agent the agent
     * @param reason why, for the event
     * @return how many were dropped
     */
    default int dropTasks(String agent, String reason) {
        int n = 0;
        while (takeTask(agent).isPresent()) {
            n++;
        }
        return n;
    }

    /**
     * What the kernel has stored so far, for metrics: every append to the event store goes through the kernel
     * ({@link #submit}, {@link #record} and the background writer of {@link #post}). Added in 1.3 as a default method,
     * so other implementations (test fakes) still compile; the default reports nothing.
     *
     * @return the counters, never {@code null}
     */
    default StoreStatistics storeStatistics() {
        return new StoreStatistics(0, 0, 0, 0, 0);
    }

    /**
     * Event-store appends as the kernel saw them.
     *
     * @param events events stored
     * @param appends calls of {@code EventStore.append} that stored them (a background batch is one append)
     * @param appendNanos wall time spent in those calls, in nanoseconds
     * @param failures appends that failed (their events were not stored)
     * @param pending events posted and not yet stored: queued for the background writer or in its current append
     */
    record StoreStatistics(long events, long appends, long appendNanos, long failures, long pending) {
    }
}
