package io.toka.mcp.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.toka.tool.ToolResult;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A client that stops reading its SSE stream holds up nobody else, and its connection is closed when it lags. */
class SlowReaderTest {

    @TempDir
    Path dir;
    Mcp mcp;
    final CountDownLatch release = new CountDownLatch(1);

    @AfterEach
    void stop() {
        release.countDown();
        if (mcp != null) {
            mcp.close();
        }
    }

    @Test
    void aStuckStreamDoesNotStallListChangedForOtherSessions() {
        mcp = new Mcp(dir);
        String stuck = mcp.initialize(mcp.admin, "2025-11-25");
        String fine = mcp.initialize(mcp.admin, "2025-11-25");
        FakeResponse stuckStream = mcp.get().session(stuck).send();
        FakeResponse fineStream = mcp.get().session(fine).send();
        await().atMost(Duration.ofSeconds(5)).until(() -> !stuckStream.text().isEmpty());
        // from now on the stuck client reads nothing: every write to its connection blocks
        stuckStream.stall = release;

        for (int i = 1; i <= 3; i++) {
            mcp.registry.tool(FakeRegistry.describe("t" + i).build(), (a, o) -> ToolResult.success(""));
            int expected = i;
            await("list_changed " + i + " reaches the session that reads").atMost(Duration.ofSeconds(5))
                    .until(() -> fineStream.events().size() == expected);
        }
        assertThat(fineStream.events()).allMatch(e -> e.get("method").asText()
                .equals("notifications/tools/list_changed"));
        assertThat(stuckStream.stalled.get()).as("the stuck connection's writer is blocked").isPositive();
        // the stuck session's notifications are kept in its log for a resume
        Session stuckSession = mcp.server.sessions().live().stream().filter(s -> s.id.equals(stuck)).findFirst()
                .orElseThrow();
        assertThat(stuckSession.log.last()).isGreaterThanOrEqualTo(3);
    }

    @Test
    void aConnectionWhoseQueueOverflowsIsClosedAndTheStreamStaysResumable() throws Exception {
        ExecutorService writer = Executors.newCachedThreadPool();
        try {
            EventLog log = new EventLog(Session.LOG_CAPACITY);
            SseChannel channel = new SseChannel("0", log, null);
            FakeRequest req = new FakeRequest("GET", "/mcp");
            FakeResponse resp = new FakeResponse();
            resp.stall = release;
            FakeRequest.FakeAsync async = (FakeRequest.FakeAsync) req.startAsync();
            SseConnection conn = new SseConnection(resp, async, writer, 4);
            conn.open();
            channel.attach(conn, -1, false);
            channel.send("{\"n\":1}");
            await().atMost(Duration.ofSeconds(5)).until(() -> resp.stalled.get() > 0);
            for (int n = 2; n <= 5; n++) {
                channel.send("{\"n\":" + n + "}"); // four wait in the queue
            }
            assertThat(channel.connected()).isTrue();
            channel.send("{\"n\":6}"); // one too many: returns at once and closes the connection
            assertThat(channel.connected()).isFalse();
            assertThat(conn.isClosed()).isTrue();
            await("the response is completed").atMost(Duration.ofSeconds(5)).until(() -> async.completed);
            assertThat(log.last()).as("every event is in the log").isEqualTo(6);

            // the client comes back with Last-Event-ID 0-1 and gets the rest
            FakeResponse again = new FakeResponse();
            SseConnection resumed = new SseConnection(again, new FakeRequest("GET", "/mcp").startAsync(), writer, 16);
            resumed.open();
            channel.attach(resumed, 1, false);
            await().atMost(Duration.ofSeconds(5)).until(() -> again.events().size() == 5);
            assertThat(again.eventIds()).containsExactly("0-2", "0-3", "0-4", "0-5", "0-6");
        } finally {
            release.countDown();
            writer.shutdownNow();
        }
    }
}
