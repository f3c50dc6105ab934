package io.toka.security.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.toka.security.AuditEvent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The audit file: every line, in order, rolled over by size, flushed by the log's deactivation. */
class RollingAuditFileTest {

    @TempDir
    Path dir;

    @Test
    void rollsOverBySizeAndKeepsTheNewestFiles() throws Exception {
        Path file = dir.resolve("toka-audit.log");
        try (RollingAuditFile f = new RollingAuditFile(file, 100, 2)) {
            for (int i = 0; i < 20; i++) {
                f.append("line-" + i + "-" + "x".repeat(20)); // 29 or 30 bytes with the newline: 3 per file
            }
            f.flush();
        }
        List<String> all = new ArrayList<>();
        all.addAll(Files.readAllLines(file.resolveSibling("toka-audit.log.2")));
        all.addAll(Files.readAllLines(file.resolveSibling("toka-audit.log.1")));
        all.addAll(Files.readAllLines(file));
        assertThat(Files.exists(file.resolveSibling("toka-audit.log.3"))).isFalse();
        assertThat(Files.size(file)).isLessThanOrEqualTo(100);
        // the newest lines, in order, with nothing missing between them
        int first = Integer.parseInt(all.get(0).split("-")[1]);
        for (int i = 0; i < all.size(); i++) {
            assertThat(all.get(i)).startsWith("line-" + (first + i) + "-");
        }
        assertThat(all.get(all.size() - 1)).startsWith("line-19-");
    }

    @Test
    void theAuditLogWritesEveryDecisionToItsFileAndFlushesOnStop() throws Exception {
        Path file = dir.resolve("log/toka-audit.log");
        AuditLogImpl log = new AuditLogImpl(file);
        for (int i = 0; i < 5000; i++) {
            log.record(new AuditEvent(Instant.EPOCH, "authorize", "allowed", "s" + i, null, "tool.invoke:x"));
        }
        log.deactivate();
        List<String> lines = Files.readAllLines(file);
        assertThat(lines).hasSize(5000);
        assertThat(lines.get(0)).contains("\"subject\":\"s0\"");
        assertThat(lines.get(4999)).contains("\"subject\":\"s4999\"");
    }
}
