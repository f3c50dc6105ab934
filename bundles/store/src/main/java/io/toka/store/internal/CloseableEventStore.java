package io.toka.store.internal;

import io.toka.event.EventStore;

/** An {@link EventStore} that holds resources (threads, connections) until it is closed. */
public interface CloseableEventStore extends EventStore, AutoCloseable {

    /**
     * Finishes the appends already accepted, then releases everything. Later calls fail with
     * {@link io.toka.event.EventStoreException}. Calling it again does nothing.
     */
    @Override
    void close();
}
