package io.toka.mcp.internal;

import static io.toka.mcp.internal.Mcp.notification;
import static io.toka.mcp.internal.Mcp.rpc;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.toka.tool.CallObserver.LogLevel;
import io.toka.tool.ToolResult;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Notifications: progress and log messages over SSE, cancellation, list_changed per caller. */
class StreamingTest {

    @TempDir
    Path dir;
    Mcp mcp;
    final AtomicBoolean interrupted = new AtomicBoolean();
    final CountDownLatch started = new CountDownLatch(1);

    @BeforeEach
    void start() {
        mcp = new Mcp(dir);
        mcp.registry.tool(FakeRegistry.describe("count").build(), (args, obs) -> {
            for (int i = 1; i <= 3; i++) {
                obs.progress(i, 3.0, "step " + i);
            }
            obs.log(LogLevel.DEBUG, "debugging");
            obs.log(LogLevel.INFO, "counted");
            obs.log(LogLevel.ERROR, "an error");
            return ToolResult.success("done");
        });
        mcp.registry.tool(FakeRegistry.describe("wait").build(), (args, obs) -> {
            started.countDown();
            try {
                while (true) {
                    obs.progress(1, null, "waiting");
                    Thread.sleep(20);
                }
            } catch (InterruptedException e) {
                interrupted.set(true);
                throw e;
            }
        });
    }

    @AfterEach
    void stop() {
        mcp.close();
    }

    @Test
    void progressStreamsAsSseBeforeTheResult() {
        String id = mcp.initialize(mcp.admin, "2025-11-25");
        FakeResponse r = mcp.post(rpc(5, "tools/call", "{\"name\":\"count\",\"_meta\":{\"progressToken\":\"tok\"}}"))
                .session(id).version("2025-11-25").send();
        assertThat(r.getContentType()).isEqualTo("text/event-stream");
        List<JsonNode> events = r.events();
        assertThat(events).hasSize(4);
        for (int i = 0; i < 3; i++) {
            JsonNode p = events.get(i);
            assertThat(p.get("method").asText()).isEqualTo("notifications/progress");
            assertThat(p.at("/params/progressToken").asText()).isEqualTo("tok");
            assertThat(p.at("/params/progress").asInt()).isEqualTo(i + 1);
            assertThat(p.at("/params/total").asInt()).isEqualTo(3);
            assertThat(p.at("/params/message").asText()).isEqualTo("step " + (i + 1));
        }
        assertThat(events.get(3).get("id").asInt()).isEqualTo(5);
        assertThat(events.get(3).at("/result/content/0/text").asText()).isEqualTo("done");
        assertThat(r.text()).as("a session's POST stream is primed and has ids").startsWith("id: p1-0\n");
        assertThat(r.eventIds()).containsExactly("p1-0", "p1-1", "p1-2", "p1-3", "p1-4");
    }

    @Test
    void withoutAProgressTokenOrWithoutSseTheAnswerIsJson() {
        FakeResponse plain = mcp.post(rpc(5, "tools/call", "{\"name\":\"count\"}")).version("2025-11-25").send();
        assertThat(plain.getContentType()).isEqualTo("application/json");
        FakeResponse jsonOnly = mcp.post(rpc(5, "tools/call", "{\"name\":\"count\",\"_meta\":{\"progressToken\":1}}"))
                .accept("application/json").version("2025-11-25").send();
        assertThat(jsonOnly.getContentType()).isEqualTo("application/json");
        assertThat(jsonOnly.json().at("/result/content/0/text").asText()).isEqualTo("done");
    }

    @Test
    void sessionlessProgressStreamsWithoutIds() {
        FakeResponse r = mcp.post(rpc(5, "tools/call", "{\"name\":\"count\",\"_meta\":{\"progressToken\":7}}"))
                .version("2025-11-25").send();
        assertThat(r.getContentType()).isEqualTo("text/event-stream");
        assertThat(r.events()).hasSize(4);
        assertThat(r.eventIds()).isEmpty();
        assertThat(r.events().get(0).at("/params/progressToken").asInt()).isEqualTo(7);
    }

    @Test
    void logMessagesFollowTheSessionLevel() {
        String id = mcp.initialize(mcp.admin, "2025-11-25");
        FakeResponse before = mcp.post(rpc(2, "tools/call", "{\"name\":\"count\"}")).session(id).send();
        assertThat(before.getContentType()).as("no level set: no log messages").isEqualTo("application/json");

        FakeResponse set = mcp.post(rpc(3, "logging/setLevel", "{\"level\":\"info\"}")).session(id).send();
        assertThat(set.json().get("result").toString()).isEqualTo("{}");
        FakeResponse r = mcp.post(rpc(4, "tools/call", "{\"name\":\"count\"}")).session(id).send();
        List<JsonNode> logs = r.events().stream().filter(e -> e.path("method").asText().equals("notifications/message"))
                .toList();
        assertThat(logs).extracting(l -> l.at("/params/level").asText()).containsExactly("info", "error");
        assertThat(logs.get(0).at("/params/data").asText()).isEqualTo("counted");
        assertThat(logs.get(0).at("/params/logger").asText()).isEqualTo("count");

        assertThat(mcp.post(rpc(5, "logging/setLevel", "{\"level\":\"loud\"}")).session(id).send().json()
                .at("/error/code").asInt()).isEqualTo(-32602);
        assertThat(mcp.post(rpc(6, "logging/setLevel", "{\"level\":\"info\"}")).version("2025-11-25").send().json()
                .at("/error/code").asInt()).as("no session to set it on").isEqualTo(-32600);
    }

    @Test
    void cancelledStopsTheCallOfTheSameSessionOnly() throws Exception {
        String id = mcp.initialize(mcp.admin, "2025-11-25");
        String other = mcp.initialize(mcp.admin, "2025-11-25");
        CompletableFuture<FakeResponse> call = mcp.post(rpc(42, "tools/call", "{\"name\":\"wait\"}")).session(id)
                .version("2025-11-25").sendAsync();
        assertThat(started.await(5, TimeUnit.SECONDS)).isTrue();

        // another session's cancel of "42" is not this call's
        assertThat(mcp.post(notification("notifications/cancelled", "{\"requestId\":42}")).session(other)
                .send().getStatus()).isEqualTo(202);
        // nor is a cancel without a session (the same token, but another caller key)
        mcp.post(notification("notifications/cancelled", "{\"requestId\":42}")).version("2025-11-25").send();
        // nor the string "42"
        mcp.post(notification("notifications/cancelled", "{\"requestId\":\"42\"}")).session(id).send();
        assertThat(call).isNotDone();
        assertThat(interrupted).isFalse();

        assertThat(mcp.post(notification("notifications/cancelled", "{\"requestId\":42,\"reason\":\"enough\"}"))
                .session(id).send().getStatus()).isEqualTo(202);
        FakeResponse r = call.get(5, TimeUnit.SECONDS);
        // the answer may leave before the interrupted tool thread records it
        await().atMost(5, TimeUnit.SECONDS).untilTrue(interrupted);
        // a cancelled request gets no response: the POST's answer is an SSE stream that ends without one
        assertThat(r.getContentType()).isEqualTo("text/event-stream");
        assertThat(r.events()).as("no JSON-RPC message for id 42").isEmpty();
        assertThat(r.eventIds()).as("only the priming event").hasSize(1);
        assertThat(mcp.server.inFlight().size()).isZero();
        assertThat(mcp.post(notification("notifications/cancelled", "{\"requestId\":999}")).session(id).send()
                .getStatus()).as("an unknown id is ignored").isEqualTo(202);
    }

    @Test
    void aSessionlessCallIsCancelledByTheSameToken() throws Exception {
        CompletableFuture<FakeResponse> call = mcp.post(rpc("c-1", "tools/call", "{\"name\":\"wait\"}"))
                .version("2025-11-25").sendAsync();
        assertThat(started.await(5, TimeUnit.SECONDS)).isTrue();
        String stranger = mcp.tokens.issue("stranger", "*");
        mcp.post(notification("notifications/cancelled", "{\"requestId\":\"c-1\"}")).bearer(stranger)
                .version("2025-11-25").send();
        assertThat(call).isNotDone();
        mcp.post(notification("notifications/cancelled", "{\"requestId\":\"c-1\"}")).version("2025-11-25").send();
        FakeResponse r = call.get(5, TimeUnit.SECONDS);
        assertThat(r.getContentType()).isEqualTo("text/event-stream");
        assertThat(r.events()).as("no response for the cancelled request").isEmpty();
        await().atMost(5, TimeUnit.SECONDS).untilTrue(interrupted);
        assertThat(mcp.server.inFlight().size()).isZero();
    }

    @Test
    void aCancelledCallOfAJsonOnlyClientIsAnswered202WithoutABody() throws Exception {
        CompletableFuture<FakeResponse> call = mcp.post(rpc(3, "tools/call", "{\"name\":\"wait\"}"))
                .accept("application/json").version("2025-11-25").sendAsync();
        assertThat(started.await(5, TimeUnit.SECONDS)).isTrue();
        mcp.post(notification("notifications/cancelled", "{\"requestId\":3}")).version("2025-11-25").send();
        FakeResponse r = call.get(5, TimeUnit.SECONDS);
        assertThat(r.getStatus()).isEqualTo(202);
        assertThat(r.text()).isEmpty();
        await().atMost(5, TimeUnit.SECONDS).untilTrue(interrupted);
        assertThat(mcp.server.inFlight().size()).isZero();
    }

    @Test
    void aCancelledCallAlreadyStreamingEndsItsStreamWithoutAResponse() throws Exception {
        String id = mcp.initialize(mcp.admin, "2025-11-25");
        Mcp.Req req = mcp.post(rpc(9, "tools/call", "{\"name\":\"wait\",\"_meta\":{\"progressToken\":1}}"))
                .session(id);
        CompletableFuture<FakeResponse> call = req.sendAsync();
        await().atMost(Duration.ofSeconds(5)).until(() -> !req.response.events().isEmpty());
        mcp.post(notification("notifications/cancelled", "{\"requestId\":9}")).session(id).send();
        FakeResponse r = call.get(5, TimeUnit.SECONDS);
        assertThat(r.events()).allMatch(e -> e.path("method").asText().equals("notifications/progress"));
        await().atMost(5, TimeUnit.SECONDS).untilTrue(interrupted);
        assertThat(mcp.server.inFlight().size()).isZero();
    }

    @Test
    void on2026ClosingTheStreamCancelsTheCall() throws Exception {
        Mcp.Req req = mcp.modern(1, "tools/call", "\"name\":\"wait\",\"arguments\":{}", "wait");
        String body = new String(req.request.getInputStream().readAllBytes()).replace("\"_meta\":{",
                "\"_meta\":{\"progressToken\":\"p\",");
        Mcp.Req streamed = mcp.modern(1, "tools/call", "\"name\":\"wait\",\"arguments\":{}", "wait").body(body);
        CompletableFuture<FakeResponse> call = streamed.sendAsync();
        await().atMost(Duration.ofSeconds(5)).until(() -> !streamed.response.events().isEmpty());
        streamed.response.broken = true;
        FakeResponse r = call.get(5, TimeUnit.SECONDS);
        await("the tool was interrupted").atMost(5, TimeUnit.SECONDS).untilTrue(interrupted);
        assertThat(r.getContentType()).isEqualTo("text/event-stream");
    }

    @Test
    void on2025ADroppedStreamDoesNotCancel() throws Exception {
        String id = mcp.initialize(mcp.admin, "2025-11-25");
        Mcp.Req req = mcp.post(rpc(8, "tools/call", "{\"name\":\"wait\",\"_meta\":{\"progressToken\":1}}"))
                .session(id);
        CompletableFuture<FakeResponse> call = req.sendAsync();
        await().atMost(Duration.ofSeconds(5)).until(() -> !req.response.events().isEmpty());
        req.response.broken = true;
        EventLog log = mcp.server.sessions().live().get(0).log;
        long atDrop = log.last();
        // the tool goes on reporting into the dropped stream, which keeps the reports for a resuming GET
        await().atMost(Duration.ofSeconds(5)).until(() -> log.last() > atDrop + 2);
        assertThat(call).isNotDone();
        assertThat(interrupted).isFalse();
        // resuming the POST's stream with Last-Event-ID replays what it missed
        FakeResponse resumed = mcp.get().session(id).header("Last-Event-ID", "p1-1").send();
        await().atMost(Duration.ofSeconds(5)).until(() -> resumed.events().size() >= 2);
        assertThat(resumed.eventIds()).allMatch(e -> e.startsWith("p1-"));
        mcp.post(notification("notifications/cancelled", "{\"requestId\":8}")).session(id).send();
        call.get(5, TimeUnit.SECONDS);
        // cancelled: the resumed stream ends, with no response
        await().atMost(Duration.ofSeconds(5)).until(() -> resumed.events().stream().noneMatch(e -> e.has("result"))
                && mcp.server.sessions().live().get(0).streamFor("p1").completed());
    }

    @Test
    void listChangedReachesOnlyTheSessionsWhoseViewChanged() {
        String narrow = mcp.tokens.issue("narrow", "tool:invoke:count");
        String a = mcp.initialize(narrow, "2025-11-25");
        String b = mcp.initialize(mcp.admin, "2025-11-25");
        FakeResponse streamA = mcp.get().bearer(narrow).session(a).send();
        FakeResponse streamB = mcp.get().session(b).send();

        mcp.registry.tool(FakeRegistry.describe("unrelated").build(), (x, o) -> ToolResult.success(""));
        await().atMost(Duration.ofSeconds(1)).until(() -> streamB.events().size() == 1);
        assertThat(streamB.events().get(0).get("method").asText()).isEqualTo("notifications/tools/list_changed");

        // a change A does see: a new version of count
        mcp.registry.tool(FakeRegistry.describe("count").version("2.0.0").build(), (x, o) -> ToolResult.success(""));
        await().atMost(Duration.ofSeconds(1)).until(() -> streamA.events().size() == 1);
        await().atMost(Duration.ofSeconds(1)).until(() -> streamB.events().size() == 2);
        assertThat(streamA.events()).as("A was not told of the tool it cannot see").hasSize(1);

        // a registry event that changes nothing anyone sees notifies no one
        mcp.registry.tool(FakeRegistry.describe("count").version("2.0.0").build(), (x, o) -> ToolResult.success(""));
        mcp.registry.tool(FakeRegistry.describe("count").version("3.0.0").build(), (x, o) -> ToolResult.success(""));
        await().atMost(Duration.ofSeconds(1)).until(() -> streamA.events().size() == 2);
        assertThat(streamB.events()).hasSize(3);
    }

    @Test
    void listChangedWaitsInTheSessionUntilItsStreamOpens() {
        String id = mcp.initialize(mcp.admin, "2025-11-25");
        mcp.registry.tool(FakeRegistry.describe("late").build(), (x, o) -> ToolResult.success(""));
        await().atMost(Duration.ofSeconds(1)).until(() -> mcp.server.sessions().live().get(0).log.last() == 1);
        FakeResponse stream = mcp.get().session(id).send();
        await().atMost(Duration.ofSeconds(5)).until(() -> !stream.events().isEmpty());
        assertThat(stream.events()).extracting(e -> e.get("method").asText())
                .containsExactly("notifications/tools/list_changed");
    }

    @Test
    void subscriptionsListenDeliversToolListChangesTaggedWithItsId() {
        Mcp.Req listen = mcp.modern("sub-1", "subscriptions/listen", "\"notifications\":{\"toolsListChanged\":true,"
                + "\"promptsListChanged\":true}", null);
        FakeResponse stream = listen.send();
        assertThat(stream.getContentType()).isEqualTo("text/event-stream");
        assertThat(listen.request.async).isNotNull();
        await().atMost(Duration.ofSeconds(5)).until(() -> !stream.events().isEmpty());
        JsonNode ack = stream.events().get(0);
        assertThat(ack.get("method").asText()).isEqualTo("notifications/subscriptions/acknowledged");
        assertThat(ack.at("/params/notifications").toString()).as("prompts are not offered")
                .isEqualTo("{\"toolsListChanged\":true}");
        assertThat(ack.at("/params/_meta/io.modelcontextprotocol~1subscriptionId").asText()).isEqualTo("sub-1");

        mcp.registry.tool(FakeRegistry.describe("fresh").build(), (x, o) -> ToolResult.success(""));
        await().atMost(Duration.ofSeconds(1)).until(() -> stream.events().size() == 2);
        JsonNode changed = stream.events().get(1);
        assertThat(changed.get("method").asText()).isEqualTo("notifications/tools/list_changed");
        assertThat(changed.at("/params/_meta/io.modelcontextprotocol~1subscriptionId").asText()).isEqualTo("sub-1");

        mcp.server.close();
        await().atMost(Duration.ofSeconds(5)).until(() -> listen.request.async.completed);
        await().atMost(Duration.ofSeconds(5)).until(() -> stream.events().size() == 3);
        JsonNode last = stream.events().get(2);
        assertThat(last.get("id").asText()).isEqualTo("sub-1");
        assertThat(last.at("/result/resultType").asText()).isEqualTo("complete");
        assertThat(listen.request.async.completed).isTrue();
    }

    @Test
    void aSubscriptionEndsWhenItsTokenIsRevoked() {
        String token = mcp.tokens.issue("listener", "tool:invoke:*");
        Mcp.Req listen = mcp.modern(1, "subscriptions/listen", "\"notifications\":{\"toolsListChanged\":true}", null)
                .bearer(token);
        listen.send();
        mcp.tokens.revoke(TransportTest.jti(token));
        mcp.server.monitor().tick();
        await().atMost(Duration.ofSeconds(5)).until(() -> listen.request.async.completed);
    }

    @Test
    void aSubscriptionWithoutToolsListChangedHearsNoToolChanges() throws Exception {
        Mcp.Req listen = mcp.modern(1, "subscriptions/listen", "\"notifications\":{}", null);
        FakeResponse stream = listen.send();
        await().atMost(Duration.ofSeconds(5)).until(() -> !stream.events().isEmpty());
        assertThat(stream.events().get(0).at("/params/notifications").toString()).isEqualTo("{}");
        // a session's stream is the witness that the fanout has run
        String id = mcp.initialize(mcp.admin, "2025-11-25");
        FakeResponse witness = mcp.get().session(id).send();
        mcp.registry.tool(FakeRegistry.describe("fresh").build(), (x, o) -> ToolResult.success(""));
        await().atMost(Duration.ofSeconds(1)).until(() -> witness.events().size() == 1);
        assertThat(stream.events()).hasSize(1);
        assertThat(mcp.modern(2, "subscriptions/listen", "\"notifications\":{}", null).accept("application/json")
                .send().getStatus()).isEqualTo(406);
    }
}
