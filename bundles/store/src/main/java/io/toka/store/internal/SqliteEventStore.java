package io.toka.store.internal;

import io.toka.event.EventStoreException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteDataSource;
import org.sqlite.SQLiteErrorCode;
import org.sqlite.SQLiteException;

/**
 * Events in one SQLite file, the default store. The database runs in WAL mode with {@code synchronous=FULL}: each
 * commit is one fsync of the write-ahead log, and an acknowledged append survives a process kill or power loss.
 * Concurrent appends share commits (see {@link JdbcEventStore}); there is no second log on top of SQLite's.
 * Readers use their own connections, which WAL lets run beside the writer.
 */
public final class SqliteEventStore extends JdbcEventStore {

    private static final int SQLITE_CONSTRAINT = 19;
    private static final int BUSY_TIMEOUT_MS = 10_000;

    private final Path file;
    private final SQLiteDataSource writeSource;
    private final SQLiteDataSource readSource;

    private SqliteEventStore(Path file) {
        super("sqlite", "the SQLite event store at " + file, 4);
        this.file = file;
        String url = "jdbc:sqlite:" + file;
        SQLiteConfig w = new SQLiteConfig();
        w.setJournalMode(SQLiteConfig.JournalMode.WAL);
        w.setSynchronous(SQLiteConfig.SynchronousMode.FULL);
        w.setBusyTimeout(BUSY_TIMEOUT_MS);
        writeSource = new SQLiteDataSource(w);
        writeSource.setUrl(url);
        SQLiteConfig r = new SQLiteConfig();
        r.setBusyTimeout(BUSY_TIMEOUT_MS);
        readSource = new SQLiteDataSource(r);
        readSource.setUrl(url);
    }

    /**
     * Opens (creating if needed) the store in a file and brings its schema up to date.
     *
     * @param file the database file; missing parent directories are created
     * @return the open store; close it when done
     * @throws EventStoreException if the file cannot be opened or holds a newer schema
     */
    public static SqliteEventStore open(Path file) {
        Path f = file.toAbsolutePath().normalize();
        try {
            if (f.getParent() != null) {
                Files.createDirectories(f.getParent());
            }
        } catch (IOException e) {
            throw new EventStoreException("cannot open the SQLite event store at " + f + ": cannot create the directory "
                    + f.getParent() + ": " + StoreSupport.reason(e), e);
        }
        SqliteEventStore s = new SqliteEventStore(f);
        s.start();
        return s;
    }

    /** @return the database file */
    public Path file() {
        return file;
    }

    @Override
    protected Connection openWriteConnection() throws SQLException {
        return ConnectionPool.setUp(writeSource.getConnection(), c -> {
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("PRAGMA journal_mode")) {
                // WAL is what makes one fsync per commit and readers beside the writer possible
                if (!rs.next() || !"wal".equalsIgnoreCase(rs.getString(1))) {
                    throw new SQLException("the database could not be switched to WAL mode");
                }
            }
        });
    }

    @Override
    protected Connection openReadConnection() throws SQLException {
        return ConnectionPool.setUp(readSource.getConnection(), c -> execute(c, "PRAGMA query_only = true"));
    }

    /** The transaction statements, prepared once per writer connection (used by the writer thread only). */
    private Connection preparedFor;
    private PreparedStatement beginStatement;
    private PreparedStatement commitStatement;
    private PreparedStatement rollbackStatement;

    private void prepareTransactionStatements(Connection c) throws SQLException {
        if (preparedFor == c) {
            return;
        }
        ConnectionPool.quietlyClose(beginStatement);
        ConnectionPool.quietlyClose(commitStatement);
        ConnectionPool.quietlyClose(rollbackStatement);
        preparedFor = null;
        // IMMEDIATE takes the write lock at once, so the transaction never fails half-way on a busy database
        beginStatement = c.prepareStatement("BEGIN IMMEDIATE");
        commitStatement = c.prepareStatement("COMMIT");
        rollbackStatement = c.prepareStatement("ROLLBACK");
        preparedFor = c;
    }

    @Override
    protected void begin(Connection c) throws SQLException {
        prepareTransactionStatements(c);
        beginStatement.execute();
    }

    @Override
    protected void commit(Connection c) throws SQLException {
        prepareTransactionStatements(c);
        commitStatement.execute();
    }

    @Override
    protected void rollback(Connection c) throws SQLException {
        try {
            prepareTransactionStatements(c);
            rollbackStatement.execute();
        } catch (SQLException e) {
            // SQLite rolls back by itself after some errors (I/O, full disk); then there is nothing left to undo
            if (!String.valueOf(e.getMessage()).contains("no transaction is active")) {
                throw e;
            }
        }
    }

    @Override
    protected boolean isUniqueViolation(SQLException e) {
        if (e instanceof SQLiteException s) {
            SQLiteErrorCode code = s.getResultCode();
            return code == SQLiteErrorCode.SQLITE_CONSTRAINT_UNIQUE
                    || code == SQLiteErrorCode.SQLITE_CONSTRAINT_PRIMARYKEY;
        }
        return (e.getErrorCode() & 0xff) == SQLITE_CONSTRAINT && String.valueOf(e.getMessage()).contains("UNIQUE");
    }

    @Override
    protected List<String> migration(int version) {
        if (version == 1) {
            return List.of(
                    "CREATE TABLE events (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE,"
                            + " kind TEXT NOT NULL, version INTEGER NOT NULL, ts_micros INTEGER NOT NULL,"
                            + " parents TEXT NOT NULL, digest TEXT NOT NULL, agent TEXT, subject TEXT,"
                            + " payload TEXT NOT NULL)",
                    "CREATE INDEX events_kind ON events (kind, seq)",
                    "CREATE INDEX events_agent ON events (agent, seq)",
                    "CREATE INDEX events_subject ON events (subject, seq)",
                    "CREATE INDEX events_ts ON events (ts_micros)");
        }
        throw new IllegalArgumentException("no schema version " + version);
    }

    /**
     * Runs SQLite's full integrity check.
     *
     * @return {@code ok}, or the problems SQLite found
     */
    public String integrityCheck() {
        return read("check the database", c -> {
            StringBuilder sb = new StringBuilder();
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("PRAGMA integrity_check")) {
                while (rs.next()) {
                    if (sb.length() > 0) {
                        sb.append("; ");
                    }
                    sb.append(rs.getString(1));
                }
            }
            return sb.toString();
        });
    }
}
