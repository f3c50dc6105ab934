package io.toka.mcp.internal;

import io.toka.security.testing.TestTokens;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * A test's MCP server: the real server classes with the real token authority, a {@link FakeRegistry}, a rate
 * limiter that allows plenty, and a clock the test moves. Requests go to the servlet's {@code service}.
 */
final class Mcp implements AutoCloseable {

    /** A clock the test moves by hand. */
    static final class TestClock extends Clock {
        volatile Instant now = Instant.parse("2026-03-01T10:00:00Z");

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }

        void advance(java.time.Duration d) {
            now = now.plus(d);
        }
    }

    final TestTokens tokens;
    final FakeRegistry registry = new FakeRegistry();
    final FakeEvents events = new FakeEvents();
    final TestClock clock = new TestClock();
    final McpServer server;
    final String admin;

    Mcp(Path dir) {
        this(dir, Map.of(), 1_000_000);
    }

    /**
     * @param overrides configuration attributes by name (others keep their defaults)
     * @param requestLimit requests each subject may make
     */
    Mcp(Path dir, Map<String, Object> overrides, long requestLimit) {
        tokens = new TestTokens(dir);
        server = new McpServer(McpSettings.from(config(overrides)), tokens.service(),
                new FakeRateLimiter(requestLimit), tokens.audit::add, registry, events, events, "9.9.9-test", clock,
                false);
        registry.listeners.add(server.listener());
        admin = tokens.issue("admin-client", "*");
    }

    /** A configuration: the given attributes, every other one at its default. */
    static McpConfig config(Map<String, Object> overrides) {
        Map<String, Object> values = new HashMap<>(overrides);
        return (McpConfig) Proxy.newProxyInstance(Mcp.class.getClassLoader(), new Class<?>[] {McpConfig.class},
                (proxy, m, args) -> {
                    if (m.getName().equals("annotationType")) {
                        return McpConfig.class;
                    }
                    return values.containsKey(m.getName()) ? values.get(m.getName()) : m.getDefaultValue();
                });
    }

    Req post(String body) {
        return new Req("POST").body(body);
    }

    Req get() {
        return new Req("GET").accept("text/event-stream");
    }

    Req delete() {
        return new Req("DELETE");
    }

    /** A JSON-RPC request. */
    static String rpc(Object id, String method, String params) {
        String idJson = id instanceof String s ? "\"" + s + "\"" : String.valueOf(id);
        return "{\"jsonrpc\":\"2.0\",\"id\":" + idJson + ",\"method\":\"" + method + "\""
                + (params == null ? "" : ",\"params\":" + params) + "}";
    }

    static String notification(String method, String params) {
        return "{\"jsonrpc\":\"2.0\",\"method\":\"" + method + "\"" + (params == null ? "" : ",\"params\":" + params)
                + "}";
    }

    /** The _meta a 2026-07-28 request carries, as the body of a params object (without braces). */
    static String modernMeta() {
        return "\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\","
                + "\"io.modelcontextprotocol/clientCapabilities\":{},"
                + "\"io.modelcontextprotocol/clientInfo\":{\"name\":\"test\",\"version\":\"1\"}}";
    }

    /** A 2026-07-28 request with its headers: params members (without braces) plus the _meta. */
    Req modern(Object id, String method, String paramsMembers, String name) {
        String params = "{" + (paramsMembers == null || paramsMembers.isEmpty() ? "" : paramsMembers + ",")
                + modernMeta() + "}";
        Req r = post(rpc(id, method, params)).version("2026-07-28").header("Mcp-Method", method);
        return name == null ? r : r.header("Mcp-Name", name);
    }

    /** initialize on a revision; returns the session id. */
    String initialize(String token, String version) {
        FakeResponse r = post(rpc(1, "initialize", "{\"protocolVersion\":\"" + version + "\",\"capabilities\":{},"
                + "\"clientInfo\":{\"name\":\"test-client\",\"version\":\"1\"}}")).bearer(token).send();
        if (r.getStatus() != 200 || r.getHeader("Mcp-Session-Id") == null) {
            throw new AssertionError("initialize failed: " + r.getStatus() + " " + r.text());
        }
        return r.getHeader("Mcp-Session-Id");
    }

    @Override
    public void close() {
        server.close();
    }

    /** One request being built. */
    final class Req {
        final FakeRequest request;
        final FakeResponse response = new FakeResponse();

        Req(String method) {
            request = new FakeRequest(method, "/mcp");
            request.header("Accept", "application/json, text/event-stream");
            request.header("Authorization", "Bearer " + admin);
        }

        Req body(String json) {
            request.body("application/json", json);
            return this;
        }

        Req header(String name, String value) {
            request.header(name, value);
            return this;
        }

        Req bearer(String token) {
            return header("Authorization", token == null ? null : "Bearer " + token);
        }

        Req accept(String value) {
            return header("Accept", value);
        }

        Req version(String v) {
            return header("MCP-Protocol-Version", v);
        }

        Req session(String id) {
            return header("Mcp-Session-Id", id);
        }

        FakeResponse send() {
            try {
                server.servlet().service(request, response);
            } catch (Exception e) {
                throw new AssertionError(e);
            }
            return response;
        }

        /** Sends on another thread (for calls that block until a tool ends). */
        CompletableFuture<FakeResponse> sendAsync() {
            return CompletableFuture.supplyAsync(this::send);
        }
    }
}
