package io.toka.store.internal;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;

/**
 * A small pool of read connections: at most {@code max} open, created on demand, kept while healthy. A connection
 * that saw an error is closed instead of returned, so a broken one (e.g. after a database restart) is replaced.
 */
final class ConnectionPool implements AutoCloseable {

    /** Opens a connection. */
    @FunctionalInterface
    interface Opener {
        Connection open() throws SQLException;
    }

    private final Opener opener;
    private final Semaphore permits;
    private final ConcurrentLinkedQueue<Connection> idle = new ConcurrentLinkedQueue<>();
    private volatile boolean closed;

    ConnectionPool(Opener opener, int max) {
        this.opener = opener;
        this.permits = new Semaphore(max, true);
    }

    /** @return a connection; give it back with {@link #release} */
    Connection borrow() throws SQLException {
        permits.acquireUninterruptibly();
        try {
            Connection c = idle.poll();
            return c != null ? c : opener.open();
        } catch (SQLException | RuntimeException e) {
            permits.release();
            throw e;
        }
    }

    /**
     * @param c a borrowed connection
     * @param healthy false if it saw an error: then it is closed
     */
    void release(Connection c, boolean healthy) {
        try {
            if (healthy && !closed) {
                idle.add(c);
                if (closed && idle.remove(c)) {
                    quietlyClose(c);
                }
            } else {
                quietlyClose(c);
            }
        } finally {
            permits.release();
        }
    }

    @Override
    public void close() {
        closed = true;
        for (Connection c; (c = idle.poll()) != null;) {
            quietlyClose(c);
        }
    }

    /** Settings applied to a freshly opened connection. */
    @FunctionalInterface
    interface Setup {
        void apply(Connection c) throws SQLException;
    }

    /**
     * Applies the setup to a new connection; if it fails, closes the connection and rethrows.
     *
     * @return the connection, ready
     */
    static Connection setUp(Connection c, Setup setup) throws SQLException {
        try {
            setup.apply(c);
            return c;
        } catch (SQLException | RuntimeException e) {
            quietlyClose(c);
            throw e;
        }
    }

    static void quietlyClose(AutoCloseable c) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (Exception ignored) {
            // closing after an error or at shutdown: nothing useful to do with a second failure
        }
    }
}
