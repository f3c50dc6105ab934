package io.toka.store.internal;

import io.toka.event.Event;
import io.toka.event.EventStoreException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
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
 * <h2>Commit modes</h2>
 * An append is acknowledged only once its events are durable, in both modes ({@link Commit}):
 * <ul>
 * <li>{@link Commit#ORDERED_FSYNC} (the default): the transaction commits with a WAL flush while it holds the lock.
 * Nothing is ever visible that a crash of the database could take back, but the writers of all nodes flush one
 * after the other: a node's group commit waits for the other nodes' flushes in turn.
 * <li>{@link Commit#OVERLAPPED}: the transaction commits asynchronously ({@code synchronous_commit = off} for it
 * alone) while it holds the lock, so it is visible in sequence order at once and the lock is released without a
 * flush. Then, outside the lock, the writer commits a small synchronous transaction (an upsert of its own row of
 * {@code writer_flush}, keyed on its backend pid so writers never wait for each other's row). PostgreSQL flushes the
 * WAL up to the commit record of any transaction that wrote WAL and commits synchronously
 * ({@code RecordTransactionCommit} in {@code xact.c}); the WAL is sequential, so that flush also makes the earlier
 * asynchronous commit durable. Only then are the appends acknowledged. The flushes of several nodes overlap, and
 * PostgreSQL merges concurrent flushes into one. The price: if the database itself crashes between the two commits
 * (a few milliseconds), events that readers may already have seen are lost, none of them acknowledged, and their
 * sequence numbers may be given to other events after the restart, so a reader whose cursor had passed them would
 * miss those.
 * </ul>
 * Either way the writer connection never commits with {@code synchronous_commit = off} by accident: if the server,
 * database or role sets it off, the writer sets it on for its session.
 *
 * <p>The tables live in the connection's current schema ({@code currentSchema} in the URL, else {@code public}).
 * Needs PostgreSQL 10 or later (identity columns).
 */
public final class PostgresEventStore extends JdbcEventStore {

    private static final String UNIQUE_VIOLATION = "23505";

    /**
     * The overlapped mode's table, created when a writer in that mode starts (under the lock, as several nodes may
     * start at once), not as a schema version: a database used in the default mode keeps the schema every Toka
     * version reads, so nodes can be upgraded one at a time.
     */
    private static final String FLUSH_TABLE = "CREATE TABLE IF NOT EXISTS writer_flush (backend_pid INTEGER PRIMARY"
            + " KEY, flushes BIGINT NOT NULL, flushed_micros BIGINT NOT NULL)";

    private static final String LOCK = "pg_advisory_xact_lock(hashtext('toka.events:' || current_schema()))";
    private static final String FLUSH = "INSERT INTO writer_flush (backend_pid, flushes, flushed_micros)"
            + " VALUES (pg_backend_pid(), 1, ?) ON CONFLICT (backend_pid)"
            + " DO UPDATE SET flushes = writer_flush.flushes + 1, flushed_micros = EXCLUDED.flushed_micros";

    /** How the writer makes an ordered commit durable; see the class comment. */
    public enum Commit {
        /** Commit with a WAL flush while holding the lock that orders the writers. */
        ORDERED_FSYNC("ordered-fsync"),
        /** Commit without a flush while holding the lock, then flush with a small synchronous transaction. */
        OVERLAPPED("overlapped");

        private final String configName;

        Commit(String configName) {
            this.configName = configName;
        }

        /** @return the name in the configuration, e.g. {@code ordered-fsync} */
        public String configName() {
            return configName;
        }

        /**
         * @param value a configured value; blank means the default
         * @throws IllegalArgumentException if it names no mode
         */
        public static Commit parse(String value) {
            String v = value == null ? "" : value.strip();
            if (v.isEmpty()) {
                return ORDERED_FSYNC;
            }
            for (Commit c : values()) {
                if (c.configName.equalsIgnoreCase(v)) {
                    return c;
                }
            }
            throw new IllegalArgumentException("postgresqlCommit must be ordered-fsync or overlapped, not '" + value
                    + "'");
        }
    }

    private final DataSource dataSource;
    private final Commit mode;
    private final AtomicLong flushes = new AtomicLong();
    // owned by the writer thread
    private PreparedStatement flushStatement;
    private PreparedStatement groupInsertStatement;

    private PostgresEventStore(DataSource dataSource, String location, Commit mode) {
        super("postgresql", location, 4);
        this.dataSource = dataSource;
        this.mode = mode;
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
        return open(dataSource, url, Commit.ORDERED_FSYNC);
    }

    /**
     * Connects, creates or migrates the schema and starts the writer.
     *
     * @param dataSource where to connect, e.g. an {@code org.postgresql.ds.PGSimpleDataSource}
     * @param url the database URL as the user wrote it, for messages (a password in it is not shown)
     * @param mode how commits are made durable; see the class comment
     * @return the open store; close it when done
     * @throws EventStoreException if the database cannot be reached or holds a newer schema
     */
    public static PostgresEventStore open(DataSource dataSource, String url, Commit mode) {
        PostgresEventStore s = new PostgresEventStore(dataSource, "the PostgreSQL event store at " + redact(url),
                Objects.requireNonNull(mode, "mode"));
        s.start();
        return s;
    }

    /** @return how this store makes commits durable */
    public Commit commitMode() {
        return mode;
    }

    /** @return how many flush transactions the writer committed (always 0 with {@link Commit#ORDERED_FSYNC}) */
    public long flushes() {
        return flushes.get();
    }

    /** @return the URL without the values of password parameters */
    static String redact(String url) {
        return url == null ? "" : url.replaceAll("(?i)(password=)[^&;]*", "$1***");
    }

    @Override
    protected Connection openWriteConnection() throws SQLException {
        flushStatement = null;
        groupInsertStatement = null;
        return ConnectionPool.setUp(dataSource.getConnection(), c -> {
            // acknowledged means durable: a server, database or role default of off must not apply to the writer
            execute(c, "SELECT set_config('synchronous_commit', 'on', false)"
                    + " WHERE current_setting('synchronous_commit') = 'off'");
            c.setAutoCommit(false);
            if (mode == Commit.OVERLAPPED) {
                // one row per writer session (backend pids are unique among live sessions), upserted only to have
                // a synchronous transaction that writes WAL
                execute(c, "SELECT " + LOCK);
                execute(c, FLUSH_TABLE);
                c.commit();
            }
        });
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
        // orders writers of this schema across processes; released by commit or rollback. Overlapped: this
        // transaction alone commits without waiting for the WAL flush (what SET LOCAL does), commit() flushes after.
        execute(c, mode == Commit.OVERLAPPED
                ? "SELECT " + LOCK + ", set_config('synchronous_commit', 'off', true)"
                : "SELECT " + LOCK);
    }

    @Override
    protected void commit(Connection c) throws SQLException {
        c.commit();
        if (mode == Commit.OVERLAPPED) {
            flush(c);
        }
    }

    /**
     * Commits a small synchronous write transaction after an asynchronous commit. It has a transaction id and writes
     * WAL, so its commit flushes the WAL up to its own commit record, past the earlier one. It runs as a single
     * statement in autocommit (its own implicit transaction, committed when the statement completes), one round trip.
     */
    private void flush(Connection c) throws SQLException {
        try {
            if (flushStatement == null) {
                flushStatement = c.prepareStatement(FLUSH);
            }
            flushStatement.setLong(1, StoreSupport.micros(Instant.now()));
            // no transaction is open after the commit, so switching autocommit sends nothing
            c.setAutoCommit(true);
            try {
                flushStatement.executeUpdate();
            } finally {
                c.setAutoCommit(false);
            }
        } catch (SQLException e) {
            ConnectionPool.quietlyClose(flushStatement);
            flushStatement = null;
            throw new UnconfirmedCommitException("the transaction that flushes the WAL failed", e);
        }
        flushes.incrementAndGet();
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
    protected boolean insertsGroupsAtOnce() {
        return true;
    }

    /**
     * One pipelined round trip for the whole group, with {@code ON CONFLICT (id) DO NOTHING}, instead of two more
     * round trips per batch for its savepoint, all while holding the lock that every node's writer waits for. The
     * returned rows come in statement order; an event whose id was already stored (or inserted earlier in the group)
     * returns none, so walking the events and the rows side by side finds the skipped ones.
     */
    @Override
    protected long[][] insertGroup(Connection c, List<List<Event>> batches) throws SQLException {
        if (groupInsertStatement == null) {
            groupInsertStatement = c.prepareStatement(INSERT + " ON CONFLICT (id) DO NOTHING",
                    new String[] {"seq", "id"});
        }
        PreparedStatement ps = groupInsertStatement;
        for (List<Event> batch : batches) {
            for (Event e : batch) {
                bind(ps, e);
                ps.addBatch();
            }
        }
        ps.executeBatch();
        long[][] seqs = new long[batches.size()][];
        boolean complete = true;
        try (ResultSet rs = ps.getGeneratedKeys()) {
            boolean row = rs.next();
            for (int b = 0; b < seqs.length; b++) {
                List<Event> batch = batches.get(b);
                seqs[b] = new long[batch.size()];
                for (int i = 0; i < seqs[b].length; i++) {
                    if (row && batch.get(i).id().equals(rs.getString(2))) {
                        seqs[b][i] = rs.getLong(1);
                        row = rs.next();
                    } else {
                        complete = false;
                    }
                }
            }
            if (row) {
                throw new SQLException("the insert returned more rows than it was given events");
            }
        }
        return complete ? seqs : null;
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
