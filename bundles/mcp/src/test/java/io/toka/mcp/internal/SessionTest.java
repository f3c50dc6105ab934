package io.toka.mcp.internal;

import static io.toka.mcp.internal.Mcp.rpc;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.toka.mcp.McpSessionInfo;
import io.toka.tool.ToolResult;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Negotiation and the sessions of the 2025 revisions: initialize, 404, DELETE, expiry, GET streams, resumption. */
class SessionTest {

    @TempDir
    Path dir;
    Mcp mcp;

    @BeforeEach
    void start() {
        mcp = new Mcp(dir, Map.of("sessionIdleMinutes", 30), 1_000_000);
        mcp.registry.tool(FakeRegistry.describe("echo").build(), (args, obs) -> ToolResult.success("echoed"));
    }

    @AfterEach
    void stop() {
        mcp.close();
    }

    private JsonNode initialize(String version) {
        FakeResponse r = mcp.post(rpc(1, "initialize", "{\"protocolVersion\":\"" + version + "\",\"capabilities\":{},"
                + "\"clientInfo\":{\"name\":\"negotiator\",\"version\":\"1\"}}")).send();
        assertThat(r.getStatus()).isEqualTo(200);
        return r.json().get("result");
    }

    @Test
    void initializeAnswersTheRequestedRevisionWhenServedElseTheNewestWithAHandshake() {
        assertThat(initialize("2025-11-25").get("protocolVersion").asText()).isEqualTo("2025-11-25");
        assertThat(initialize("2025-06-18").get("protocolVersion").asText()).isEqualTo("2025-06-18");
        assertThat(initialize("2025-03-26").get("protocolVersion").asText()).isEqualTo("2025-03-26");
        assertThat(initialize("2024-11-05").get("protocolVersion").asText()).isEqualTo("2025-11-25");
        assertThat(initialize("2026-07-28").get("protocolVersion").asText())
                .as("2026-07-28 has no handshake: initialize negotiates a 2025 revision").isEqualTo("2025-11-25");
    }

    @Test
    void initializeAdvertisesToolsLoggingAndSubscribableResources() {
        JsonNode result = initialize("2025-11-25");
        assertThat(result.get("capabilities").toString())
                .isEqualTo("{\"tools\":{\"listChanged\":true},\"logging\":{},\"resources\":{\"subscribe\":true}}");
        assertThat(result.at("/serverInfo/name").asText()).isEqualTo("toka");
        assertThat(result.at("/serverInfo/version").asText()).isEqualTo("9.9.9-test");
        assertThat(initialize("2025-03-26").at("/serverInfo/title").isMissingNode())
                .as("Implementation.title arrived in 2025-06-18").isTrue();
    }

    @Test
    void initializeWithoutAProtocolVersionIsInvalidParams() {
        FakeResponse r = mcp.post(rpc(1, "initialize", "{\"capabilities\":{}}")).send();
        assertThat(r.json().at("/error/code").asInt()).isEqualTo(-32602);
        assertThat(r.getHeader("Mcp-Session-Id")).isNull();
    }

    @Test
    void aSessionServesItsClientAndIsListed() {
        String id = mcp.initialize(mcp.admin, "2025-11-25");
        assertThat(id).matches("[0-9a-f]{32}");
        assertThat(mcp.post(Mcp.notification("notifications/initialized", null)).session(id).version("2025-11-25")
                .send().getStatus()).isEqualTo(202);
        FakeResponse call = mcp.post(rpc(2, "tools/call", "{\"name\":\"echo\"}")).session(id).version("2025-11-25")
                .send();
        assertThat(call.getStatus()).isEqualTo(200);
        assertThat(call.json().at("/result/content/0/text").asText()).isEqualTo("echoed");
        assertThat(mcp.post(rpc(3, "ping", null)).session(id).send().json().get("result").toString())
                .as("without the header the session's revision applies").isEqualTo("{}");

        List<McpSessionInfo> sessions = mcp.server.list();
        assertThat(sessions).hasSize(1);
        assertThat(sessions.get(0).id()).isEqualTo(id);
        assertThat(sessions.get(0).subject()).isEqualTo("admin-client");
        assertThat(sessions.get(0).protocolVersion()).isEqualTo("2025-11-25");
        assertThat(sessions.get(0).clientName()).isEqualTo("test-client");
        assertThat(sessions.get(0).openStreams()).isZero();
    }

    @Test
    void anUnknownSessionIs404() {
        FakeResponse r = mcp.post(rpc(2, "tools/list", null)).session("0123456789abcdef0123456789abcdef")
                .version("2025-11-25").send();
        assertThat(r.getStatus()).isEqualTo(404);
        assertThat(r.json().at("/error/code").asInt()).isEqualTo(JsonRpc.SESSION_NOT_FOUND);
        assertThat(mcp.get().session("nope").send().getStatus()).isEqualTo(404);
        assertThat(mcp.delete().session("nope").send().getStatus()).isEqualTo(404);
    }

    @Test
    void anotherTokenCannotUseASession() {
        String id = mcp.initialize(mcp.admin, "2025-11-25");
        String other = mcp.tokens.issue("admin-client", "*"); // even the same subject, with another token
        assertThat(mcp.post(rpc(2, "tools/list", null)).bearer(other).session(id).send().getStatus()).isEqualTo(404);
        assertThat(mcp.delete().bearer(other).session(id).send().getStatus()).isEqualTo(404);
        assertThat(mcp.server.list()).hasSize(1);
    }

    @Test
    void aHeaderThatContradictsTheSessionIs400() {
        String id = mcp.initialize(mcp.admin, "2025-06-18");
        FakeResponse r = mcp.post(rpc(2, "tools/list", null)).session(id).version("2025-11-25").send();
        assertThat(r.getStatus()).isEqualTo(400);
        assertThat(r.json().at("/error/message").asText()).contains("2025-06-18");
    }

    @Test
    void deleteEndsTheSession() {
        String id = mcp.initialize(mcp.admin, "2025-11-25");
        assertThat(mcp.delete().session(id).version("2025-11-25").send().getStatus()).isEqualTo(200);
        assertThat(mcp.post(rpc(2, "tools/list", null)).session(id).send().getStatus()).isEqualTo(404);
        assertThat(mcp.server.list()).isEmpty();
        assertThat(mcp.delete().send().getStatus()).as("DELETE without a session").isEqualTo(405);
    }

    @Test
    void closeFromTheShellEndsTheSessionAndItsStream() {
        String id = mcp.initialize(mcp.admin, "2025-11-25");
        Mcp.Req get = mcp.get().session(id);
        FakeResponse stream = get.send();
        assertThat(mcp.server.list().get(0).openStreams()).isEqualTo(1);
        assertThat(mcp.server.close(id)).isTrue();
        assertThat(mcp.server.close(id)).isFalse();
        assertThat(mcp.post(rpc(2, "ping", null)).session(id).send().getStatus()).isEqualTo(404);
        assertThat(stream.getContentType()).isEqualTo("text/event-stream");
        await("the GET stream was ended").atMost(Duration.ofSeconds(5)).until(() -> get.request.async.completed);
    }

    @Test
    void idleSessionsExpire() {
        String idle = mcp.initialize(mcp.admin, "2025-11-25");
        String busy = mcp.initialize(mcp.admin, "2025-11-25");
        mcp.clock.advance(Duration.ofMinutes(20));
        mcp.post(rpc(2, "ping", null)).session(busy).send();
        mcp.clock.advance(Duration.ofMinutes(11));
        mcp.server.sessions().sweep();
        assertThat(mcp.server.list()).extracting(McpSessionInfo::id).containsExactly(busy);
        assertThat(mcp.post(rpc(3, "ping", null)).session(idle).send().getStatus()).isEqualTo(404);
        // found expired on use even before a sweep
        mcp.clock.advance(Duration.ofMinutes(31));
        assertThat(mcp.post(rpc(4, "ping", null)).session(busy).send().getStatus()).isEqualTo(404);
    }

    @Test
    void aSessionWithAnOpenStreamIsNotIdle() {
        String id = mcp.initialize(mcp.admin, "2025-11-25");
        mcp.get().session(id).send();
        mcp.clock.advance(Duration.ofHours(2));
        mcp.server.sessions().sweep();
        assertThat(mcp.server.list()).hasSize(1);
    }

    @Test
    void aSubjectOverItsSessionLimitLosesItsLeastRecentlyUsedSession() {
        try (Mcp small = new Mcp(dir.resolve("small"), Map.of("maxSessionsPerSubject", 2), 1000)) {
            String a = small.initialize(small.admin, "2025-11-25");
            small.clock.advance(Duration.ofSeconds(1));
            String b = small.initialize(small.admin, "2025-11-25");
            small.clock.advance(Duration.ofSeconds(1));
            small.post(rpc(2, "ping", null)).session(a).send();
            small.clock.advance(Duration.ofSeconds(1));
            String c = small.initialize(small.admin, "2025-11-25");
            assertThat(small.server.list()).extracting(McpSessionInfo::id).containsExactly(a, c);
            assertThat(b).isNotEqualTo(c);
        }
    }

    @Test
    void theGetStreamCarriesServerMessagesAndResumesWithLastEventId() throws Exception {
        String id = mcp.initialize(mcp.admin, "2025-11-25");
        FakeResponse first = mcp.get().session(id).version("2025-11-25").send();
        assertThat(first.getStatus()).isEqualTo(200);
        assertThat(first.getContentType()).isEqualTo("text/event-stream");
        assertThat(first.getHeader("X-Accel-Buffering")).isEqualTo("no");
        // the stream's writer sends events on its own thread
        await().atMost(Duration.ofSeconds(5)).until(() -> !first.text().isEmpty());
        assertThat(first.text()).as("a priming event: an id, empty data").startsWith("id: 0-0\nretry: 2000\ndata: \n\n");

        mcp.registry.tool(FakeRegistry.describe("added").build(), (args, obs) -> ToolResult.success("x"));
        await().atMost(Duration.ofSeconds(1)).until(() -> first.events().size() == 1);
        assertThat(first.events().get(0).get("method").asText()).isEqualTo("notifications/tools/list_changed");
        String lastSeen = first.eventIds().get(first.eventIds().size() - 1);

        // the connection drops; two more changes happen meanwhile
        first.broken = true;
        EventLog log = mcp.server.sessions().live().get(0).log;
        mcp.registry.remove("added");
        await().atMost(Duration.ofSeconds(1)).until(() -> log.last() == 2);
        mcp.registry.tool(FakeRegistry.describe("added-again").build(), (args, obs) -> ToolResult.success("x"));
        await().atMost(Duration.ofSeconds(1)).until(() -> log.last() == 3);

        FakeResponse resumed = mcp.get().session(id).header("Last-Event-ID", lastSeen).send();
        await().atMost(Duration.ofSeconds(5)).until(() -> resumed.events().size() == 2);
        assertThat(resumed.eventIds()).doesNotContain(lastSeen);
        assertThat(resumed.eventIds()).allMatch(e -> e.startsWith("0-"));
    }

    @Test
    void aNewGetReplacesTheOldConnection() {
        String id = mcp.initialize(mcp.admin, "2025-11-25");
        Mcp.Req firstReq = mcp.get().session(id);
        firstReq.send();
        mcp.get().session(id).send();
        await("the first connection was ended").atMost(Duration.ofSeconds(5))
                .until(() -> firstReq.request.async.completed);
        assertThat(mcp.server.list().get(0).openStreams()).isEqualTo(1);
    }

    @Test
    void aRevokedTokenEndsTheSessionAndClosesItsStream() {
        String token = mcp.tokens.issue("revoked-later", "tool:invoke:echo");
        String id = mcp.initialize(token, "2025-11-25");
        Mcp.Req get = mcp.get().bearer(token).session(id);
        get.send();
        mcp.tokens.revoke(TransportTest.jti(token));
        mcp.server.monitor().tick();
        await().atMost(Duration.ofSeconds(5)).until(() -> get.request.async.completed);
        assertThat(mcp.server.list()).isEmpty();
    }

    @Test
    void getNeedsASessionAndTheEventStreamType() {
        assertThat(mcp.get().send().getStatus()).isEqualTo(405);
        String id = mcp.initialize(mcp.admin, "2025-11-25");
        assertThat(mcp.get().session(id).accept("application/json").send().getStatus()).isEqualTo(406);
        assertThat(mcp.get().session(id).version("2026-07-28").send().getStatus())
                .as("2026-07-28 has no GET stream").isEqualTo(405);
    }
}
