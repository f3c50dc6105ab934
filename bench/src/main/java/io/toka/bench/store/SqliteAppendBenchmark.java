package io.toka.bench.store;

import io.toka.event.Event;
import io.toka.event.EventPayload;
import io.toka.event.Events;
import io.toka.store.internal.SqliteEventStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteDataSource;

/**
 * Durable appends to SQLite: our store (one append at a time, and eight appenders sharing group commits) against a
 * bare sqlite-jdbc insert loop with the same pragmas and table, one row per transaction. The database lives in
 * {@code -Dtoka.bench.dir} (default: {@code java.io.tmpdir}), which must be a real disk so fsync costs what it costs.
 */
public class SqliteAppendBenchmark {

    /** The directory for the benchmark databases. */
    static Path baseDir() {
        return Path.of(System.getProperty("toka.bench.dir", System.getProperty("java.io.tmpdir")));
    }

    /** A fresh event like the template, with a new id (cheaper than {@link Events#create} and not contended). */
    static Event next(Event template) {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        String id = new UUID(r.nextLong(), r.nextLong()).toString();
        return new Event(0, id, template.kind(), template.version(), template.timestamp(), template.parents(),
                template.digest(), template.agent(), template.subject(), template.payload());
    }

    static Event template() {
        return Events.create(new EventPayload.TaskScheduled("agent-1", "summarise the quarterly report", "alice"),
                List.of());
    }

    static void delete(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    /** Our SQLite store on a fresh file. */
    @State(Scope.Benchmark)
    public static class Store {
        Path dir;
        SqliteEventStore store;
        Event template;
        long appendsBefore;

        @Setup(Level.Trial)
        public void open() throws IOException {
            dir = Files.createTempDirectory(Files.createDirectories(baseDir()), "toka-store-bench");
            store = SqliteEventStore.open(dir.resolve("events.db"));
            template = template();
        }

        @TearDown(Level.Trial)
        public void close() throws IOException {
            long events = store.count();
            long commits = store.commits();
            store.close();
            delete(dir);
            System.out.printf("%n[store] %,d events in %,d commits: %.2f events per commit (%s)%n", events, commits,
                    (double) events / Math.max(1, commits), Files.getFileStore(baseDir()).type());
        }
    }

    /** sqlite-jdbc alone: same pragmas, same table and indexes, one row per (autocommit) transaction. */
    @State(Scope.Benchmark)
    public static class Raw {
        Path dir;
        Connection connection;
        PreparedStatement insert;
        PreparedStatement begin;
        PreparedStatement commit;
        Event template;

        @Setup(Level.Trial)
        public void open() throws IOException, SQLException {
            dir = Files.createTempDirectory(Files.createDirectories(baseDir()), "toka-raw-bench");
            SQLiteConfig config = new SQLiteConfig();
            config.setJournalMode(SQLiteConfig.JournalMode.WAL);
            config.setSynchronous(SQLiteConfig.SynchronousMode.FULL);
            SQLiteDataSource ds = new SQLiteDataSource(config);
            ds.setUrl("jdbc:sqlite:" + dir.resolve("raw.db"));
            connection = ds.getConnection();
            try (Statement st = connection.createStatement()) {
                st.execute("CREATE TABLE events (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE,"
                        + " kind TEXT NOT NULL, version INTEGER NOT NULL, ts_micros INTEGER NOT NULL,"
                        + " parents TEXT NOT NULL, digest TEXT NOT NULL, agent TEXT, subject TEXT,"
                        + " payload TEXT NOT NULL)");
                st.execute("CREATE INDEX events_kind ON events (kind, seq)");
                st.execute("CREATE INDEX events_agent ON events (agent, seq)");
                st.execute("CREATE INDEX events_subject ON events (subject, seq)");
                st.execute("CREATE INDEX events_ts ON events (ts_micros)");
            }
            insert = connection.prepareStatement("INSERT INTO events (id, kind, version, ts_micros, parents, digest,"
                    + " agent, subject, payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
            begin = connection.prepareStatement("BEGIN IMMEDIATE");
            commit = connection.prepareStatement("COMMIT");
            template = template();
        }

        @TearDown(Level.Trial)
        public void close() throws IOException, SQLException {
            begin.close();
            commit.close();
            insert.close();
            connection.close();
            delete(dir);
        }

        int insert(Event e) throws SQLException {
            insert.setString(1, e.id());
            insert.setString(2, e.kind());
            insert.setInt(3, e.version());
            insert.setLong(4, e.timestamp().getEpochSecond() * 1_000_000L + e.timestamp().getNano() / 1000);
            insert.setString(5, "[]");
            insert.setString(6, e.digest());
            if (e.agent() == null) {
                insert.setNull(7, Types.VARCHAR);
            } else {
                insert.setString(7, e.agent());
            }
            if (e.subject() == null) {
                insert.setNull(8, Types.VARCHAR);
            } else {
                insert.setString(8, e.subject());
            }
            insert.setString(9, e.payload());
            return insert.executeUpdate();
        }
    }

    /** (a) One durable append at a time through our store. */
    @Benchmark
    @BenchmarkMode(Mode.SampleTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    @Threads(1)
    public Event singleAppend(Store s) {
        return s.store.append(next(s.template));
    }

    /** (b) Eight appenders at once; their appends share commits. */
    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    @Threads(8)
    public Event concurrentAppend(Store s) {
        return s.store.append(next(s.template));
    }

    /**
     * (d) The ceiling for (b): sqlite-jdbc on one thread writing eight rows per transaction, i.e. perfect groups of
     * eight with no threads to coordinate. Reported per row.
     */
    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    @OperationsPerInvocation(8)
    @Threads(1)
    public int rawGroupOf8(Raw r) throws SQLException {
        int n = 0;
        r.begin.execute();
        for (int i = 0; i < 8; i++) {
            n += r.insert(next(r.template));
        }
        r.commit.execute();
        return n;
    }

    /** (c) The baseline: sqlite-jdbc inserting one row per transaction, the same pragmas and schema. */
    @Benchmark
    @BenchmarkMode(Mode.SampleTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    @Threads(1)
    public int rawInsert(Raw r) throws SQLException {
        return r.insert(next(r.template));
    }
}
