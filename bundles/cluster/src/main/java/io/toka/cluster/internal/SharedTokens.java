package io.toka.cluster.internal;

import io.toka.orchestration.spi.TokenKeeper;
import java.nio.charset.StandardCharsets;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Optional;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The tokens of durable runs, queued tasks and sessions, shared by the cluster in PostgreSQL
 * ({@code toka_run_tokens}), so that another node resumes a run with the run's own (narrowed) token. Each is
 * encrypted with AES-256-GCM under a key derived from the cluster secret, its id as associated data: reading the
 * database does not give the tokens, and a row moved to another id does not decrypt. Never in the event log.
 */
final class SharedTokens implements TokenKeeper {

    private static final Logger LOG = LoggerFactory.getLogger(SharedTokens.class);
    private static final long LOCK_SCHEMA = 0x746F6B6100000012L;
    /** Run, task and session ids are UUIDs. */
    private static final Pattern ID = Pattern.compile("[0-9a-fA-F-]{8,64}");

    private final SmallPool pool;
    private final KeyCipher cipher;

    SharedTokens(SmallPool pool, KeyCipher cipher) {
        this.pool = pool;
        this.cipher = cipher;
    }

    void create() throws SQLException {
        pool.run(c -> {
            SchemaDdl.apply(c, LOCK_SCHEMA,
                    "CREATE TABLE IF NOT EXISTS toka_run_tokens (id TEXT PRIMARY KEY, sealed BYTEA NOT NULL,"
                    + " kept_at TIMESTAMPTZ NOT NULL DEFAULT now())");
            return null;
        });
    }

    @Override
    public void put(String id, String token) {
        check(id);
        byte[] sealed = cipher.seal(id, token.getBytes(StandardCharsets.US_ASCII));
        sql("keep the token of " + id, c -> {
            try (PreparedStatement p = c.prepareStatement("INSERT INTO toka_run_tokens (id, sealed) VALUES (?, ?)"
                    + " ON CONFLICT (id) DO UPDATE SET sealed = EXCLUDED.sealed, kept_at = now()")) {
                p.setString(1, id);
                p.setBytes(2, sealed);
                return p.executeUpdate();
            }
        });
    }

    @Override
    public Optional<String> get(String id) {
        check(id);
        byte[] sealed = sql("read the token of " + id, c -> {
            try (PreparedStatement p = c.prepareStatement("SELECT sealed FROM toka_run_tokens WHERE id = ?")) {
                p.setString(1, id);
                try (ResultSet r = p.executeQuery()) {
                    return r.next() ? r.getBytes(1) : null;
                }
            }
        });
        if (sealed == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(new String(cipher.open(id, sealed), StandardCharsets.US_ASCII));
        } catch (IllegalStateException e) {
            LOG.error("The kept token of {} cannot be decrypted: it was stored by a node with another cluster secret,"
                    + " or altered in the database; it is taken as not kept", id);
            return Optional.empty();
        }
    }

    @Override
    public void remove(String id) {
        if (id == null || !ID.matcher(id).matches()) {
            return;
        }
        try {
            sql("forget the token of " + id, c -> {
                try (PreparedStatement p = c.prepareStatement("DELETE FROM toka_run_tokens WHERE id = ?")) {
                    p.setString(1, id);
                    return p.executeUpdate();
                }
            });
        } catch (IllegalStateException e) {
            LOG.warn("Could not forget the token of {}: {}", id, e.getMessage());
        }
    }

    private <T> T sql(String what, SmallPool.Work<T> work) {
        try {
            return pool.run(work);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot " + what + " in PostgreSQL: " + e.getMessage(), e);
        }
    }

    private static void check(String id) {
        if (id == null || !ID.matcher(id).matches()) {
            throw new IllegalArgumentException("not a run, task or session id: '" + id + "'");
        }
    }
}
