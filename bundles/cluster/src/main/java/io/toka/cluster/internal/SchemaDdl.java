package io.toka.cluster.internal;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * Runs a table's {@code CREATE ... IF NOT EXISTS} statements in one transaction under a PostgreSQL advisory lock, so
 * that nodes starting at once do not race on the catalog (two concurrent {@code CREATE TABLE IF NOT EXISTS} can
 * fail on the type's unique index).
 */
final class SchemaDdl {

    private SchemaDdl() {
    }

    static void apply(Connection c, long lock, String... statements) throws SQLException {
        c.setAutoCommit(false);
        try (Statement s = c.createStatement()) {
            s.execute("SELECT pg_advisory_xact_lock(" + lock + ")");
            for (String sql : statements) {
                s.execute(sql);
            }
            c.commit();
        } catch (SQLException e) {
            c.rollback();
            throw e;
        } finally {
            c.setAutoCommit(true);
        }
    }
}
