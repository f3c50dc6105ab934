package io.toka.store.internal;

import io.toka.event.Event;
import io.toka.event.EventPage;
import io.toka.event.EventQuery;
import io.toka.event.EventStoreException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The part of the SQL stores that does not depend on the database: the versioned schema, group commit and queries.
 *
 * <h2>Group commit</h2>
 * An append puts its batch on a queue and waits. One writer thread takes everything queued, writes it in one
 * transaction and commits once, so concurrent appenders share one durable commit (one fsync on SQLite); then it
 * completes each waiter with its sequence numbers. Each batch stays atomic on its own: when a group holds more than
 * one batch, each is written inside a savepoint, and a batch that fails with a duplicate id is rolled back to its
 * savepoint while the others commit (a database may first try the whole group without savepoints, see
 * {@link #insertGroup}). Any other error fails the whole group and nothing of it is stored. Because one
 * writer assigns sequence numbers and commits in that order, a reader never sees a number before a smaller one that
 * will still appear, so the query cursor skips nothing.
 *
 * <h2>Schema</h2>
 * Table {@code schema_version} lists the applied versions; {@link #start()} applies the missing ones in one
 * transaction and refuses a database newer than this code. Version 1 is the {@code events} table and its indexes;
 * a database may add later versions of its own ({@link #latestSchema()}).
 *
 * <p>Reads use a small pool of separate connections and never wait for the writer.
 */
public abstract class JdbcEventStore implements CloseableEventStore {

    /** The schema version of the tables every SQL store has (the {@code events} table and its indexes). */
    public static final int LATEST_SCHEMA = 1;

    /** Batches written in one group transaction at most. */
    private static final int MAX_GROUP = 1000;
    /** Rows deleted per pruning transaction, so appends are not held up by one long delete. */
    static final int PRUNE_CHUNK = 10_000;
    /** How long the writer waits at most for a group to fill up to the size of the previous one. */
    private static final long LINGER_NANOS = TimeUnit.MICROSECONDS.toNanos(100);
    /** How long the writer polls for more work before it parks. */
    private static final long SPIN_NANOS = TimeUnit.MICROSECONDS.toNanos(50);
    /** Ids looked up per statement when reporting a duplicate. */
    private static final int LOOKUP_CHUNK = 500;

    static final String COLUMNS = "seq, id, kind, version, ts_micros, parents, digest, agent, subject, payload";
    static final String INSERT = "INSERT INTO events (id, kind, version, ts_micros, parents, digest, agent, subject,"
            + " payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";

    private final String type;
    private final String location;
    private final ConnectionPool readers;
    private final LinkedBlockingQueue<Work> queue = new LinkedBlockingQueue<>();
    /** Orders "closed" against enqueueing, so nothing is queued behind the stop marker. */
    private final Object gate = new Object();
    private final AtomicLong commits = new AtomicLong();
    private volatile boolean closed;
    private volatile int schemaVersion;
    private Thread writer;

    // owned by the writer thread once started
    private Connection writeConnection;
    private PreparedStatement insertStatement;

    /**
     * @param type what {@link #type()} returns
     * @param location names the database in messages, e.g. {@code the SQLite event store at /data/events.db}
     * @param readConnections how many read connections to keep at most
     */
    protected JdbcEventStore(String type, String location, int readConnections) {
        this.type = type;
        this.location = location;
        this.readers = new ConnectionPool(this::openReadConnection, readConnections);
    }

    // ---- what a database supplies -------------------------------------------------------------------------------

    /** @return a new connection for the writer, configured for durable commits */
    protected abstract Connection openWriteConnection() throws SQLException;

    /** @return a new connection for reads */
    protected abstract Connection openReadConnection() throws SQLException;

    /** Starts a write transaction on the writer connection (and takes whatever lock orders writers). */
    protected abstract void begin(Connection c) throws SQLException;

    /**
     * Commits the write transaction durably: when it returns, what the transaction wrote survives a crash of the
     * database.
     *
     * @throws UnconfirmedCommitException if the transaction committed but its durability could not be confirmed
     */
    protected abstract void commit(Connection c) throws SQLException;

    /** Rolls the write transaction back. */
    protected abstract void rollback(Connection c) throws SQLException;

    /** @return whether the error is a unique-constraint violation (a duplicate event id) */
    protected abstract boolean isUniqueViolation(SQLException e);

    /** @return the statements that take a version {@code version - 1} schema to {@code version} */
    protected abstract List<String> migration(int version);

    /** @return the schema version this code writes for this database; {@link #LATEST_SCHEMA} unless it adds tables */
    protected int latestSchema() {
        return LATEST_SCHEMA;
    }

    /** @return the insert statement ({@link #INSERT}) prepared so {@link #insert} can read the assigned seqs */
    protected PreparedStatement prepareInsert(Connection c) throws SQLException {
        return c.prepareStatement(INSERT + " RETURNING seq");
    }

    /**
     * Inserts the rows in order, inside the current transaction.
     *
     * @return the assigned sequence numbers, in order
     */
    protected long[] insert(PreparedStatement ps, List<Event> events) throws SQLException {
        long[] seqs = new long[events.size()];
        for (int i = 0; i < seqs.length; i++) {
            bind(ps, events.get(i));
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    throw new SQLException("the insert returned no sequence number");
                }
                seqs[i] = rs.getLong(1);
            }
        }
        return seqs;
    }

    /**
     * Inserts every batch of a group in one go, without a savepoint per batch, if the database can
     * ({@link #insertsGroupsAtOnce()}). A batch that would store a duplicate id must not be stored in part; the
     * database skips such events and this returns {@code null}: then the caller rolls the transaction back and
     * inserts batch by batch with savepoints, so a duplicate costs a second attempt but never changes the outcome.
     *
     * @return the sequence numbers of each batch, in order, or {@code null} if some event was not inserted
     */
    protected long[][] insertGroup(Connection c, List<List<Event>> batches) throws SQLException {
        throw new UnsupportedOperationException("insertGroup");
    }

    /** @return whether {@link #insertGroup} is supported */
    protected boolean insertsGroupsAtOnce() {
        return false;
    }

    /** Binds the nine {@link #INSERT} parameters. */
    protected static void bind(PreparedStatement ps, Event e) throws SQLException {
        ps.setString(1, e.id());
        ps.setString(2, e.kind());
        ps.setInt(3, e.version());
        ps.setLong(4, StoreSupport.micros(e.timestamp()));
        ps.setString(5, ParentsJson.write(e.parents()));
        ps.setString(6, e.digest());
        setNullable(ps, 7, e.agent());
        setNullable(ps, 8, e.subject());
        ps.setString(9, e.payload());
    }

    private static void setNullable(PreparedStatement ps, int i, String v) throws SQLException {
        if (v == null) {
            ps.setNull(i, Types.VARCHAR);
        } else {
            ps.setString(i, v);
        }
    }

    // ---- lifecycle ----------------------------------------------------------------------------------------------

    /**
     * Connects, brings the schema up to date and starts the writer. Called once by the factory of the subclass.
     *
     * @throws EventStoreException if the database cannot be opened or its schema is newer than this code
     */
    protected final void start() {
        try {
            writeConnection = openWriteConnection();
            migrate(writeConnection);
            Connection probe = readers.borrow();
            readers.release(probe, true);
        } catch (SQLException e) {
            ConnectionPool.quietlyClose(writeConnection);
            readers.close();
            throw new EventStoreException("cannot open " + location + ": " + StoreSupport.reason(e), e);
        } catch (RuntimeException e) {
            ConnectionPool.quietlyClose(writeConnection);
            readers.close();
            throw e;
        }
        writer = new Thread(this::runWriter, "toka-event-store-writer-" + type);
        writer.setDaemon(true);
        writer.start();
    }

    private void migrate(Connection c) throws SQLException {
        begin(c);
        try (Statement st = c.createStatement()) {
            st.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY,"
                    + " applied_micros BIGINT NOT NULL)");
            int current;
            try (ResultSet rs = st.executeQuery("SELECT COALESCE(MAX(version), 0) FROM schema_version")) {
                rs.next();
                current = rs.getInt(1);
            }
            int latest = latestSchema();
            if (current > latest) {
                throw new EventStoreException(location + " has schema version " + current
                        + ", newer than this version of Toka supports (" + latest
                        + "); run a newer Toka or choose another database");
            }
            for (int v = current + 1; v <= latest; v++) {
                for (String sql : migration(v)) {
                    st.execute(sql);
                }
                try (PreparedStatement ps = c.prepareStatement(
                        "INSERT INTO schema_version (version, applied_micros) VALUES (?, ?)")) {
                    ps.setInt(1, v);
                    ps.setLong(2, StoreSupport.micros(Instant.now()));
                    ps.executeUpdate();
                }
            }
            commit(c);
            schemaVersion = Math.max(current, latest);
        } catch (SQLException | RuntimeException e) {
            rollbackQuietly(c);
            throw e;
        }
    }

    @Override
    public final String type() {
        return type;
    }

    /** @return the schema version of the database, as found or migrated at open */
    public final int schemaVersion() {
        return schemaVersion;
    }

    /** @return how many group transactions committed so far (each is one durable commit) */
    public final long commits() {
        return commits.get();
    }

    /** @return how many appends and jobs wait for the writer (for tests) */
    final int pendingWrites() {
        return queue.size();
    }

    /** @return the database this store uses, for messages */
    public final String location() {
        return location;
    }

    @Override
    public final void close() {
        synchronized (gate) {
            if (closed) {
                return;
            }
            closed = true;
            if (writer != null) {
                queue.add(Stop.INSTANCE);
            }
        }
        if (writer != null) {
            boolean interrupted = false;
            while (writer.isAlive()) {
                try {
                    writer.join();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
        readers.close();
    }

    private EventStoreException closedError() {
        return new EventStoreException(location + " is closed");
    }

    // ---- appends ------------------------------------------------------------------------------------------------

    @Override
    public final List<Event> append(List<Event> events) {
        StoreSupport.checkBatch(events);
        if (events.isEmpty()) {
            if (closed) {
                throw closedError();
            }
            return List.of();
        }
        Append a = new Append(List.copyOf(events));
        return submit(a, a.done);
    }

    /**
     * Runs work on the writer thread in its own transaction, after the appends queued before it.
     *
     * @param what names the work in an error message, e.g. {@code prune events}
     */
    final long runInWriter(String what, SqlJob job) {
        Job j = new Job(what, job);
        return submit(j, j.done);
    }

    private <T> T submit(Work w, CompletableFuture<T> done) {
        synchronized (gate) {
            if (closed) {
                throw closedError();
            }
            queue.add(w);
        }
        try {
            // join() does not return early on interrupt: the outcome must be known before we report one
            return done.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new EventStoreException("the event store writer failed: " + StoreSupport.reason(e.getCause()),
                    e.getCause());
        }
    }

    private void runWriter() {
        List<Work> group = new ArrayList<>();
        List<Append> appends = new ArrayList<>();
        boolean stop = false;
        int expected = 1;
        while (!stop) {
            group.clear();
            appends.clear();
            Work first = spinForWork();
            try {
                group.add(first != null ? first : queue.take());
            } catch (InterruptedException e) {
                continue; // only the stop marker ends the writer
            }
            queue.drainTo(group, MAX_GROUP - 1);
            if (group.size() < expected) {
                linger(group, expected);
            }
            try {
                for (Work w : group) {
                    if (w instanceof Append a) {
                        appends.add(a);
                    }
                }
                if (!appends.isEmpty()) {
                    expected = appends.size();
                    writeGroup(appends);
                }
                for (Work w : group) {
                    if (w instanceof Job j) {
                        runJob(j);
                    } else if (w == Stop.INSTANCE) {
                        stop = true;
                    }
                }
            } catch (Throwable t) {
                // a bug or an Error: never leave a caller waiting forever
                EventStoreException x = new EventStoreException("the event store writer failed: "
                        + StoreSupport.reason(t), t);
                for (Work w : group) {
                    w.fail(x);
                    if (w == Stop.INSTANCE) {
                        stop = true;
                    }
                }
                discardWriteConnection();
            }
        }
        discardWriteConnection();
    }

    /**
     * Polls the queue for a few microseconds before the writer parks. An appender that appends again right after
     * its acknowledgement (the common case under load) then finds the writer awake; waking a parked thread costs
     * tens of microseconds here, a noticeable share of a 0.2 ms commit.
     *
     * @return the next work, or {@code null} if none came
     */
    private Work spinForWork() {
        long deadline = System.nanoTime() + SPIN_NANOS;
        do {
            Work w = queue.poll();
            if (w != null) {
                return w;
            }
            Thread.onSpinWait();
        } while (System.nanoTime() < deadline);
        return null;
    }

    /**
     * Waits a little for the appenders of the previous group to come back. Their threads are woken one after the
     * other when the previous commit completes; without this wait, the writer would start the next commit with the
     * first one or two of them and make the others wait a whole commit longer. A lone appender never waits here
     * (the previous group had one batch), and a group that stays smaller than expected lowers the expectation.
     */
    private void linger(List<Work> group, int expected) {
        long deadline = System.nanoTime() + LINGER_NANOS;
        while (group.size() < expected) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return;
            }
            Work w;
            try {
                w = queue.poll(left, TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                return;
            }
            if (w == null) {
                return;
            }
            group.add(w);
            queue.drainTo(group, MAX_GROUP - group.size());
        }
    }

    private Connection writeConnection() throws SQLException {
        if (writeConnection == null) {
            writeConnection = openWriteConnection();
        }
        return writeConnection;
    }

    private void discardWriteConnection() {
        ConnectionPool.quietlyClose(insertStatement);
        ConnectionPool.quietlyClose(writeConnection);
        insertStatement = null;
        writeConnection = null;
    }

    private void writeGroup(List<Append> appends) {
        Connection c;
        try {
            c = writeConnection();
        } catch (SQLException e) {
            EventStoreException x = new EventStoreException("cannot store events: cannot connect to " + location
                    + ": " + StoreSupport.reason(e) + "; nothing was stored", e);
            appends.forEach(a -> a.fail(x));
            return;
        }
        boolean savepoints = appends.size() > 1;
        List<Append> stored = new ArrayList<>(appends.size());
        List<Append> refused = new ArrayList<>(0);
        try {
            if (insertStatement == null) {
                insertStatement = prepareInsert(c);
            }
            begin(c);
            boolean open = true;
            boolean inserted = false;
            if (savepoints && insertsGroupsAtOnce()) {
                long[][] seqs = insertGroup(c, appends.stream().map(a -> a.events).toList());
                if (seqs != null) {
                    for (int i = 0; i < seqs.length; i++) {
                        appends.get(i).seqs = seqs[i];
                    }
                    stored.addAll(appends);
                    inserted = true;
                } else {
                    // a duplicate id somewhere: start over batch by batch, each in its savepoint
                    rollback(c);
                    begin(c);
                }
            }
            for (Append a : inserted ? List.<Append>of() : appends) {
                if (savepoints) {
                    execute(c, "SAVEPOINT batch");
                }
                try {
                    a.seqs = insert(insertStatement, a.events);
                    if (savepoints) {
                        execute(c, "RELEASE SAVEPOINT batch");
                    }
                    stored.add(a);
                } catch (SQLException e) {
                    if (!isUniqueViolation(e)) {
                        throw e;
                    }
                    if (savepoints) {
                        execute(c, "ROLLBACK TO SAVEPOINT batch");
                        execute(c, "RELEASE SAVEPOINT batch");
                        a.refusal = duplicate(c, a.events);
                    } else {
                        rollback(c);
                        open = false;
                        a.refusal = duplicate(c, a.events);
                        endReadOnlyTransaction(c);
                    }
                    refused.add(a);
                }
            }
            if (open) {
                commit(c);
                commits.incrementAndGet();
            }
        } catch (SQLException | RuntimeException e) {
            rollbackQuietly(c);
            discardWriteConnection();
            int n = appends.stream().mapToInt(a -> a.events.size()).sum();
            String events = n + (n == 1 ? " event" : " events");
            EventStoreException x = e instanceof UnconfirmedCommitException
                    ? new EventStoreException("cannot confirm that " + events + " in " + location + " are durable: "
                            + StoreSupport.reason(e) + "; they were committed and may have been read, but a crash of"
                            + " the database may still lose them; look them up by id before appending them again", e)
                    : new EventStoreException("cannot store " + events + " in " + location + ": "
                            + StoreSupport.reason(e) + "; none of them was stored", e);
            appends.forEach(a -> a.fail(x));
            return;
        }
        for (Append a : stored) {
            List<Event> out = new ArrayList<>(a.events.size());
            for (int i = 0; i < a.seqs.length; i++) {
                out.add(a.events.get(i).withSeq(a.seqs[i]));
            }
            a.done.complete(List.copyOf(out));
        }
        for (Append a : refused) {
            a.done.completeExceptionally(a.refusal);
        }
    }

    /** Ends the transaction a lookup after a rollback may have opened (for databases without autocommit). */
    private void endReadOnlyTransaction(Connection c) throws SQLException {
        if (!c.getAutoCommit()) {
            c.rollback();
        }
    }

    /** @return the error for a batch refused because of a duplicate id, naming the id */
    private IllegalArgumentException duplicate(Connection c, List<Event> events) throws SQLException {
        for (int from = 0; from < events.size(); from += LOOKUP_CHUNK) {
            List<Event> chunk = events.subList(from, Math.min(events.size(), from + LOOKUP_CHUNK));
            String marks = String.join(", ", java.util.Collections.nCopies(chunk.size(), "?"));
            try (PreparedStatement ps = c.prepareStatement("SELECT id FROM events WHERE id IN (" + marks + ")")) {
                for (int i = 0; i < chunk.size(); i++) {
                    ps.setString(i + 1, chunk.get(i).id());
                }
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next()) {
                        return new IllegalArgumentException("event id " + rs.getString(1)
                                + " is already stored; nothing of this batch was stored");
                    }
                }
            }
        }
        return new IllegalArgumentException("an event id of this batch is already stored; nothing of it was stored");
    }

    private void runJob(Job j) {
        try {
            Connection c = writeConnection();
            begin(c);
            long result;
            try {
                result = j.job.run(c);
                commit(c);
            } catch (SQLException | RuntimeException e) {
                rollbackQuietly(c);
                throw e;
            }
            j.done.complete(result);
        } catch (SQLException | RuntimeException e) {
            discardWriteConnection();
            j.fail(new EventStoreException("cannot " + j.what + " in " + location + ": " + StoreSupport.reason(e), e));
        }
    }

    private void rollbackQuietly(Connection c) {
        try {
            rollback(c);
        } catch (SQLException | RuntimeException ignored) {
            // the transaction is gone with the connection, which the caller discards
        }
    }

    /** Executes one statement without results. */
    protected static void execute(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }

    // ---- reads --------------------------------------------------------------------------------------------------

    /** Reads with a pooled connection. */
    @FunctionalInterface
    protected interface SqlRead<T> {
        T read(Connection c) throws SQLException;
    }

    /** Work for the writer thread, inside a transaction. */
    @FunctionalInterface
    interface SqlJob {
        long run(Connection c) throws SQLException;
    }

    /**
     * @param what names the read in an error message, e.g. {@code query events}
     */
    protected final <T> T read(String what, SqlRead<T> fn) {
        if (closed) {
            throw closedError();
        }
        Connection c;
        try {
            c = readers.borrow();
        } catch (SQLException e) {
            throw new EventStoreException("cannot " + what + ": cannot connect to " + location + ": "
                    + StoreSupport.reason(e), e);
        }
        boolean healthy = false;
        try {
            T result = fn.read(c);
            healthy = true;
            return result;
        } catch (SQLException e) {
            throw new EventStoreException("cannot " + what + " in " + location + ": " + StoreSupport.reason(e), e);
        } finally {
            readers.release(c, healthy);
        }
    }

    @Override
    public final EventPage query(EventQuery q) {
        StringBuilder sql = new StringBuilder("SELECT ").append(COLUMNS).append(" FROM events WHERE seq > ?");
        List<Object> args = new ArrayList<>(6);
        args.add(q.after());
        if (q.kind() != null) {
            sql.append(" AND kind = ?");
            args.add(q.kind());
        }
        if (q.agent() != null) {
            sql.append(" AND agent = ?");
            args.add(q.agent());
        }
        if (q.subject() != null) {
            sql.append(" AND subject = ?");
            args.add(q.subject());
        }
        if (q.since() != null) {
            sql.append(" AND ts_micros >= ?");
            args.add(StoreSupport.microsCeil(q.since()));
        }
        if (q.until() != null) {
            sql.append(" AND ts_micros < ?");
            args.add(StoreSupport.microsCeil(q.until()));
        }
        // one row more than asked tells whether another page exists
        sql.append(" ORDER BY seq LIMIT ?");
        args.add(q.limit() + 1);
        return read("query events", c -> {
            try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
                for (int i = 0; i < args.size(); i++) {
                    Object a = args.get(i);
                    if (a instanceof String s) {
                        ps.setString(i + 1, s);
                    } else if (a instanceof Integer n) {
                        ps.setInt(i + 1, n);
                    } else {
                        ps.setLong(i + 1, (Long) a);
                    }
                }
                List<Event> page = new ArrayList<>(Math.min(q.limit(), 256));
                boolean more = false;
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        if (page.size() == q.limit()) {
                            more = true;
                            break;
                        }
                        page.add(row(rs));
                    }
                }
                return new EventPage(page, more ? page.get(page.size() - 1).seq() : null);
            }
        });
    }

    @Override
    public final Optional<Event> find(String id) {
        if (id == null) {
            return Optional.empty();
        }
        return read("find event " + id, c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM events WHERE id = ?")) {
                ps.setString(1, id);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? Optional.of(row(rs)) : Optional.empty();
                }
            }
        });
    }

    @Override
    public final long lastSeq() {
        return read("read the last sequence number", c -> single(c, "SELECT COALESCE(MAX(seq), 0) FROM events"));
    }

    @Override
    public final long count() {
        return read("count events", c -> single(c, "SELECT COUNT(*) FROM events"));
    }

    private static long single(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static Event row(ResultSet rs) throws SQLException {
        return new Event(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getInt(4),
                StoreSupport.instant(rs.getLong(5)), ParentsJson.read(rs.getString(6)), rs.getString(7),
                rs.getString(8), rs.getString(9), rs.getString(10));
    }

    // ---- pruning ------------------------------------------------------------------------------------------------

    /**
     * Deletes the oldest events matching {@code condition} (one long parameter), {@link #PRUNE_CHUNK} rows per
     * writer job, so appends queued meanwhile wait for one chunk at most. An interrupt stops it after a chunk.
     *
     * @return how many were deleted
     */
    private long deleteInChunks(String what, String condition, long bound) {
        String sql = "DELETE FROM events WHERE seq IN (SELECT seq FROM events WHERE " + condition
                + " ORDER BY seq LIMIT ?)";
        long deleted = 0;
        long n;
        do {
            n = runInWriter(what, c -> {
                try (PreparedStatement ps = c.prepareStatement(sql)) {
                    ps.setLong(1, bound);
                    ps.setInt(2, PRUNE_CHUNK);
                    return ps.executeUpdate();
                }
            });
            deleted += n;
        } while (n == PRUNE_CHUNK && !Thread.currentThread().isInterrupted());
        return deleted;
    }

    /**
     * Deletes in chunks of {@value #PRUNE_CHUNK} rows, each its own transaction on the writer thread, so appends
     * queued meanwhile wait for one chunk at most. An interrupt stops it after the current chunk.
     */
    @Override
    public final long prune(Instant olderThan, long keepAtMost) {
        long deleted = 0;
        if (olderThan != null) {
            deleted += deleteInChunks("prune events by age", "ts_micros < ?", StoreSupport.microsCeil(olderThan));
        }
        if (keepAtMost > 0) {
            // the newest seq to delete: everything up to it is beyond the newest keepAtMost
            long last = read("prune events by count", c -> {
                try (PreparedStatement ps = c.prepareStatement(
                        "SELECT seq FROM events ORDER BY seq DESC LIMIT 1 OFFSET ?")) {
                    ps.setLong(1, keepAtMost);
                    try (ResultSet rs = ps.executeQuery()) {
                        return rs.next() ? rs.getLong(1) : 0L;
                    }
                }
            });
            if (last > 0) {
                deleted += deleteInChunks("prune events by count", "seq <= ?", last);
            }
        }
        return deleted;
    }

    /** A transaction committed, but the database did not confirm that it is durable. */
    protected static final class UnconfirmedCommitException extends SQLException {
        private static final long serialVersionUID = 1L;

        /** @param cause why durability could not be confirmed */
        public UnconfirmedCommitException(String message, SQLException cause) {
            super(message, cause.getSQLState(), cause);
        }
    }

    // ---- queue entries ------------------------------------------------------------------------------------------

    private abstract static class Work {
        abstract void fail(RuntimeException e);
    }

    private static final class Append extends Work {
        final List<Event> events;
        final CompletableFuture<List<Event>> done = new CompletableFuture<>();
        long[] seqs;
        IllegalArgumentException refusal;

        Append(List<Event> events) {
            this.events = events;
        }

        @Override
        void fail(RuntimeException e) {
            done.completeExceptionally(e);
        }
    }

    private static final class Job extends Work {
        final String what;
        final SqlJob job;
        final CompletableFuture<Long> done = new CompletableFuture<>();

        Job(String what, SqlJob job) {
            this.what = what;
            this.job = job;
        }

        @Override
        void fail(RuntimeException e) {
            done.completeExceptionally(e);
        }
    }

    private static final class Stop extends Work {
        static final Stop INSTANCE = new Stop();

        @Override
        void fail(RuntimeException e) {
            // nobody waits on it
        }
    }
}
