package io.toka.store.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;
import javax.sql.DataSource;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * The contract against a real PostgreSQL, given by {@code TOKA_PG_URL}, {@code TOKA_PG_USER} and
 * {@code TOKA_PG_PASSWORD}. Each test gets its own schema, dropped afterwards. Without a reachable database the tests
 * are skipped with the reason, unless {@code TOKA_PG_REQUIRED=1}: then they fail.
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
        return PostgresEventStore.open(dataSource(schema), url);
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
            try (ResultSet rs = st.executeQuery("SELECT version FROM " + schema + ".schema_version")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getInt(1)).isEqualTo(1);
                assertThat(rs.next()).isFalse();
            }
            try (ResultSet rs = st.executeQuery("SELECT count(*) FROM " + schema + ".events")) {
                rs.next();
                assertThat(rs.getLong(1)).isEqualTo(1);
            }
        }
    }
}
