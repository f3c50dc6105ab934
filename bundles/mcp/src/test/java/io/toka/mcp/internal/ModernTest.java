package io.toka.mcp.internal;

import static io.toka.mcp.internal.Mcp.rpc;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.toka.tool.ToolResult;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The stateless revision 2026-07-28: discovery, per-request metadata and headers, result fields. */
class ModernTest {

    @TempDir
    Path dir;
    Mcp mcp;

    @BeforeEach
    void start() {
        mcp = new Mcp(dir);
        mcp.registry.tool(FakeRegistry.describe("hello").build(), (args, obs) -> ToolResult.success("hi"));
        mcp.registry.tool(FakeRegistry.describe("sql").inputSchema("{\"type\":\"object\",\"properties\":{"
                + "\"region\":{\"type\":\"string\",\"x-mcp-header\":\"Region\"},"
                + "\"limit\":{\"type\":\"integer\",\"x-mcp-header\":\"Limit\"},"
                + "\"query\":{\"type\":\"string\"}}}").build(), (args, obs) -> ToolResult.success("rows"));
    }

    @AfterEach
    void stop() {
        mcp.close();
    }

    @Test
    void serverDiscoverDescribesTheServer() {
        FakeResponse r = mcp.modern(1, "server/discover", null, null).send();
        assertThat(r.getStatus()).isEqualTo(200);
        JsonNode result = r.json().get("result");
        assertThat(result.get("resultType").asText()).isEqualTo("complete");
        assertThat(result.get("supportedVersions").toString())
                .isEqualTo("[\"2026-07-28\",\"2025-11-25\",\"2025-06-18\",\"2025-03-26\"]");
        assertThat(result.get("capabilities").toString()).isEqualTo("{\"tools\":{\"listChanged\":true},\"logging\":{},"
                + "\"resources\":{\"subscribe\":true}}");
        assertThat(result.at("/_meta/io.modelcontextprotocol~1serverInfo/name").asText()).isEqualTo("toka");
        assertThat(result.get("ttlMs").asLong()).isPositive();
        assertThat(result.get("cacheScope").asText()).isEqualTo("public");
        assertThat(r.getHeader("Mcp-Session-Id")).isNull();
    }

    @Test
    void listAndCallNeedNoHandshake() {
        JsonNode list = mcp.modern(1, "tools/list", null, null).send().json().get("result");
        assertThat(list.get("resultType").asText()).isEqualTo("complete");
        assertThat(list.get("ttlMs").asLong()).isEqualTo(10_000);
        assertThat(list.get("cacheScope").asText()).as("filtered per token").isEqualTo("private");
        assertThat(list.get("tools")).hasSize(2);
        assertThat(list.has("_meta")).isTrue();

        FakeResponse call = mcp.modern(2, "tools/call", "\"name\":\"hello\",\"arguments\":{}", "hello")
                .header("Mcp-Session-Id", "ignored-in-2026").send();
        assertThat(call.getStatus()).isEqualTo(200);
        assertThat(call.json().at("/result/resultType").asText()).isEqualTo("complete");
        assertThat(call.json().at("/result/content/0/text").asText()).isEqualTo("hi");
        assertThat(mcp.server.list()).isEmpty();
    }

    @Test
    void anUnsupportedVersionIsUnsupportedProtocolVersionError() {
        FakeResponse r = mcp.modern(1, "tools/list", null, null).version("1900-01-01").send();
        assertThat(r.getStatus()).isEqualTo(400);
        assertThat(r.json().at("/error/code").asInt()).isEqualTo(-32022);
        assertThat(r.json().at("/error/data/requested").asText()).isEqualTo("1900-01-01");
        assertThat(r.json().at("/error/data/supported/0").asText()).isEqualTo("2026-07-28");
    }

    @Test
    void headersThatDoNotMatchTheBodyAreHeaderMismatch() {
        assertMismatch(mcp.modern(1, "tools/list", null, null).header("Mcp-Method", null));
        assertMismatch(mcp.modern(1, "tools/list", null, null).header("Mcp-Method", "tools/call"));
        assertMismatch(mcp.modern(1, "tools/call", "\"name\":\"hello\"", null));
        assertMismatch(mcp.modern(1, "tools/call", "\"name\":\"hello\"", "sql"));
        assertMismatch(mcp.modern(1, "tools/call", "\"name\":\"hello\"", "=?base64?!!!?="));
        assertMismatch(mcp.post(rpc(1, "tools/list", "{\"_meta\":{}}")).version("2026-07-28")
                .header("Mcp-Method", "tools/list"));
        // the body says 2026-07-28 but the header is missing
        assertMismatch(mcp.post(rpc(1, "tools/list", "{" + Mcp.modernMeta() + "}")).header("Mcp-Method", "tools/list"));
        String body = rpc(1, "tools/list", "{" + Mcp.modernMeta().replace("2026-07-28", "2025-11-25") + "}");
        assertMismatch(mcp.post(body).version("2026-07-28").header("Mcp-Method", "tools/list"));
        assertThat(mcp.registry.calls).isEmpty();
    }

    private static void assertMismatch(Mcp.Req req) {
        FakeResponse r = req.send();
        assertThat(r.getStatus()).as(r.text()).isEqualTo(400);
        assertThat(r.json().at("/error/code").asInt()).as(r.text()).isEqualTo(-32020);
    }

    @Test
    void anEncodedMcpNameIsDecodedBeforeTheComparison() {
        String encoded = "=?base64?" + Base64.getEncoder().encodeToString("hello".getBytes(StandardCharsets.UTF_8))
                + "?=";
        FakeResponse r = mcp.modern(1, "tools/call", "\"name\":\"hello\"", encoded).send();
        assertThat(r.json().at("/result/content/0/text").asText()).isEqualTo("hi");
    }

    @Test
    void xMcpHeaderParametersMustBeMirrored() {
        String args = "\"name\":\"sql\",\"arguments\":{\"region\":\"us-west1\",\"limit\":42,\"query\":\"q\"}";
        assertMismatch(mcp.modern(1, "tools/call", args, "sql"));
        assertMismatch(mcp.modern(1, "tools/call", args, "sql").header("Mcp-Param-Region", "eu-west1")
                .header("Mcp-Param-Limit", "42"));
        FakeResponse ok = mcp.modern(1, "tools/call", args, "sql").header("Mcp-Param-Region", "us-west1")
                .header("Mcp-Param-Limit", "42.0").send();
        assertThat(ok.json().at("/result/content/0/text").asText()).isEqualTo("rows");
        FakeResponse absent = mcp.modern(1, "tools/call", "\"name\":\"sql\",\"arguments\":{\"query\":\"q\"}", "sql")
                .send();
        assertThat(absent.getStatus()).as("no value, no header expected").isEqualTo(200);
        // for a tool the caller cannot see, the headers are not looked at: the answer is "Unknown tool"
        String helloOnly = mcp.tokens.issue("h", "tool:invoke:hello");
        FakeResponse hidden = mcp.modern(1, "tools/call", args, "sql").bearer(helloOnly).send();
        assertThat(hidden.json().at("/error/message").asText()).isEqualTo("Unknown tool: sql");
    }

    @Test
    void legacyMethodsDoNotExistIn2026AndUnknownMethodsAre404() {
        for (String method : new String[] {"initialize", "ping", "logging/setLevel", "nope/nope"}) {
            FakeResponse r = mcp.modern(1, method, null, null).send();
            assertThat(r.getStatus()).as(method).isEqualTo(404);
            assertThat(r.json().at("/error/code").asInt()).as(method).isEqualTo(-32601);
        }
    }

    @Test
    void responsesFromTheClientAreRefused() {
        FakeResponse r = mcp.post("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}").version("2026-07-28").send();
        assertThat(r.getStatus()).isEqualTo(400);
    }

    @Test
    void logMessagesNeedTheRequestsLogLevel() {
        mcp.registry.tool(FakeRegistry.describe("chatty").build(), (args, obs) -> {
            obs.log(io.toka.tool.CallObserver.LogLevel.WARNING, "careful");
            return ToolResult.success("ok");
        });
        FakeResponse quiet = mcp.modern(1, "tools/call", "\"name\":\"chatty\"", "chatty").send();
        assertThat(quiet.getContentType()).isEqualTo("application/json");
        Mcp.Req loud = mcp.modern(2, "tools/call", "\"name\":\"chatty\"", "chatty");
        String body = Mcp.rpc(2, "tools/call", "{\"name\":\"chatty\"," + Mcp.modernMeta()
                .replace("\"_meta\":{", "\"_meta\":{\"io.modelcontextprotocol/logLevel\":\"info\",") + "}");
        FakeResponse r = loud.body(body).send();
        assertThat(r.getContentType()).isEqualTo("text/event-stream");
        assertThat(r.events().get(0).at("/params/data").asText()).isEqualTo("careful");
        assertThat(r.eventIds()).as("2026-07-28 streams have no event ids").isEmpty();
        assertThat(r.events().get(1).at("/result/resultType").asText()).isEqualTo("complete");
        String bad = body.replace("logLevel\":\"info\"", "logLevel\":\"shout\"");
        assertThat(mcp.modern(3, "tools/call", "\"name\":\"chatty\"", "chatty").body(bad).send().json()
                .at("/error/code").asInt()).isEqualTo(-32602);
    }
}
