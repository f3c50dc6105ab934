package io.toka.event;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * Durable storage of events. An implementation is registered as an OSGi service; the kernel uses whichever one the
 * configuration selects. Every method is thread-safe.
 */
@ConsumerType
public interface EventStore {

    /** @return what kind of store this is: {@code sqlite}, {@code memory}, {@code postgresql}, … */
    String type();

    /**
     * Appends events atomically: all or none. Returns only when they are durable (on SQLite: committed with one
     * fsync; concurrent appends may share one commit).
     *
     * @param events events from {@link Events#create}, with {@code seq} 0
     * @return the same events with their assigned sequence numbers, in order
     * @throws EventStoreException if they could not be stored; then none was
     * @throws IllegalArgumentException if an id is already stored
     */
    List<Event> append(List<Event> events);

    /**
     * Appends one event durably.
     *
     * @param event the event
     * @return it, with its sequence number
     */
    default Event append(Event event) {
        return append(List.of(event)).get(0);
    }

    /**
     * @param query what to read
     * @return a page, oldest first
     */
    EventPage query(EventQuery query);

    /**
     * @param id an event id
     * @return the event, if stored
     */
    Optional<Event> find(String id);

    /** @return the highest sequence number stored, or 0 if none */
    long lastSeq();

    /** @return how many events are stored */
    long count();

    /**
     * Deletes the oldest events: those older than {@code olderThan}, then as many more as needed to keep at most
     * {@code keepAtMost}.
     *
     * @param olderThan the age cap, or {@code null} for none
     * @param keepAtMost the count cap, or 0 or less for none
     * @return how many were deleted
     */
    long prune(Instant olderThan, long keepAtMost);
}
