package io.toka.cluster.internal;

import io.toka.orchestration.spi.LeaseLostException;
import io.toka.orchestration.spi.RunLease;
import io.toka.orchestration.spi.RunLeases;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Leases on runs and sessions in PostgreSQL, the cluster's arbiter ({@code toka_run_leases}: key, owner, epoch,
 * expiry). Every time is the database's clock ({@code clock_timestamp()}), so the nodes' clocks do not matter.
 *
 * <ul>
 *   <li>A claim is one statement: insert at epoch 1, or take an expired lease at epoch + 1; of two nodes claiming at
 *       once, one wins (the row's lock), the other sees a lease that is no longer expired.</li>
 *   <li>A renewal or release names the epoch: one from a node that lost the lease changes nothing.</li>
 *   <li>{@link #fenced} checks the lease (owner and epoch) and keeps a share lock on its row while the action (the
 *       journal append) runs, in one transaction: a claim of the same lease waits until it is done, so the new holder
 *       reads a journal that holds every step the old holder recorded, and the old holder records nothing after. A
 *       node paused while holding that lock has its transaction ended by PostgreSQL after the lease's lifetime
 *       ({@code idle_in_transaction_session_timeout}), its commit then fails and it does not act.</li>
 *   <li>A hand-over ({@link #handOver}: placing a new run on the least-loaded node) gives the lease to another node
 *       at the next epoch with {@code handed_from} set, until that node {@link #accept}s it; a node that never does
 *       lets it expire, and it is claimed as any expired lease.</li>
 * </ul>
 */
final class PostgresRunLeases implements RunLeases, AutoCloseable {

    /** Advisory lock: 'toka' and a number (see {@link SecurityTables}). */
    private static final long LOCK_SCHEMA = 0x746F6B6100000011L;

    private final SmallPool pool;
    private final String nodeId;
    private final Duration ttl;
    private final Duration renewEvery;
    private final List<Runnable> memberLeft = new CopyOnWriteArrayList<>();
    private final List<Runnable> handedOver = new CopyOnWriteArrayList<>();
    /** The lease ids of the live nodes (this one included), for placement; null: every run stays here. */
    private volatile Supplier<Set<String>> liveNodes;
    /** Tells a node that a lease was handed to it (a wake-up: it looks in the table). */
    private volatile Consumer<String> ring = node -> {
    };

    /**
     * @throws IllegalArgumentException if the renewal is not at most a third of the lifetime, or either is
     *     out of range
     */
    PostgresRunLeases(SmallPool pool, String nodeId, Duration ttl, Duration renewEvery) {
        if (ttl.toMillis() < 1000 || ttl.toMillis() > 600_000) {
            throw new IllegalArgumentException("leaseTtlMillis must be 1000-600000, not " + ttl.toMillis());
        }
        if (renewEvery.toMillis() < 100 || renewEvery.toMillis() * 3 > ttl.toMillis()) {
            throw new IllegalArgumentException("leaseRenewMillis must be at least 100 and at most a third of "
                    + "leaseTtlMillis (" + ttl.toMillis() + "), not " + renewEvery.toMillis());
        }
        this.pool = pool;
        this.nodeId = nodeId;
        this.ttl = ttl;
        this.renewEvery = renewEvery;
    }

    /** Creates the table if it is missing (under a lock: nodes may start at once). */
    void create() throws SQLException {
        pool.run(c -> {
            SchemaDdl.apply(c, LOCK_SCHEMA,
                    "CREATE TABLE IF NOT EXISTS toka_run_leases (key TEXT PRIMARY KEY, owner TEXT NOT NULL,"
                    + " epoch BIGINT NOT NULL, expires_at TIMESTAMPTZ NOT NULL,"
                    + " taken_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp())",
                    "CREATE INDEX IF NOT EXISTS toka_run_leases_expiry ON toka_run_leases (expires_at)",
                    "ALTER TABLE toka_run_leases ADD COLUMN IF NOT EXISTS handed_from TEXT");
            return null;
        });
    }

    /** Tells the listeners that a member left (from the Hazelcast membership listener). */
    void memberLeft() {
        memberLeft.forEach(Runnable::run);
    }

    @Override
    public void onMemberLeft(Runnable listener) {
        memberLeft.add(listener);
    }

    /**
     * Turns placement on: new runs go to the live node with the fewest run leases.
     *
     * @param live the lease ids of the live nodes
     * @param ring tells a node (by lease id) that a lease was handed to it
     */
    void placeWith(Supplier<Set<String>> live, Consumer<String> ring) {
        this.liveNodes = live;
        this.ring = ring;
    }

    /** Tells the listeners that a lease was handed to this node (from the cluster's topic). */
    void handedOverHere() {
        handedOver.forEach(Runnable::run);
    }

    @Override
    public void onHandedOver(Runnable listener) {
        handedOver.add(listener);
    }

    @Override
    public String leastLoaded() {
        Supplier<Set<String>> live = liveNodes;
        return live == null ? nodeId : LeastLoaded.choose(nodeId, live.get(), () -> sql("count the runs of each node",
                LeastLoaded::runsPerNode));
    }

    @Override
    public RunLease handOver(RunLease lease, String node) throws LeaseLostException {
        if (node == null || node.isBlank() || node.equals(nodeId)) {
            throw new IllegalArgumentException("a lease is handed over to another node, not to '" + node + "'");
        }
        Long epoch = sql("hand " + lease + " over to " + node, c -> {
            try (PreparedStatement p = c.prepareStatement("UPDATE toka_run_leases SET owner = ?, epoch = epoch + 1,"
                    + " expires_at = clock_timestamp() + ?::interval, taken_at = clock_timestamp(), handed_from = ?"
                    + " WHERE key = ? AND owner = ? AND epoch = ? RETURNING epoch")) {
                p.setString(1, node);
                p.setString(2, interval());
                p.setString(3, nodeId);
                p.setString(4, lease.key());
                p.setString(5, nodeId);
                p.setLong(6, lease.epoch());
                try (ResultSet r = p.executeQuery()) {
                    return r.next() ? r.getLong(1) : null;
                }
            }
        });
        if (epoch == null) {
            throw new LeaseLostException("lease " + lease + " is no longer this node's: not handed over");
        }
        try {
            ring.accept(node);
        } catch (RuntimeException e) {
            // the node finds it at its next look (every renewal period)
        }
        return new RunLease(lease.key(), node, epoch);
    }

    @Override
    public List<Claimed> handedOver(String prefix) {
        return sql("read the leases handed to this node", c -> {
            List<Claimed> out = new ArrayList<>();
            try (PreparedStatement p = c.prepareStatement("SELECT key, epoch, handed_from FROM toka_run_leases"
                    + " WHERE owner = ? AND handed_from IS NOT NULL AND left(key, ?) = ? ORDER BY taken_at")) {
                p.setString(1, nodeId);
                p.setInt(2, prefix.length());
                p.setString(3, prefix);
                try (ResultSet r = p.executeQuery()) {
                    while (r.next()) {
                        out.add(new Claimed(new RunLease(r.getString(1), nodeId, r.getLong(2)), r.getString(3),
                                null));
                    }
                }
            }
            return out;
        });
    }

    @Override
    public boolean accept(RunLease lease) {
        return update("take up " + lease, "UPDATE toka_run_leases SET handed_from = NULL, expires_at ="
                + " clock_timestamp() + '" + interval() + "'::interval WHERE key = ? AND owner = ? AND epoch = ?",
                lease) == 1;
    }

    @Override
    public String nodeId() {
        return nodeId;
    }

    @Override
    public boolean shared() {
        return true;
    }

    @Override
    public Duration ttl() {
        return ttl;
    }

    @Override
    public Duration renewEvery() {
        return renewEvery;
    }

    private String interval() {
        return ttl.toMillis() + " milliseconds";
    }

    @Override
    public RunLease acquire(String key) throws LeaseLostException {
        check(key);
        int n = sql("lease " + key, c -> {
            try (PreparedStatement p = c.prepareStatement("INSERT INTO toka_run_leases (key, owner, epoch, expires_at)"
                    + " VALUES (?, ?, 1, clock_timestamp() + ?::interval) ON CONFLICT (key) DO NOTHING")) {
                p.setString(1, key);
                p.setString(2, nodeId);
                p.setString(3, interval());
                return p.executeUpdate();
            }
        });
        if (n != 1) {
            throw new LeaseLostException(key + " is already leased");
        }
        return new RunLease(key, nodeId, 1);
    }

    @Override
    public Optional<Claimed> claim(String key) {
        check(key);
        return sql("claim " + key, c -> {
            try (PreparedStatement p = c.prepareStatement("WITH old AS (SELECT owner, expires_at FROM toka_run_leases"
                    + " WHERE key = ?) INSERT INTO toka_run_leases AS l (key, owner, epoch, expires_at)"
                    + " VALUES (?, ?, 1, clock_timestamp() + ?::interval) ON CONFLICT (key) DO UPDATE"
                    + " SET owner = EXCLUDED.owner, epoch = l.epoch + 1, expires_at = EXCLUDED.expires_at,"
                    + " taken_at = clock_timestamp(), handed_from = NULL WHERE l.expires_at < clock_timestamp()"
                    + " RETURNING l.epoch, (SELECT owner FROM old), (SELECT expires_at FROM old)")) {
                p.setString(1, key);
                p.setString(2, key);
                p.setString(3, nodeId);
                p.setString(4, interval());
                try (ResultSet r = p.executeQuery()) {
                    if (!r.next()) {
                        return Optional.<Claimed>empty();
                    }
                    Timestamp before = r.getTimestamp(3);
                    return Optional.of(new Claimed(new RunLease(key, nodeId, r.getLong(1)), r.getString(2),
                            before == null ? null : before.toInstant()));
                }
            }
        });
    }

    @Override
    public boolean renew(RunLease lease) {
        return update("renew " + lease, "UPDATE toka_run_leases SET expires_at = clock_timestamp() + '"
                + interval() + "'::interval WHERE key = ? AND owner = ? AND epoch = ?", lease) == 1;
    }

    @Override
    public void release(RunLease lease) {
        update("release " + lease, "DELETE FROM toka_run_leases WHERE key = ? AND owner = ? AND epoch = ?", lease);
    }

    @Override
    public void expire(RunLease lease) {
        update("give up " + lease, "UPDATE toka_run_leases SET expires_at = clock_timestamp() - '1 millisecond'"
                + "::interval WHERE key = ? AND owner = ? AND epoch = ?", lease);
    }

    @Override
    public List<String> expired(String prefix) {
        return sql("read the expired leases", c -> {
            List<String> out = new ArrayList<>();
            try (PreparedStatement p = c.prepareStatement("SELECT key FROM toka_run_leases WHERE left(key, ?) = ?"
                    + " AND expires_at < clock_timestamp() ORDER BY expires_at LIMIT 100")) {
                p.setInt(1, prefix.length());
                p.setString(2, prefix);
                try (ResultSet r = p.executeQuery()) {
                    while (r.next()) {
                        out.add(r.getString(1));
                    }
                }
            }
            return out;
        });
    }

    @Override
    public Optional<String> holder(String key) {
        return sql("read the lease " + key, c -> {
            try (PreparedStatement p = c.prepareStatement("SELECT owner FROM toka_run_leases WHERE key = ?")) {
                p.setString(1, key);
                try (ResultSet r = p.executeQuery()) {
                    return r.next() ? Optional.of(r.getString(1)) : Optional.<String>empty();
                }
            }
        });
    }

    @Override
    public <T> T fenced(RunLease lease, Action<T> action) throws LeaseLostException, InterruptedException {
        if (!lease.owner().equals(nodeId)) {
            throw new LeaseLostException("lease " + lease + " is not this node's (" + nodeId + ")");
        }
        Connection c;
        try {
            c = pool.borrow();
        } catch (SQLException e) {
            throw new LeaseLostException("cannot check the lease " + lease + ": " + e.getMessage());
        }
        boolean broken = true;
        try {
            c.setAutoCommit(false);
            try (Statement s = c.createStatement()) {
                s.execute("SET LOCAL idle_in_transaction_session_timeout = " + ttl.toMillis());
            }
            String holder = null;
            long epoch = 0;
            try (PreparedStatement p = c.prepareStatement(
                    "SELECT owner, epoch FROM toka_run_leases WHERE key = ? FOR SHARE")) {
                p.setString(1, lease.key());
                try (ResultSet r = p.executeQuery()) {
                    if (r.next()) {
                        holder = r.getString(1);
                        epoch = r.getLong(2);
                    }
                }
            }
            if (!nodeId.equals(holder) || epoch != lease.epoch()) {
                c.rollback();
                c.setAutoCommit(true);
                broken = false;
                throw new LeaseLostException("lease " + lease + " refused: " + (holder == null ? "it is gone"
                        : "node " + holder + " holds it at epoch " + epoch));
            }
            T result = action.run();
            try {
                c.commit();
            } catch (SQLException e) {
                throw new LeaseLostException("the hold on lease " + lease + " was broken while recording ("
                        + e.getMessage() + "): not acting on it");
            }
            c.setAutoCommit(true);
            broken = false;
            return result;
        } catch (SQLException e) {
            throw new LeaseLostException("cannot check the lease " + lease + ": " + e.getMessage());
        } finally {
            if (broken) {
                try {
                    c.rollback();
                } catch (SQLException ignored) {
                    // closed below
                }
            }
            pool.giveBack(c, broken);
        }
    }

    private int update(String what, String sql, RunLease lease) {
        return sql(what, c -> {
            try (PreparedStatement p = c.prepareStatement(sql)) {
                p.setString(1, lease.key());
                p.setString(2, nodeId); // this node's leases only, whatever the lease object says
                p.setLong(3, lease.epoch());
                return p.executeUpdate();
            }
        });
    }

    private <T> T sql(String what, SmallPool.Work<T> work) {
        try {
            return pool.run(work);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot " + what + " in PostgreSQL: " + e.getMessage(), e);
        }
    }

    private static void check(String key) {
        if (key == null || !key.matches("(run|session):[0-9a-fA-F-]{8,64}")) {
            throw new IllegalArgumentException("not a run or session lease key: '" + key + "'");
        }
    }

    @Override
    public void close() {
        pool.close();
    }

}
