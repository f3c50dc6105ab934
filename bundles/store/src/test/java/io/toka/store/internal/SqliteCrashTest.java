package io.toka.store.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.toka.event.Event;
import io.toka.event.EventPayload;
import io.toka.event.Events;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kills a process that appends to SQLite with SIGKILL at a random point, about twenty times, and checks that every
 * append it acknowledged is in the database afterwards and that the database opens cleanly and takes new appends.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class SqliteCrashTest {

    private static final int ITERATIONS = 20;
    private static final Pattern ACK = Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12} ok");

    @TempDir
    Path dir;

    @Test
    void everyAcknowledgedAppendSurvivesAKill() throws Exception {
        Path db = dir.resolve("crash.db");
        Random random = new Random();
        Set<String> acknowledged = new HashSet<>();
        long lastCount = 0;
        for (int i = 0; i < ITERATIONS; i++) {
            int killAfter = 1 + random.nextInt(i % 2 == 0 ? 50 : 2000);
            Path stderr = dir.resolve("child-" + i + ".err");
            Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", System.getProperty("java.class.path"), CrashAppender.class.getName(), db.toString(), "4")
                    .redirectError(stderr.toFile())
                    .start();
            int acks = 0;
            try (BufferedReader in = new BufferedReader(new InputStreamReader(child.getInputStream(),
                    StandardCharsets.US_ASCII))) {
                String line;
                while ((line = in.readLine()) != null) {
                    // a line cut short by the kill is not an acknowledgement
                    if (ACK.matcher(line).matches()) {
                        acknowledged.add(line.substring(0, 36));
                        if (++acks == killAfter) {
                            // SIGKILL through the handle: unlike Process.destroyForcibly it leaves the pipe open, so
                            // the acknowledgements already written are read to the end and checked too
                            child.toHandle().destroyForcibly();
                        }
                    }
                }
            } finally {
                child.destroyForcibly();
            }
            assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(acks).as("acknowledgements before the kill; child's stderr: %s", Files.exists(stderr)
                    ? Files.readString(stderr) : "").isGreaterThanOrEqualTo(killAfter);
            assertThat(child.exitValue()).as("killed by SIGKILL").isEqualTo(137);

            try (SqliteEventStore store = SqliteEventStore.open(db)) {
                assertThat(store.integrityCheck()).isEqualTo("ok");
                Set<String> present = new HashSet<>();
                EventStoreContract.all(store).forEach(e -> present.add(e.id()));
                Set<String> missing = new HashSet<>(acknowledged);
                missing.removeAll(present);
                assertThat(missing).as("acknowledged but lost after kill %d", i + 1).isEmpty();
                assertThat((long) present.size()).isGreaterThan(lastCount);
                Event e = store.append(Events.create(new EventPayload.AgentResumed("after-crash-" + i), List.of()));
                assertThat(store.find(e.id())).contains(e);
                lastCount = store.count();
            }
        }
        assertThat(acknowledged.size()).isGreaterThan(ITERATIONS);
        System.out.printf("SqliteCrashTest: %d kills, %d acknowledged events, all present after each kill%n",
                ITERATIONS, acknowledged.size());
    }
}
