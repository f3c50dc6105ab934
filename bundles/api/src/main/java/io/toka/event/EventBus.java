package io.toka.event;

import org.osgi.annotation.versioning.ProviderType;

/** Live events, published after they are stored. Publishing never blocks on a subscriber. */
@ProviderType
public interface EventBus {

    /** Default per-subscriber buffer. */
    int DEFAULT_CAPACITY = 1024;

    /**
     * Subscribes; events are delivered on a thread of the subscription's own.
     *
     * @param subscriber who receives them
     * @param capacity how many undelivered events to buffer before dropping (and counting) new ones
     * @return the subscription; close it to stop
     */
    Subscription subscribe(EventSubscriber subscriber, int capacity);

    /** A live subscription. */
    interface Subscription extends AutoCloseable {
        /** @return events dropped so far because the subscriber fell behind */
        long missed();

        /** Stops delivery. */
        @Override
        void close();
    }
}
