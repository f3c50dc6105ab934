package io.toka.event;

import org.osgi.annotation.versioning.ConsumerType;

/** Receives live events on its own thread, in order. A slow subscriber loses events instead of slowing Toka down. */
@ConsumerType
public interface EventSubscriber {

    /** @param event the next event */
    void onEvent(Event event);

    /**
     * Called before the next event when the subscriber fell behind and events were dropped for it.
     *
     * @param count how many events it missed (they are still in the store)
     */
    default void onMissed(long count) {
    }
}
