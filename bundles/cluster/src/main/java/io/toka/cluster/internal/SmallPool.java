package io.toka.cluster.internal;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import javax.sql.DataSource;

/**
 * A few PostgreSQL connections kept open for short statements from several threads (a fenced journal append holds
 * one for its duration). A connection that failed is closed, not kept. Each waits at most {@code lockTimeout} for a
 * row lock, so that a thread never hangs behind a node that was paused while holding one.
 */
final class SmallPool implements AutoCloseable {

    /** Work on a borrowed connection. */
    @FunctionalInterface
    interface Work<T> {
        T on(Connection c) throws SQLException;
    }

    private final DataSource source;
    private final long lockTimeoutMillis;
    private final BlockingQueue<Connection> idle;
    private volatile boolean closed;

    SmallPool(DataSource source, int keep, long lockTimeoutMillis) {
        this.source = source;
        this.lockTimeoutMillis = lockTimeoutMillis;
        this.idle = new ArrayBlockingQueue<>(keep);
    }

    Connection borrow() throws SQLException {
        Connection c;
        while ((c = idle.poll()) != null) {
            if (!c.isClosed()) {
                return c;
            }
        }
        c = source.getConnection();
        try (Statement s = c.createStatement()) {
            s.execute("SET lock_timeout = " + lockTimeoutMillis);
        } catch (SQLException e) {
            c.close();
            throw e;
        }
        return c;
    }

    /** Gives a healthy connection back (in auto-commit mode); {@code broken}: closes it. */
    void giveBack(Connection c, boolean broken) {
        try {
            if (broken || closed || c.isClosed() || !c.getAutoCommit() || !idle.offer(c)) {
                c.close();
            }
        } catch (SQLException e) {
            try {
                c.close();
            } catch (SQLException ignored) {
                // gone anyway
            }
        }
    }

    /** Runs short auto-committed work on a connection. */
    <T> T run(Work<T> work) throws SQLException {
        Connection c = borrow();
        boolean broken = true;
        try {
            T t = work.on(c);
            broken = false;
            return t;
        } finally {
            giveBack(c, broken);
        }
    }

    @Override
    public void close() {
        closed = true;
        Connection c;
        while ((c = idle.poll()) != null) {
            try {
                c.close();
            } catch (SQLException ignored) {
                // closing anyway
            }
        }
    }
}
