package io.toka.mcp.internal;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.toka.tool.ToolResult;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;

/**
 * Fuzzes the MCP endpoint's JSON-RPC handling: any body POSTed to {@code /mcp} (a message, a batch, garbage), without
 * a session, in an initialized 2025-11-25 session, or with the 2026-07-28 headers, must be answered with a status
 * below 500 and, when the answer is JSON, with valid JSON; the servlet must never throw. The first character of an
 * input picks the mode ({@code 0}, {@code 1}, {@code 2}); the rest is the body.
 *
 * <p>{@code subscriptions/listen} is left out: it holds its stream open until the token is revoked, by design.
 */
class McpMessageFuzzTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Mcp MCP;
    private static final String SESSION;

    static {
        try {
            MCP = new Mcp(Files.createTempDirectory("toka-mcp-fuzz"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        MCP.registry.tool(FakeRegistry.describe("echo").inputSchema(
                "{\"type\":\"object\",\"properties\":{\"text\":{\"type\":\"string\"}}}").build(),
                (args, observer) -> ToolResult.success(String.valueOf(args.get("text"))));
        MCP.registry.tool(FakeRegistry.describe("fails").build(), (args, observer) -> ToolResult.failure("it broke"));
        SESSION = MCP.initialize(MCP.admin, "2025-11-25");
        // load and compile the common paths once, so that the first fuzz input is not charged with class loading
        MCP.post(Mcp.rpc(2, "tools/call", "{\"name\":\"echo\",\"arguments\":{\"text\":\"w\"}}")).session(SESSION)
                .version("2025-11-25").send();
        MCP.post("[{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/list\"}]").session(SESSION).version("2025-11-25")
                .send();
        MCP.post("{").send();
    }

    @FuzzTest(maxDuration = "30s")
    void post(byte[] input) {
        if (input.length == 0) {
            return;
        }
        char mode = (char) input[0];
        String body = new String(input, 1, input.length - 1, StandardCharsets.UTF_8);
        if (holdsAStream(body)) {
            return;
        }
        FuzzBounds.check("POST /mcp", () -> {
            Mcp.Req req = MCP.post(body);
            if (mode == '1') {
                req.session(SESSION).version("2025-11-25");
            } else if (mode == '2') {
                req.version("2026-07-28");
            }
            FakeResponse r = req.send();
            if (r.getStatus() >= 500) {
                throw new AssertionError("HTTP " + r.getStatus() + " for " + body + ": " + r.text());
            }
            String type = r.getContentType();
            if (type != null && type.startsWith("application/json") && !r.text().isEmpty()) {
                try {
                    JSON.readTree(r.text());
                } catch (IOException e) {
                    throw new AssertionError("an answer that is not JSON: " + r.text(), e);
                }
            }
        });
    }

    /** Whether the body asks for subscriptions/listen anywhere (a message or a batch member). */
    private static boolean holdsAStream(String body) {
        JsonNode root;
        try {
            root = JSON.readTree(body);
        } catch (IOException e) {
            return false;
        }
        return root != null && (root.isArray() ? root : JSON.createArrayNode().add(root)).findValues("method")
                .stream().anyMatch(m -> m.isTextual() && m.textValue().equals("subscriptions/listen"));
    }
}
