package io.toka.cluster.internal;

import io.toka.security.spi.LedgerEntry;
import io.toka.security.spi.SecurityStateException;
import io.toka.security.spi.SigningKey;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * The shared security state in PostgreSQL: {@code toka_signing_keys} (encrypted), {@code toka_revocations} (with a
 * sequence number, so that nodes read what is new), {@code toka_tokens} (the ledger) and {@code toka_security_meta}
 * (the version of the keys). One connection, reopened after a failure; every call is short.
 *
 * <p>Writers that others read by position take a transaction-scoped advisory lock, so that sequence numbers commit
 * in order and a reader that has seen number n never misses a smaller one committed later.
 */
final class SecurityTables implements AutoCloseable {

    /** Advisory lock ids: 'toka' and a number. */
    private static final long LOCK_SCHEMA = 0x746F6B6100000001L;
    private static final long LOCK_KEYS = 0x746F6B6100000002L;
    private static final long LOCK_REVOCATIONS = 0x746F6B6100000003L;

    /** A revocation read by position. */
    record Revoked(long seq, String jti, Instant until) {
    }

    private final DataSource source;
    private final KeyCipher cipher;
    private Connection connection; // guarded by this

    SecurityTables(DataSource source, KeyCipher cipher) {
        this.source = source;
        this.cipher = cipher;
    }

    /** Creates the tables if they are missing (under a lock: nodes may start at once). */
    synchronized void create() {
        run(c -> {
            SchemaDdl.apply(c, LOCK_SCHEMA,
                    "CREATE TABLE IF NOT EXISTS toka_signing_keys (kid TEXT PRIMARY KEY, secret BYTEA NOT NULL,"
                    + " created_at TIMESTAMPTZ NOT NULL, retired_at TIMESTAMPTZ, valid_until TIMESTAMPTZ)",
                    "CREATE TABLE IF NOT EXISTS toka_security_meta (name TEXT PRIMARY KEY, version BIGINT NOT NULL)",
                    "INSERT INTO toka_security_meta (name, version) VALUES ('keys', 0) ON CONFLICT DO NOTHING",
                    "CREATE TABLE IF NOT EXISTS toka_revocations (seq BIGSERIAL PRIMARY KEY,"
                    + " jti TEXT NOT NULL UNIQUE, until TIMESTAMPTZ NOT NULL, revoked_at TIMESTAMPTZ NOT NULL DEFAULT now())",
                    "CREATE TABLE IF NOT EXISTS toka_tokens (jti TEXT PRIMARY KEY, subject TEXT NOT NULL,"
                    + " issuer TEXT, parent TEXT, expires_at TIMESTAMPTZ NOT NULL, shell_issuer BOOLEAN NOT NULL)",
                    "CREATE INDEX IF NOT EXISTS toka_tokens_parent ON toka_tokens (parent)");
            return null;
        }, "create the security tables");
    }

    synchronized List<SigningKey> keys() {
        return run(c -> {
            List<SigningKey> out = new ArrayList<>();
            try (Statement s = c.createStatement(); ResultSet r = s.executeQuery(
                    "SELECT kid, secret, created_at, retired_at, valid_until FROM toka_signing_keys ORDER BY created_at DESC")) {
                while (r.next()) {
                    String kid = r.getString(1);
                    out.add(new SigningKey(kid, cipher.open(kid, r.getBytes(2)), instant(r, 3), instant(r, 4),
                            instant(r, 5)));
                }
            }
            return out;
        }, "read the signing keys");
    }

    /** Compare-and-set on the signing key; bumps the keys' version. */
    synchronized boolean replaceKeys(String expectedActiveKid, List<SigningKey> keys) {
        return run(c -> {
            c.setAutoCommit(false);
            try {
                try (Statement s = c.createStatement()) {
                    s.execute("SELECT pg_advisory_xact_lock(" + LOCK_KEYS + ")");
                }
                String active = null;
                try (Statement s = c.createStatement(); ResultSet r = s.executeQuery(
                        "SELECT kid FROM toka_signing_keys WHERE retired_at IS NULL ORDER BY created_at DESC LIMIT 1")) {
                    if (r.next()) {
                        active = r.getString(1);
                    }
                }
                if (!Objects.equals(active, expectedActiveKid)) {
                    c.rollback();
                    return false;
                }
                try (Statement s = c.createStatement()) {
                    s.execute("DELETE FROM toka_signing_keys");
                }
                try (PreparedStatement p = c.prepareStatement("INSERT INTO toka_signing_keys"
                        + " (kid, secret, created_at, retired_at, valid_until) VALUES (?, ?, ?, ?, ?)")) {
                    for (SigningKey k : keys) {
                        p.setString(1, k.kid());
                        p.setBytes(2, cipher.seal(k.kid(), k.secret()));
                        p.setTimestamp(3, Timestamp.from(k.createdAt()));
                        p.setTimestamp(4, k.retiredAt() == null ? null : Timestamp.from(k.retiredAt()));
                        p.setTimestamp(5, k.validUntil() == null ? null : Timestamp.from(k.validUntil()));
                        p.addBatch();
                    }
                    p.executeBatch();
                }
                try (Statement s = c.createStatement()) {
                    s.execute("UPDATE toka_security_meta SET version = version + 1 WHERE name = 'keys'");
                }
                c.commit();
                return true;
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            } finally {
                c.setAutoCommit(true);
            }
        }, "store the signing keys");
    }

    synchronized long keysVersion() {
        return run(c -> {
            try (Statement s = c.createStatement(); ResultSet r = s.executeQuery(
                    "SELECT version FROM toka_security_meta WHERE name = 'keys'")) {
                return r.next() ? r.getLong(1) : 0L;
            }
        }, "read the keys' version");
    }

    /** @return whether the id was not revoked before */
    synchronized boolean revoke(String jti, Instant until) {
        return run(c -> {
            c.setAutoCommit(false);
            try {
                try (Statement s = c.createStatement()) {
                    s.execute("SELECT pg_advisory_xact_lock(" + LOCK_REVOCATIONS + ")");
                }
                int n;
                try (PreparedStatement p = c.prepareStatement(
                        "INSERT INTO toka_revocations (jti, until) VALUES (?, ?) ON CONFLICT (jti) DO NOTHING")) {
                    p.setString(1, jti);
                    p.setTimestamp(2, Timestamp.from(until));
                    n = p.executeUpdate();
                }
                c.commit();
                return n == 1;
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            } finally {
                c.setAutoCommit(true);
            }
        }, "store the revocation of " + jti);
    }

    /** @return the highest revocation number so far */
    synchronized long lastRevocation() {
        return run(c -> {
            try (Statement s = c.createStatement(); ResultSet r = s.executeQuery(
                    "SELECT COALESCE(MAX(seq), 0) FROM toka_revocations")) {
                r.next();
                return r.getLong(1);
            }
        }, "read the revocations");
    }

    /** @return the revocations numbered after {@code seq}, in order */
    synchronized List<Revoked> revokedAfter(long seq) {
        return run(c -> {
            List<Revoked> out = new ArrayList<>();
            try (PreparedStatement p = c.prepareStatement(
                    "SELECT seq, jti, until FROM toka_revocations WHERE seq > ? ORDER BY seq LIMIT 10000")) {
                p.setLong(1, seq);
                try (ResultSet r = p.executeQuery()) {
                    while (r.next()) {
                        out.add(new Revoked(r.getLong(1), r.getString(2), instant(r, 3)));
                    }
                }
            }
            return out;
        }, "read new revocations");
    }

    synchronized Map<String, Instant> revocations(Instant now) {
        return run(c -> {
            Map<String, Instant> out = new HashMap<>();
            try (PreparedStatement p = c.prepareStatement("SELECT jti, until FROM toka_revocations WHERE until > ?")) {
                p.setTimestamp(1, Timestamp.from(now));
                try (ResultSet r = p.executeQuery()) {
                    while (r.next()) {
                        out.put(r.getString(1), instant(r, 2));
                    }
                }
            }
            return out;
        }, "read the revocations");
    }

    synchronized void record(LedgerEntry e) {
        run(c -> {
            try (PreparedStatement p = c.prepareStatement("INSERT INTO toka_tokens (jti, subject, issuer, parent,"
                    + " expires_at, shell_issuer) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (jti) DO NOTHING")) {
                p.setString(1, e.jti());
                p.setString(2, e.subject());
                p.setString(3, e.issuer());
                p.setString(4, e.parent());
                p.setTimestamp(5, Timestamp.from(e.expiresAt()));
                p.setBoolean(6, e.shellIssuer());
                p.executeUpdate();
            }
            return null;
        }, "record token " + e.jti());
    }

    synchronized Optional<LedgerEntry> find(String jti, Instant now) {
        return run(c -> {
            try (PreparedStatement p = c.prepareStatement("SELECT jti, subject, issuer, parent, expires_at, shell_issuer"
                    + " FROM toka_tokens WHERE jti = ? AND expires_at > ?")) {
                p.setString(1, jti);
                p.setTimestamp(2, Timestamp.from(now));
                try (ResultSet r = p.executeQuery()) {
                    return r.next() ? Optional.of(entry(r)) : Optional.<LedgerEntry>empty();
                }
            }
        }, "read token " + jti);
    }

    /** Breadth first, through expired tokens too (a revocation should rather reach too far than not far enough). */
    synchronized List<LedgerEntry> descendants(String jti, Instant now) {
        return run(c -> {
            Map<String, LedgerEntry> out = new LinkedHashMap<>();
            try (PreparedStatement p = c.prepareStatement("WITH RECURSIVE d(jti, subject, issuer, parent, expires_at,"
                    + " shell_issuer, depth) AS (SELECT jti, subject, issuer, parent, expires_at, shell_issuer, 1"
                    + " FROM toka_tokens WHERE parent = ? UNION ALL SELECT t.jti, t.subject, t.issuer, t.parent,"
                    + " t.expires_at, t.shell_issuer, d.depth + 1 FROM toka_tokens t JOIN d ON t.parent = d.jti"
                    + " WHERE d.depth < 32) SELECT jti, subject, issuer, parent, expires_at, shell_issuer FROM d"
                    + " WHERE expires_at > ? ORDER BY depth")) {
                p.setString(1, jti);
                p.setTimestamp(2, Timestamp.from(now));
                try (ResultSet r = p.executeQuery()) {
                    while (r.next()) {
                        LedgerEntry e = entry(r);
                        out.putIfAbsent(e.jti(), e);
                    }
                }
            }
            return List.copyOf(out.values());
        }, "read the tokens delegated from " + jti);
    }

    /** Deletes revocations and ledger entries of tokens expired for a day. */
    synchronized int prune(Instant now) {
        return run(c -> {
            Timestamp before = Timestamp.from(now.minusSeconds(86_400));
            int n;
            try (PreparedStatement p = c.prepareStatement("DELETE FROM toka_revocations WHERE until < ?")) {
                p.setTimestamp(1, before);
                n = p.executeUpdate();
            }
            try (PreparedStatement p = c.prepareStatement("DELETE FROM toka_tokens WHERE expires_at < ?")) {
                p.setTimestamp(1, before);
                n += p.executeUpdate();
            }
            return n;
        }, "prune the security tables");
    }

    @Override
    public synchronized void close() {
        if (connection != null) {
            try {
                connection.close();
            } catch (SQLException ignored) {
                // closing anyway
            }
            connection = null;
        }
    }

    private static LedgerEntry entry(ResultSet r) throws SQLException {
        return new LedgerEntry(r.getString(1), r.getString(2), r.getString(3), r.getString(4), instant(r, 5),
                r.getBoolean(6));
    }

    private static Instant instant(ResultSet r, int column) throws SQLException {
        Timestamp t = r.getTimestamp(column);
        return t == null ? null : t.toInstant();
    }

    private interface Work<T> {
        T run(Connection c) throws SQLException;
    }

    /** Runs on the connection, opening it if needed; a failure closes it, so the next call reconnects. */
    private <T> T run(Work<T> work, String what) {
        try {
            if (connection == null || connection.isClosed()) {
                connection = source.getConnection();
            }
            return work.run(connection);
        } catch (SQLException e) {
            close();
            throw new SecurityStateException("cannot " + what + " in PostgreSQL: " + e.getMessage(), e);
        } catch (IllegalStateException e) {
            throw new SecurityStateException("cannot " + what + ": " + e.getMessage(), e);
        }
    }
}
