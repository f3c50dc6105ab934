package io.toka.security.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.toka.security.AuditEvent;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Audit lines leave the caller's thread, in order, with back-pressure and no loss, and a close flushes them. */
class AuditFileWriterTest {

    private static AuditEvent event(int i) {
        return new AuditEvent(Instant.EPOCH, "authorize", "allowed", "s", null, Integer.toString(i));
    }

    @Test
    void linesAreWrittenInOrderAndNoneIsLostWhenTheQueueIsFull() throws Exception {
        List<String> written = new CopyOnWriteArrayList<>();
        CountDownLatch release = new CountDownLatch(1);
        AuditFileWriter writer = new AuditFileWriter(e -> {
            try {
                release.await(); // a slow file: the queue fills up behind it
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
            }
            written.add(e.detail());
        });
        int n = AuditFileWriter.CAPACITY * 2;
        ExecutorService caller = Executors.newSingleThreadExecutor();
        caller.submit(() -> {
            for (int i = 0; i < n; i++) {
                writer.write(event(i));
            }
        });
        // the caller is held by back-pressure: it cannot have queued more than the capacity plus one batch
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
                .until(() -> writer.backlog() == AuditFileWriter.CAPACITY);
        release.countDown();
        caller.shutdown();
        assertThat(caller.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
        writer.close();

        List<String> expected = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            expected.add(Integer.toString(i));
        }
        assertThat(written).containsExactlyElementsOf(expected);
    }

    @Test
    void closeFlushesAndLaterLinesAreWrittenInPlace() {
        List<String> written = new CopyOnWriteArrayList<>();
        AuditFileWriter writer = new AuditFileWriter(e -> written.add(e.detail()));
        for (int i = 0; i < 1000; i++) {
            writer.write(event(i));
        }
        writer.close();
        assertThat(written).hasSize(1000);
        writer.write(event(1000));
        assertThat(written).hasSize(1001).endsWith("1000");
        writer.close();
    }
}
