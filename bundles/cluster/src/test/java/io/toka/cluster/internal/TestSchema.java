package io.toka.cluster.internal;

import static org.junit.jupiter.api.Assertions.fail;

import java.sql.Connection;
import java.sql.Statement;
import javax.sql.DataSource;
import org.junit.jupiter.api.Assumptions;

/**
 * A fresh schema of its own in the PostgreSQL of {@code TOKA_PG_URL} ({@code TOKA_PG_USER}, {@code TOKA_PG_PASSWORD})
 * for a test class. Without a database the test is skipped, unless {@code TOKA_PG_REQUIRED=1} (as in CI): then it
 * fails.
 */
final class TestSchema {

    private TestSchema() {
    }

    /** @return connections whose current schema is the given one, dropped and created anew */
    static DataSource fresh(String schema) {
        String url = System.getenv("TOKA_PG_URL");
        String problem = null;
        if (url == null || url.isBlank()) {
            problem = "TOKA_PG_URL is not set";
        } else {
            try (Connection c = PostgresSource.create(url, System.getenv("TOKA_PG_USER"),
                    System.getenv("TOKA_PG_PASSWORD")).getConnection(); Statement s = c.createStatement()) {
                s.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
                s.execute("CREATE SCHEMA " + schema);
            } catch (Exception e) {
                problem = "cannot connect to " + url + ": " + e.getMessage();
            }
        }
        if (problem != null) {
            if ("1".equals(System.getenv("TOKA_PG_REQUIRED"))) {
                fail("PostgreSQL is required (TOKA_PG_REQUIRED=1) but not available: " + problem);
            }
            Assumptions.abort("PostgreSQL not available: " + problem);
        }
        return PostgresSource.create(url + (url.contains("?") ? "&" : "?") + "currentSchema=" + schema,
                System.getenv("TOKA_PG_USER"), System.getenv("TOKA_PG_PASSWORD"));
    }
}
