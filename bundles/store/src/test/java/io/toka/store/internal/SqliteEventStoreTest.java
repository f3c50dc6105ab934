package io.toka.store.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.toka.event.EventStoreException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The contract against SQLite, plus what is particular to the file. */
class SqliteEventStoreTest extends JdbcEventStoreContract {

    @TempDir
    Path dir;

    private Path file() {
        return dir.resolve("nested/dir/events.db");
    }

    @Override
    protected CloseableEventStore openStore() {
        return SqliteEventStore.open(file());
    }

    @Test
    void theFileUsesWalWithFullSyncAndTheVersionedSchema() throws Exception {
        store().append(tool("alice"));
        assertThat(Files.exists(file())).isTrue();
        assertThat(((SqliteEventStore) store()).integrityCheck()).isEqualTo("ok");
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file());
                Statement st = c.createStatement()) {
            try (ResultSet rs = st.executeQuery("PRAGMA journal_mode")) {
                rs.next();
                assertThat(rs.getString(1)).isEqualTo("wal");
            }
            try (ResultSet rs = st.executeQuery("SELECT version FROM schema_version")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getInt(1)).isEqualTo(1);
                assertThat(rs.next()).isFalse();
            }
            try (ResultSet rs = st.executeQuery("SELECT name FROM sqlite_master WHERE type = 'index'"
                    + " AND name LIKE 'events_%' ORDER BY name")) {
                StringBuilder names = new StringBuilder();
                while (rs.next()) {
                    names.append(rs.getString(1)).append(' ');
                }
                assertThat(names.toString().trim()).isEqualTo("events_agent events_kind events_subject events_ts");
            }
        }
    }

    @Test
    void aDatabaseWithANewerSchemaIsRefusedWithAPlainMessage() throws Exception {
        store().append(tool("alice"));
        store().close();
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file());
                Statement st = c.createStatement()) {
            st.executeUpdate("INSERT INTO schema_version (version, applied_micros) VALUES (7, 0)");
        }
        assertThatThrownBy(() -> SqliteEventStore.open(file()))
                .isInstanceOf(EventStoreException.class)
                .hasMessageContaining("schema version 7")
                .hasMessageContaining(file().toString());
    }

    @Test
    void aFileThatIsNotADatabaseIsRefusedWithAPlainMessage() throws Exception {
        Path junk = dir.resolve("junk.db");
        Files.writeString(junk, "this is not a database, it is a text file that is long enough to have a header");
        assertThatThrownBy(() -> SqliteEventStore.open(junk))
                .isInstanceOf(EventStoreException.class)
                .hasMessageStartingWith("cannot open the SQLite event store at " + junk);
    }
}
