package io.toka.mcp.internal;

import static io.toka.mcp.internal.Mcp.rpc;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The event log as resources: lists, reads, subscriptions, and what a token without event:read learns (nothing). */
class ResourcesTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TOOL_EVENTS = "toka://events?kind=tool.invoked";

    @TempDir
    Path dir;
    Mcp mcp;
    String reader;
    String blind;

    @BeforeEach
    void start() {
        mcp = new Mcp(dir);
        reader = mcp.tokens.issue("reader", "event:read");
        blind = mcp.tokens.issue("blind", "tool:invoke:*");
    }

    @AfterEach
    void stop() {
        mcp.close();
    }

    private JsonNode call(String token, String version, String method, String params) {
        return mcp.post(rpc(1, method, params)).bearer(token).version(version).send().json();
    }

    private JsonNode read(String token, String version, String uri) {
        return call(token, version, "resources/read", "{\"uri\":" + JSON.valueToTree(uri) + "}");
    }

    private static JsonNode events(JsonNode readAnswer) throws Exception {
        JsonNode content = readAnswer.at("/result/contents/0");
        assertThat(content.get("mimeType").asText()).isEqualTo("application/json");
        return JSON.readTree(content.get("text").asText()).get("events");
    }

    @Test
    void theListsNameTheEventLogAndItsTemplateToAReader() {
        JsonNode list = call(reader, "2025-11-25", "resources/list", "{}").get("result");
        assertThat(list.get("resources")).hasSize(1);
        assertThat(list.at("/resources/0/uri").asText()).isEqualTo("toka://events");
        assertThat(list.at("/resources/0/mimeType").asText()).isEqualTo("application/json");
        assertThat(list.at("/resources/0/title").asText()).isNotEmpty();
        JsonNode templates = call(reader, "2025-11-25", "resources/templates/list", "{}").get("result");
        assertThat(templates.at("/resourceTemplates/0/uriTemplate").asText())
                .isEqualTo("toka://events{?kind,subject,limit}");
        assertThat(call(reader, "2025-03-26", "resources/list", "{}").at("/result/resources/0").has("title"))
                .as("no titles before 2025-06-18").isFalse();

        JsonNode modern = mcp.modern(2, "resources/templates/list", null, null).bearer(reader).send().json()
                .get("result");
        assertThat(modern.get("resourceTemplates")).hasSize(1);
        assertThat(modern.get("cacheScope").asText()).isEqualTo("private");
        assertThat(modern.get("ttlMs").asLong()).isNotNegative();
        assertThat(call(reader, "2025-11-25", "resources/list", "{\"cursor\":\"x\"}").at("/error/code").asInt())
                .isEqualTo(-32602);
    }

    @Test
    void aReadReturnsTheNewestMatchingEventsOldestFirst() throws Exception {
        for (int i = 1; i <= 300; i++) {
            mcp.events.record("tool.invoked", i % 2 == 0 ? "alice" : "bob", "{\"n\":" + i + "}");
            mcp.events.record("agent.spawned", "alice", "{}");
        }
        JsonNode answer = read(reader, "2025-11-25", "toka://events?kind=tool.invoked&limit=50");
        assertThat(answer.at("/result/contents/0/uri").asText())
                .isEqualTo("toka://events?kind=tool.invoked&limit=50");
        JsonNode events = events(answer);
        assertThat(events).hasSize(50);
        assertThat(events).allMatch(e -> e.get("kind").asText().equals("tool.invoked"));
        assertThat(events.get(0).at("/payload/n").asInt()).isEqualTo(251);
        assertThat(events.get(49).at("/payload/n").asInt()).as("newest last").isEqualTo(300);

        JsonNode bob = events(read(reader, "2025-11-25", "toka://events?subject=bob&kind=tool.invoked&limit=3"));
        assertThat(bob).extracting(e -> e.at("/payload/n").asInt()).containsExactly(295, 297, 299);
        JsonNode latest = events(read(reader, "2025-11-25", "toka://events"));
        assertThat(latest).hasSize(EventUri.DEFAULT_LIMIT);
        assertThat(latest.get(EventUri.DEFAULT_LIMIT - 1).get("seq").asLong()).isEqualTo(600);
        assertThat(events(read(reader, "2025-11-25", "toka://events?kind=task.completed"))).isEmpty();
        // an event recorded long ago is still found, however many others came after it
        mcp.events.record("task.completed", "x", "{\"old\":true}");
        for (int i = 0; i < 2000; i++) {
            mcp.events.record("agent.spawned", "alice", "{}");
        }
        assertThat(events(read(reader, "2025-11-25", "toka://events?kind=task.completed"))).hasSize(1);

        JsonNode modern = mcp.modern(3, "resources/read", "\"uri\":\"" + TOOL_EVENTS + "\"", TOOL_EVENTS).bearer(reader)
                .send().json().get("result");
        assertThat(modern.get("ttlMs").asLong()).isZero();
        assertThat(modern.get("cacheScope").asText()).isEqualTo("private");
    }

    @Test
    void badParametersAreInvalidParamsWithAReason() {
        for (String[] bad : new String[][] {
                {"toka://events?limit=0", "limit"}, {"toka://events?limit=201", "limit"},
                {"toka://events?limit=abc", "limit"}, {"toka://events?bogus=1", "bogus"},
                {"toka://events?kind=Tool.Invoked", "kind"}, {"toka://events?kind=a&kind=b", "twice"},
                {"toka://events?kind", "value"}, {"toka://events?subject=", "subject"}}) {
            JsonNode error = read(reader, "2025-11-25", bad[0]).get("error");
            assertThat(error).as(bad[0]).isNotNull();
            assertThat(error.get("code").asInt()).as(bad[0]).isEqualTo(-32602);
            assertThat(error.get("message").asText()).as(bad[0]).contains(bad[1]);
        }
        assertThat(call(reader, "2025-11-25", "resources/read", "{}").at("/error/code").asInt()).isEqualTo(-32602);
        assertThat(call(reader, "2025-11-25", "resources/read", "{\"uri\":5}").at("/error/code").asInt())
                .isEqualTo(-32602);
    }

    @Test
    void anUnknownResourceIsNotFoundPerRevision() {
        for (String uri : List.of("toka://other", "file:///etc/passwd", "toka://events/x", "toka://events#f",
                "toka://user@events", "toka://events:80", "not a uri %%", "")) {
            JsonNode error = read(reader, "2025-11-25", uri).get("error");
            assertThat(error.get("code").asInt()).as(uri).isEqualTo(-32002);
            assertThat(error.get("message").asText()).isEqualTo("Resource not found");
            assertThat(error.at("/data/uri").asText()).isEqualTo(uri);
        }
        JsonNode modern = mcp.modern(2, "resources/read", "\"uri\":\"toka://other\"", "toka://other").bearer(reader).send()
                .json().get("error");
        assertThat(modern.get("code").asInt()).as("2026-07-28 answers -32602").isEqualTo(-32602);
        assertThat(modern.get("message").asText()).isEqualTo("Resource not found");
    }

    @Test
    void aTokenWithoutEventReadLearnsNothing() {
        mcp.events.record("tool.invoked", "alice", "{}");
        assertThat(call(blind, "2025-11-25", "resources/list", "{}").at("/result/resources")).isEmpty();
        assertThat(call(blind, "2025-11-25", "resources/templates/list", "{}").at("/result/resourceTemplates"))
                .isEmpty();
        JsonNode unknown = read(blind, "2025-11-25", "toka://nothing").get("error");
        for (String uri : List.of("toka://events", TOOL_EVENTS, "toka://events?limit=abc")) {
            JsonNode error = read(blind, "2025-11-25", uri).get("error");
            assertThat(error.get("code")).as(uri).isEqualTo(unknown.get("code"));
            assertThat(error.get("message")).as(uri).isEqualTo(unknown.get("message"));
        }
        assertThat(mcp.tokens.audit).as("the refusals went through the audited policy point")
                .anyMatch(a -> a.toString().contains("event.list") && a.toString().contains("blind"));
        String session = mcp.initialize(blind, "2025-11-25");
        JsonNode sub = mcp.post(rpc(3, "resources/subscribe", "{\"uri\":\"toka://events\"}")).bearer(blind)
                .session(session).send().json();
        assertThat(sub.at("/error/code").asInt()).isEqualTo(-32002);
    }

    @Test
    void aSessionHearsUpdatesOfTheResourcesItSubscribedTo() {
        String session = mcp.initialize(reader, "2025-11-25");
        FakeResponse stream = mcp.get().bearer(reader).session(session).send();
        JsonNode ok = mcp.post(rpc(2, "resources/subscribe", "{\"uri\":\"" + TOOL_EVENTS + "\"}")).bearer(reader)
                .session(session).send().json();
        assertThat(ok.get("result").toString()).isEqualTo("{}");
        mcp.post(rpc(3, "resources/subscribe", "{\"uri\":\"toka://events?kind=agent.spawned\"}")).bearer(reader)
                .session(session).send();

        mcp.events.record("task.completed", "x", "{}"); // matches neither
        mcp.events.record("tool.invoked", "x", "{}");
        await().atMost(Duration.ofSeconds(5)).until(() -> updates(stream).size() == 1);
        assertThat(updates(stream).get(0).at("/params/uri").asText()).isEqualTo(TOOL_EVENTS);

        mcp.post(rpc(4, "resources/unsubscribe", "{\"uri\":\"" + TOOL_EVENTS + "\"}")).bearer(reader)
                .session(session).send();
        mcp.events.record("tool.invoked", "x", "{}");
        mcp.events.record("agent.spawned", "x", "{}");
        await().atMost(Duration.ofSeconds(5)).until(() -> updates(stream).size() == 2);
        assertThat(updates(stream).get(1).at("/params/uri").asText()).isEqualTo("toka://events?kind=agent.spawned");
        assertThat(updates(stream)).hasSize(2);

        assertThat(mcp.post(rpc(5, "resources/subscribe", "{\"uri\":\"toka://events?limit=x\"}")).bearer(reader)
                .session(session).send().json().at("/error/code").asInt()).isEqualTo(-32602);
        assertThat(mcp.post(rpc(6, "resources/subscribe", "{\"uri\":\"toka://events\"}")).bearer(reader)
                .version("2025-11-25").send().json().at("/error/code").asInt()).as("no session").isEqualTo(-32600);
        assertThat(mcp.modern(7, "resources/subscribe", "\"uri\":\"toka://events\"", null).bearer(reader).send()
                .json().at("/error/code").asInt()).as("2026-07-28 has subscriptions/listen instead").isEqualTo(-32601);
    }

    @Test
    void aRevokedTokenHearsNoMoreUpdates() {
        String token = mcp.tokens.issue("leaving", "event:read");
        String session = mcp.initialize(token, "2025-11-25");
        FakeResponse stream = mcp.get().bearer(token).session(session).send();
        mcp.post(rpc(2, "resources/subscribe", "{\"uri\":\"toka://events\"}")).bearer(token).session(session).send();
        mcp.events.record("tool.invoked", "x", "{}");
        await().atMost(Duration.ofSeconds(5)).until(() -> updates(stream).size() == 1);

        mcp.tokens.revoke(TransportTest.jti(token));
        mcp.events.record("tool.invoked", "x", "{}");
        await("the session ends").atMost(Duration.ofSeconds(5)).until(() -> mcp.server.list().isEmpty());
        assertThat(updates(stream)).hasSize(1);
    }

    @Test
    void subscriptionsListenCarriesResourceUpdatesFor2026() {
        Mcp.Req listen = mcp.modern("sub-r", "subscriptions/listen", "\"notifications\":{\"resourceSubscriptions\":[\""
                + TOOL_EVENTS + "\",\"toka://nope\"]}", null).bearer(reader);
        FakeResponse stream = listen.send();
        await().atMost(Duration.ofSeconds(5)).until(() -> !stream.events().isEmpty());
        assertThat(stream.events().get(0).at("/params/notifications/resourceSubscriptions").toString())
                .as("only what exists and may be read is acknowledged").isEqualTo("[\"" + TOOL_EVENTS + "\"]");
        mcp.events.record("tool.invoked", "x", "{}");
        await().atMost(Duration.ofSeconds(5)).until(() -> stream.events().size() == 2);
        JsonNode updated = stream.events().get(1);
        assertThat(updated.get("method").asText()).isEqualTo("notifications/resources/updated");
        assertThat(updated.at("/params/uri").asText()).isEqualTo(TOOL_EVENTS);
        assertThat(updated.at("/params/_meta/io.modelcontextprotocol~1subscriptionId").asText()).isEqualTo("sub-r");

        Mcp.Req blindListen = mcp.modern("sub-b", "subscriptions/listen",
                "\"notifications\":{\"resourceSubscriptions\":[\"toka://events\"]}", null).bearer(blind);
        FakeResponse blindStream = blindListen.send();
        await().atMost(Duration.ofSeconds(5)).until(() -> !blindStream.events().isEmpty());
        assertThat(blindStream.events().get(0).at("/params/notifications/resourceSubscriptions").toString())
                .isEqualTo("[]");
        assertThat(mcp.modern("sub-x", "subscriptions/listen", "\"notifications\":{\"resourceSubscriptions\":\"x\"}",
                null).bearer(reader).send().json().at("/error/code").asInt()).isEqualTo(-32602);
    }

    @Test
    void aListenWhoseTokenIsRevokedEndsBeforeTheNextUpdate() {
        String token = mcp.tokens.issue("listener", "event:read");
        Mcp.Req listen = mcp.modern("sub-v", "subscriptions/listen",
                "\"notifications\":{\"resourceSubscriptions\":[\"toka://events\"]}", null).bearer(token);
        FakeResponse stream = listen.send();
        await().atMost(Duration.ofSeconds(5)).until(() -> !stream.events().isEmpty());
        mcp.tokens.revoke(TransportTest.jti(token));
        mcp.events.record("tool.invoked", "x", "{}");
        await("the subscription ends").atMost(Duration.ofSeconds(5)).until(() -> listen.request.async.completed);
        assertThat(updates(stream)).isEmpty();
    }

    private static List<JsonNode> updates(FakeResponse stream) {
        return stream.events().stream()
                .filter(e -> e.path("method").asText().equals("notifications/resources/updated")).toList();
    }
}
