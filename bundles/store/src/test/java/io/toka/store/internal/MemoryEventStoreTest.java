package io.toka.store.internal;

/** The contract against the in-memory store. */
class MemoryEventStoreTest extends EventStoreContract {

    @Override
    protected CloseableEventStore openStore() {
        return new MemoryEventStore();
    }
}
