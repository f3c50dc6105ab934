package io.toka.store.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import io.toka.event.Event;
import io.toka.event.EventPage;
import io.toka.event.EventQuery;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.sql.DataSource;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * The contract against a real PostgreSQL, given by {@code TOKA_PG_URL}, {@code TOKA_PG_USER} and
 * {@code TOKA_PG_PASSWORD}. Each test gets its own schema, dropped afterwards. Without a reachable database the tests
 * are skipped with the reason, unless {@code TOKA_PG_REQUIRED=1}: then they fail. Runs in the default commit mode;
 * {@link PostgresOverlappedEventStoreTest} runs the same tests in the overlapped one.
 */
class PostgresEventStoreTest extends JdbcEventStoreContract {

    private static String url;
    private static String user;
    private static String password;
    private static String unavailable;

    private String schema;

    @BeforeAll
    static void database() {
        url = System.getenv("TOKA_PG_URL");
        user = System.getenv("TOKA_PG_USER");
        password = System.getenv("TOKA_PG_PASSWORD");
        unavailable = null;
        if (url == null || url.isBlank()) {
            unavailable("TOKA_PG_URL is not set");
            return;
        }
        try (Connection c = dataSource(null).getConnection()) {
            assertThat(c.isValid(5)).isTrue();
        } catch (SQLException e) {
            unavailable("cannot connect to " + url + ": " + StoreSupport.reason(e));
        }
    }

    /** Fails at once when PostgreSQL is required; otherwise each test is skipped with the reason. */
    private static void unavailable(String reason) {
        if ("1".equals(System.getenv("TOKA_PG_REQUIRED"))) {
            fail("PostgreSQL is required (TOKA_PG_REQUIRED=1) but not available: " + reason);
        }
        unavailable = reason;
    }

    @BeforeEach
    void skipWithoutDatabase() {
        if (unavailable != null) {
            Assumptions.abort("PostgreSQL not available: " + unavailable);
        }
    }

    /** @return the commit mode of the stores under test */
    protected PostgresEventStore.Commit commitMode() {
        return PostgresEventStore.Commit.ORDERED_FSYNC;
    }

    private static DataSource dataSource(String currentSchema) {
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setUrl(url);
        if (user != null) {
            ds.setUser(user);
        }
        if (password != null) {
            ds.setPassword(password);
        }
        ds.setConnectTimeout(5);
        if (currentSchema != null) {
            ds.setCurrentSchema(currentSchema);
        }
        return ds;
    }

    @Override
    protected CloseableEventStore openStore() throws SQLException {
        if (schema == null) {
            schema = "toka_test_" + UUID.randomUUID().toString().replace("-", "");
            try (Connection c = dataSource(null).getConnection(); Statement st = c.createStatement()) {
                st.execute("CREATE SCHEMA " + schema);
            }
        }
        return PostgresEventStore.open(dataSource(schema), url, commitMode());
    }

    /** @return another store on the schema of {@link #store()}, as another Toka node would open it */
    private PostgresEventStore openNode() throws Exception {
        store();
        return PostgresEventStore.open(dataSource(schema), url, commitMode());
    }

    @Override
    protected void cleanUp() throws SQLException {
        if (schema != null) {
            try (Connection c = dataSource(null).getConnection(); Statement st = c.createStatement()) {
                st.execute("DROP SCHEMA " + schema + " CASCADE");
            }
        }
    }

    @Test
    void theTablesLiveInTheConnectionsSchemaWithTheVersionedSchema() throws Exception {
        store().append(tool("alice"));
        try (Connection c = dataSource(null).getConnection(); Statement st = c.createStatement()) {
            try (ResultSet rs = st.executeQuery("SELECT version FROM " + schema + ".schema_version ORDER BY 1")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getInt(1)).isEqualTo(1);
                assertThat(rs.next()).as("the overlapped mode's table is no schema version").isFalse();
            }
            try (ResultSet rs = st.executeQuery("SELECT count(*) FROM " + schema + ".events")) {
                rs.next();
                assertThat(rs.getLong(1)).isEqualTo(1);
            }
        }
    }

    /**
     * Three stores on one schema, as three nodes, each with four appenders, while a reader pages through the log with
     * {@code after} cursors as fast as it can: it sees every acknowledged event exactly once, in sequence order. If
     * a number became visible before a smaller one that is committed later, the reader's cursor would pass the
     * smaller one and never see it.
     */
    @Test
    void aCursorReaderMissesNothingWhileSeveralNodesAppendConcurrently() throws Exception {
        CloseableEventStore reader = store();
        List<PostgresEventStore> nodes = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(13);
        ConcurrentLinkedQueue<String> acknowledged = new ConcurrentLinkedQueue<>();
        AtomicBoolean appendersDone = new AtomicBoolean();
        try {
            for (int n = 0; n < 3; n++) {
                nodes.add(openNode());
            }
            List<Future<?>> appenders = new ArrayList<>();
            for (PostgresEventStore node : nodes) {
                for (int t = 0; t < 4; t++) {
                    int thread = t;
                    appenders.add(pool.submit(() -> {
                        for (int i = 0; i < 60; i++) {
                            List<Event> batch = i % 3 == 0 ? List.of(tool("a" + thread), tool("b" + thread))
                                    : List.of(tool("a" + thread));
                            for (Event e : node.append(batch)) {
                                acknowledged.add(e.id());
                            }
                        }
                        return null;
                    }));
                }
            }
            Future<List<Event>> seen = pool.submit(() -> {
                List<Event> out = new ArrayList<>();
                long after = 0;
                while (true) {
                    // read the flag first: a page read after every append was acknowledged holds all the rest
                    boolean last = appendersDone.get();
                    EventPage page = reader.query(EventQuery.after(after, 50));
                    out.addAll(page.events());
                    if (!page.events().isEmpty()) {
                        after = page.events().get(page.events().size() - 1).seq();
                    } else if (last) {
                        return out;
                    }
                }
            });
            for (Future<?> f : appenders) {
                f.get(90, TimeUnit.SECONDS);
            }
            appendersDone.set(true);
            List<Event> read = seen.get(60, TimeUnit.SECONDS);

            assertThat(acknowledged).hasSize(3 * 4 * 80);
            assertThat(read.stream().map(Event::seq).toList()).isSorted().doesNotHaveDuplicates();
            Set<String> readIds = new HashSet<>(ids(read));
            Set<String> missed = new HashSet<>(acknowledged);
            missed.removeAll(readIds);
            assertThat(missed).as("acknowledged events the cursor reader never saw").isEmpty();
            assertThat(read).hasSize(acknowledged.size());
        } finally {
            appendersDone.set(true);
            pool.shutdownNow();
            for (PostgresEventStore node : nodes) {
                node.close();
            }
        }
    }

    /**
     * An acknowledged append is visible to a fresh connection, and in the overlapped mode the writer committed its
     * flush transaction (a later transaction id than the event's, so after it) before the append returned.
     */
    @Test
    void anAcknowledgedAppendIsCommittedAndFlushedBeforeItReturns() throws Exception {
        PostgresEventStore s = (PostgresEventStore) store();
        long pid = s.runInWriter("read the writer's pid", c -> {
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT pg_backend_pid()")) {
                rs.next();
                return rs.getLong(1);
            }
        });
        if (commitMode() != PostgresEventStore.Commit.OVERLAPPED) {
            Event e = s.append(tool("alice"));
            try (Connection c = dataSource(schema).getConnection(); Statement st = c.createStatement();
                    ResultSet rs = st.executeQuery("SELECT count(*), to_regclass('writer_flush') IS NULL FROM events"
                            + " WHERE id = '" + e.id() + "'")) {
                rs.next();
                assertThat(rs.getLong(1)).as("the event is visible to a fresh connection").isEqualTo(1);
                assertThat(rs.getBoolean(2)).as("no flush table in the ordered-fsync mode").isTrue();
                assertThat(s.flushes()).isZero();
            }
            return;
        }
        long flushesBefore = flushesOf(pid);
        long storeFlushesBefore = s.flushes();

        Event e = s.append(tool("alice"));

        try (Connection c = dataSource(schema).getConnection(); PreparedStatement ps = c.prepareStatement(
                "SELECT e.xmin::text::bigint, f.xmin::text::bigint, f.flushes FROM events e"
                        + " LEFT JOIN writer_flush f ON f.backend_pid = ? WHERE e.id = ?")) {
            ps.setLong(1, pid);
            ps.setString(2, e.id());
            try (ResultSet rs = ps.executeQuery()) {
                assertThat(rs.next()).as("the event is visible to a fresh connection").isTrue();
                if (commitMode() == PostgresEventStore.Commit.OVERLAPPED) {
                    assertThat(rs.getLong(3)).as("flush transactions of the writer").isEqualTo(flushesBefore + 1);
                    assertThat(rs.getLong(2)).as("the flush transaction comes after the event's")
                            .isGreaterThan(rs.getLong(1));
                    assertThat(s.flushes()).isEqualTo(storeFlushesBefore + 1);
                } else {
                    assertThat(rs.getObject(3)).as("no flush transaction in the ordered-fsync mode").isNull();
                    assertThat(s.flushes()).isZero();
                }
            }
        }
    }

    private long flushesOf(long pid) throws SQLException {
        try (Connection c = dataSource(schema).getConnection();
                PreparedStatement ps = c.prepareStatement("SELECT flushes FROM writer_flush WHERE backend_pid = ?")) {
            ps.setLong(1, pid);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getLong(1) : 0;
            }
        }
    }

    /**
     * A server, database or role default of {@code synchronous_commit = off} does not reach the writer: its ordered
     * transactions commit synchronously in the ordered-fsync mode; in the overlapped mode they commit asynchronously
     * by design and the flush transaction after them uses the session's setting, on.
     */
    @Test
    void theWriterNeverInheritsSynchronousCommitOff() throws Exception {
        store();
        PGSimpleDataSource off = (PGSimpleDataSource) dataSource(schema);
        off.setOptions("-c synchronous_commit=off");
        try (PostgresEventStore s = PostgresEventStore.open(off, url, commitMode())) {
            long on = s.runInWriter("read synchronous_commit", c -> {
                try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(
                        "SELECT current_setting('synchronous_commit') = 'on'")) {
                    rs.next();
                    return rs.getBoolean(1) ? 1 : 0;
                }
            });
            assertThat(on).isEqualTo(commitMode() == PostgresEventStore.Commit.OVERLAPPED ? 0 : 1);
            try (Connection c = off.getConnection(); Statement st = c.createStatement();
                    ResultSet rs = st.executeQuery("SHOW synchronous_commit")) {
                rs.next();
                assertThat(rs.getString(1)).as("the data source's own setting").isEqualTo("off");
            }
        }
    }
}
