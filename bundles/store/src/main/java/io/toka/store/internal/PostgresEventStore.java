package io.toka.store.internal;

import io.toka.event.Event;
import io.toka.event.EventStoreException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import javax.sql.DataSource;

/**
 * Events in PostgreSQL, for deployments that share one database or outgrow a file.
 *
 * <h2>Ordering across writers</h2>
 * Appends go through the same single writer with group commit as SQLite (see {@link JdbcEventStore}), and every
 * write transaction first takes a transaction-scoped advisory lock ({@code pg_advisory_xact_lock}) keyed on the
 * schema. Sequence numbers come from an identity column and are drawn only while the lock is held, and the lock is
 * released after the commit becomes visible; so even with several Toka nodes writing to one database, events become
 * visible in sequence order and a reader's cursor never passes a number that is committed later. Numbers may have
 * gaps (a failed batch consumes its numbers); that is allowed.
 *
 * <p>The tables live in the connection's current schema ({@code currentSchema} in the URL, else {@code public}).
 * Needs PostgreSQL 10 or later (identity columns).
 */
public final class PostgresEventStore extends JdbcEventStore {

    private static final String UNIQUE_VIOLATION = "23505";

    private final DataSource dataSource;

    private PostgresEventStore(DataSource dataSource, String location) {
        super("postgresql", location, 4);
        this.dataSource = dataSource;
    }

    /**
     * Connects, creates or migrates the schema and starts the writer.
     *
     * @param dataSource where to connect, e.g. an {@code org.postgresql.ds.PGSimpleDataSource}
     * @param url the database URL as the user wrote it, for messages (a password in it is not shown)
     * @return the open store; close it when done
     * @throws EventStoreException if the database cannot be reached or holds a newer schema
     */
    public static PostgresEventStore open(DataSource dataSource, String url) {
        PostgresEventStore s = new PostgresEventStore(dataSource, "the PostgreSQL event store at " + redact(url));
        s.start();
        return s;
    }

    /** @return the URL without the values of password parameters */
    static String redact(String url) {
        return url == null ? "" : url.replaceAll("(?i)(password=)[^&;]*", "$1***");
    }

    @Override
    protected Connection openWriteConnection() throws SQLException {
        return ConnectionPool.setUp(dataSource.getConnection(), c -> c.setAutoCommit(false));
    }

    @Override
    protected Connection openReadConnection() throws SQLException {
        return ConnectionPool.setUp(dataSource.getConnection(), c -> {
            c.setAutoCommit(true);
            c.setReadOnly(true);
        });
    }

    @Override
    protected void begin(Connection c) throws SQLException {
        // orders writers of this schema across processes; released by commit or rollback
        execute(c, "SELECT pg_advisory_xact_lock(hashtext('toka.events:' || current_schema()))");
    }

    @Override
    protected void commit(Connection c) throws SQLException {
        c.commit();
    }

    @Override
    protected void rollback(Connection c) throws SQLException {
        c.rollback();
    }

    @Override
    protected boolean isUniqueViolation(SQLException e) {
        return UNIQUE_VIOLATION.equals(e.getSQLState());
    }

    @Override
    protected PreparedStatement prepareInsert(Connection c) throws SQLException {
        return c.prepareStatement(INSERT, new String[] {"seq"});
    }

    /** One round trip for the whole batch: the driver pipelines it and returns the keys in order. */
    @Override
    protected long[] insert(PreparedStatement ps, List<Event> events) throws SQLException {
        for (Event e : events) {
            bind(ps, e);
            ps.addBatch();
        }
        ps.executeBatch();
        long[] seqs = new long[events.size()];
        try (ResultSet rs = ps.getGeneratedKeys()) {
            for (int i = 0; i < seqs.length; i++) {
                if (!rs.next()) {
                    throw new SQLException("the insert returned " + i + " sequence numbers for " + seqs.length
                            + " rows");
                }
                seqs[i] = rs.getLong(1);
            }
        }
        return seqs;
    }

    @Override
    protected List<String> migration(int version) {
        if (version == 1) {
            return List.of(
                    "CREATE TABLE events (seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
                            + " id TEXT NOT NULL UNIQUE, kind TEXT NOT NULL, version INTEGER NOT NULL,"
                            + " ts_micros BIGINT NOT NULL, parents TEXT NOT NULL, digest TEXT NOT NULL, agent TEXT,"
                            + " subject TEXT, payload TEXT NOT NULL)",
                    "CREATE INDEX events_kind ON events (kind, seq)",
                    "CREATE INDEX events_agent ON events (agent, seq)",
                    "CREATE INDEX events_subject ON events (subject, seq)",
                    "CREATE INDEX events_ts ON events (ts_micros)");
        }
        throw new IllegalArgumentException("no schema version " + version);
    }
}
