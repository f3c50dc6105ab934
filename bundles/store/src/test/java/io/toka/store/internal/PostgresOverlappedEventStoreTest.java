package io.toka.store.internal;

/** The PostgreSQL tests in the overlapped commit mode. */
class PostgresOverlappedEventStoreTest extends PostgresEventStoreTest {

    @Override
    protected PostgresEventStore.Commit commitMode() {
        return PostgresEventStore.Commit.OVERLAPPED;
    }
}
