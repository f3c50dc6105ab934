package io.toka.mcp.internal;

import static io.toka.mcp.internal.Mcp.notification;
import static io.toka.mcp.internal.Mcp.rpc;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.toka.tool.ToolResult;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The HTTP side: guard, authentication, media types, body limits, JSON-RPC framing and its error codes. */
class TransportTest {

    @TempDir
    Path dir;
    Mcp mcp;

    @BeforeEach
    void start() {
        mcp = new Mcp(dir, Map.of("maxBodyBytes", 2048), 1_000_000);
        mcp.registry.tool(FakeRegistry.describe("echo").build(), (args, obs) -> ToolResult.success("echoed"));
    }

    @AfterEach
    void stop() {
        mcp.close();
    }

    @Test
    void aSessionlessToolsCallOn2025_11_25Answers200WithJson() {
        FakeResponse r = mcp.post(rpc(7, "tools/call", "{\"name\":\"echo\",\"arguments\":{}}"))
                .version("2025-11-25").send();
        assertThat(r.getStatus()).isEqualTo(200);
        assertThat(r.getContentType()).isEqualTo("application/json");
        JsonNode body = r.json();
        assertThat(body.get("id").asInt()).isEqualTo(7);
        assertThat(body.at("/result/content/0/text").asText()).isEqualTo("echoed");
        assertThat(body.at("/result/isError").asBoolean()).isFalse();
        assertThat(body.at("/result/resultType").isMissingNode()).as("resultType is 2026-07-28 only").isTrue();
        assertThat(r.getHeader("Mcp-Session-Id")).isNull();
    }

    @Test
    void aForeignOriginIs403BeforeAuthentication() {
        FakeResponse r = mcp.post(rpc(1, "tools/list", null)).bearer(null).header("Origin", "http://evil.example")
                .send();
        assertThat(r.getStatus()).isEqualTo(403);
        assertThat(r.getHeader("WWW-Authenticate")).as("refused before authentication").isNull();
        assertThat(r.json().at("/error/code").asInt()).isEqualTo(JsonRpc.FORBIDDEN);
        assertThat(mcp.tokens.audit).as("no authentication was attempted")
                .noneMatch(e -> e.action().equals("authenticate"));
    }

    @Test
    void aForeignHostIs403EvenWithoutOrigin() {
        FakeResponse r = mcp.post(rpc(1, "tools/list", null)).header("Host", "attacker.example:8181").send();
        assertThat(r.getStatus()).isEqualTo(403);
    }

    @Test
    void loopbackOriginsOnAnyPortPass() {
        for (String origin : new String[] {"http://localhost:3000", "http://127.0.0.1", "http://[::1]:6274"}) {
            FakeResponse r = mcp.post(rpc(1, "tools/list", null)).header("Origin", origin).send();
            assertThat(r.getStatus()).as(origin).isEqualTo(200);
        }
        assertThat(mcp.post(rpc(1, "tools/list", null)).header("Origin", "null").send().getStatus())
                .as("the opaque origin of a sandboxed page").isEqualTo(403);
        assertThat(mcp.post(rpc(1, "tools/list", null)).header("Origin", "http://localhost.evil.example").send()
                .getStatus()).isEqualTo(403);
    }

    @Test
    void noTokenIs401WithTheResourceMetadataChallengeAndNoDetail() {
        FakeResponse r = mcp.post(rpc(1, "tools/list", null)).bearer(null).send();
        assertThat(r.getStatus()).isEqualTo(401);
        assertThat(r.getHeader("WWW-Authenticate")).isEqualTo(
                "Bearer resource_metadata=\"http://127.0.0.1:8181/.well-known/oauth-protected-resource\"");
        assertThat(r.json().at("/error/message").asText()).isEqualTo("Unauthorized");
        assertThat(mcp.tokens.audit).anyMatch(e -> e.action().equals("authenticate")
                && e.outcome().equals("failure") && e.detail().contains("no Bearer token"));

        FakeResponse bad = mcp.post(rpc(1, "tools/list", null)).bearer("not.a.token").send();
        assertThat(bad.getStatus()).isEqualTo(401);
        assertThat(bad.text()).as("a bad token and no token look the same").isEqualTo(r.text());
    }

    @Test
    void aRevokedTokenIs401() {
        String token = mcp.tokens.issue("soon-revoked", "tool:invoke:echo");
        assertThat(mcp.post(rpc(1, "tools/list", null)).bearer(token).send().getStatus()).isEqualTo(200);
        mcp.tokens.revoke(jti(token));
        assertThat(mcp.post(rpc(1, "tools/list", null)).bearer(token).send().getStatus()).isEqualTo(401);
    }

    static String jti(String token) {
        String payload = new String(java.util.Base64.getUrlDecoder().decode(token.split("\\.")[1]),
                java.nio.charset.StandardCharsets.UTF_8);
        try {
            return new com.fasterxml.jackson.databind.ObjectMapper().readTree(payload).get("jti").asText();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void theRequestRateLimitIs429WithRetryAfter() {
        try (Mcp limited = new Mcp(dir.resolve("limited"), Map.of(), 1)) {
            assertThat(limited.post(rpc(1, "tools/list", null)).send().getStatus()).isEqualTo(200);
            FakeResponse r = limited.post(rpc(2, "tools/list", null)).send();
            assertThat(r.getStatus()).isEqualTo(429);
            assertThat(r.getHeader("Retry-After")).isEqualTo("7");
            assertThat(r.json().at("/error/code").asInt()).isEqualTo(JsonRpc.RATE_LIMITED);
            assertThat(r.json().at("/error/data/retryAfterSeconds").asInt()).isEqualTo(7);
        }
    }

    @Test
    void anOversizedBodyIs413() {
        String big = rpc(1, "tools/call", "{\"name\":\"echo\",\"arguments\":{\"x\":\"" + "a".repeat(3000) + "\"}}");
        FakeResponse r = mcp.post(big).send();
        assertThat(r.getStatus()).isEqualTo(413);
        assertThat(mcp.registry.calls).isEmpty();
        // a body that does not declare its length is cut off at the limit as well
        FakeRequest chunked = new FakeRequest("POST", "/mcp").body("application/json", big).declaredLength(-1);
        chunked.header("Authorization", "Bearer " + mcp.admin);
        FakeResponse r2 = new FakeResponse();
        try {
            mcp.server.servlet().service(chunked, r2);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        assertThat(r2.getStatus()).isEqualTo(413);
    }

    @Test
    void malformedJsonIsAParseError() {
        FakeResponse r = mcp.post("{\"jsonrpc\":\"2.0\",\"id\":1,").send();
        assertThat(r.getStatus()).isEqualTo(400);
        assertThat(r.json().at("/error/code").asInt()).isEqualTo(-32700);
        assertThat(r.json().has("id")).isFalse();
        assertThat(mcp.post("").send().json().at("/error/code").asInt()).isEqualTo(-32700);
        assertThat(mcp.post("{} {}").send().json().at("/error/code").asInt()).as("trailing data").isEqualTo(-32700);
    }

    @Test
    void anInvalidRequestIs32600() {
        assertThat(mcp.post("{\"id\":1,\"method\":\"tools/list\"}").send().json().at("/error/code").asInt())
                .as("no jsonrpc member").isEqualTo(-32600);
        FakeResponse r = mcp.post("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":42}").send();
        assertThat(r.getStatus()).isEqualTo(400);
        assertThat(r.json().at("/error/code").asInt()).isEqualTo(-32600);
        assertThat(r.json().get("id").asInt()).as("the id is echoed when it can be read").isEqualTo(3);
        assertThat(mcp.post("[1,2]").version("2025-11-25").send().json().at("/error/code").asInt())
                .as("2025-11-25 has no batches").isEqualTo(-32600);
        assertThat(mcp.post("\"text\"").send().json().at("/error/code").asInt()).isEqualTo(-32600);
        assertThat(mcp.post("{\"jsonrpc\":\"2.0\",\"id\":{},\"method\":\"ping\"}").send().json()
                .at("/error/code").asInt()).as("an id must be a string or integer").isEqualTo(-32600);
        assertThat(mcp.post(rpc(4, "tools/list", "[1]")).send().json().at("/error/code").asInt())
                .as("params must be an object").isEqualTo(-32602);
    }

    @Test
    void anUnknownMethodIs32601() {
        FakeResponse r = mcp.post(rpc(5, "tools/frobnicate", "{}")).version("2025-11-25").send();
        assertThat(r.getStatus()).isEqualTo(200);
        assertThat(r.json().at("/error/code").asInt()).isEqualTo(-32601);
        assertThat(r.json().at("/error/message").asText()).isEqualTo("Method not found: tools/frobnicate");
        assertThat(mcp.post(rpc(6, "server/discover", "{}")).version("2025-11-25").send().json()
                .at("/error/code").asInt()).as("2026-07-28's methods are not in 2025-11-25").isEqualTo(-32601);
    }

    @Test
    void anUnsupportedProtocolVersionHeaderIs400() {
        FakeResponse r = mcp.post(rpc(1, "tools/list", null)).version("2024-11-05").send();
        assertThat(r.getStatus()).isEqualTo(400);
        assertThat(r.json().at("/error/code").asInt()).isEqualTo(-32022);
        assertThat(r.json().at("/error/data/requested").asText()).isEqualTo("2024-11-05");
        assertThat(r.json().at("/error/data/supported").toString())
                .isEqualTo("[\"2026-07-28\",\"2025-11-25\",\"2025-06-18\",\"2025-03-26\"]");
        assertThat(r.json().get("id").asInt()).isEqualTo(1);
    }

    @Test
    void aVersionTheConfigurationLeftOutIsRefused() {
        try (Mcp narrow = new Mcp(dir.resolve("narrow"), Map.of("protocolVersions", new String[] {"2025-11-25"}),
                100)) {
            assertThat(narrow.post(rpc(1, "tools/list", null)).version("2025-06-18").send().getStatus())
                    .isEqualTo(400);
            assertThat(narrow.post(rpc(1, "tools/list", null)).send().getStatus())
                    .as("no header means 2025-03-26, which is not served").isEqualTo(400);
            assertThat(narrow.post(rpc(1, "tools/list", null)).version("2025-11-25").send().getStatus())
                    .isEqualTo(200);
        }
    }

    @Test
    void notificationsAndResponsesGet202() {
        FakeResponse r = mcp.post(notification("notifications/initialized", null)).version("2025-11-25").send();
        assertThat(r.getStatus()).isEqualTo(202);
        assertThat(r.text()).isEmpty();
        assertThat(mcp.post("{\"jsonrpc\":\"2.0\",\"id\":9,\"result\":{}}").version("2025-11-25").send().getStatus())
                .isEqualTo(202);
        assertThat(mcp.post(notification("notifications/whatever", null)).version("2025-11-25").send().getStatus())
                .as("an unknown notification is ignored").isEqualTo(202);
    }

    @Test
    void batchesWorkIn2025_03_26Only() {
        String batch = "[" + rpc(1, "tools/list", null) + "," + notification("notifications/initialized", null) + ","
                + rpc(2, "ping", null) + "]";
        FakeResponse r = mcp.post(batch).send(); // no header: 2025-03-26
        assertThat(r.getStatus()).isEqualTo(200);
        JsonNode answers = r.json();
        assertThat(answers.isArray()).isTrue();
        assertThat(answers).hasSize(2);
        assertThat(answers.get(0).get("id").asInt()).isEqualTo(1);
        assertThat(answers.get(1).get("id").asInt()).isEqualTo(2);

        assertThat(mcp.post("[" + notification("notifications/initialized", null) + "]").send().getStatus())
                .as("a batch of notifications").isEqualTo(202);
        assertThat(mcp.post("[" + rpc(1, "initialize", "{\"protocolVersion\":\"2025-03-26\"}") + "]").send().json()
                .get(0).at("/error/code").asInt()).as("initialize must not be batched").isEqualTo(-32600);
        assertThat(mcp.post(batch).version("2025-06-18").send().getStatus()).isEqualTo(400);
    }

    @Test
    void wrongMediaTypesAreRefused() {
        FakeResponse r = mcp.post(rpc(1, "ping", null)).header("Content-Type", "text/plain").send();
        assertThat(r.getStatus()).isEqualTo(415);
        assertThat(mcp.post(rpc(1, "ping", null)).accept("text/html").send().getStatus()).isEqualTo(406);
    }

    @Test
    void otherHttpMethodsAre405() {
        FakeResponse r = mcp.new Req("PUT").send();
        assertThat(r.getStatus()).isEqualTo(405);
        assertThat(r.getHeader("Allow")).isEqualTo("GET, POST, DELETE");
    }

    @Test
    void protectedResourceMetadataDescribesTheEndpoint() throws Exception {
        FakeRequest req = new FakeRequest("GET", "/.well-known/oauth-protected-resource");
        FakeResponse resp = new FakeResponse();
        mcp.server.resourceMetadata().service(req, resp);
        assertThat(resp.getStatus()).isEqualTo(200);
        JsonNode doc = resp.json();
        assertThat(doc.get("resource").asText()).isEqualTo("http://127.0.0.1:8181/mcp");
        assertThat(doc.get("bearer_methods_supported").toString()).isEqualTo("[\"header\"]");
        assertThat(doc.get("resource_name").asText()).isEqualTo("Toka");
        assertThat(doc.has("authorization_servers")).isFalse();

        FakeResponse suffixed = new FakeResponse();
        mcp.server.resourceMetadata().service(new FakeRequest("GET", "/.well-known/oauth-protected-resource/mcp"),
                suffixed);
        assertThat(suffixed.json().get("resource").asText()).isEqualTo("http://127.0.0.1:8181/mcp");

        FakeResponse foreign = new FakeResponse();
        mcp.server.resourceMetadata().service(new FakeRequest("GET", "/.well-known/oauth-protected-resource")
                .header("Host", "evil.example"), foreign);
        assertThat(foreign.getStatus()).isEqualTo(403);
    }
}
