package io.toka.mcp.internal;

import static io.toka.mcp.internal.Mcp.rpc;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.toka.runtime.registry.InvalidArgumentsException;
import io.toka.security.RateLimitDecision;
import io.toka.security.RateLimitExceededException;
import io.toka.tool.Content;
import io.toka.tool.ToolResult;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** tools/list (what each token sees, pagination) and tools/call (how every outcome is mapped). */
class ToolsTest {

    private static final String SCHEMA = "{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\"}},"
            + "\"required\":[\"name\"]}";

    @TempDir
    Path dir;
    Mcp mcp;

    @BeforeEach
    void start() {
        mcp = new Mcp(dir, Map.of("pageSize", 2), 1_000_000);
        mcp.registry.tool(FakeRegistry.describe("hello").title("Hello").inputSchema(SCHEMA).readOnly(true)
                .idempotent(true).outputSchema("{\"type\":\"object\"}").build(),
                (args, obs) -> ToolResult.success("Hello, " + args.get("name") + "!", Map.of("greeted", args.get("name"))));
        mcp.registry.tool(FakeRegistry.describe("secret").requiredPermissions("vault:read").build(),
                (args, obs) -> ToolResult.success("the secret"));
        mcp.registry.tool(FakeRegistry.describe("delete-all").destructive(true).build(),
                (args, obs) -> ToolResult.success("gone"));
        mcp.registry.tool(FakeRegistry.describe("fails").build(), (args, obs) -> ToolResult.failure("it broke"));
    }

    @AfterEach
    void stop() {
        mcp.close();
    }

    private List<String> names(String token, String version) {
        List<String> names = new ArrayList<>();
        String cursor = null;
        do {
            String params = cursor == null ? "{}" : "{\"cursor\":\"" + cursor + "\"}";
            JsonNode result = mcp.post(rpc(1, "tools/list", params)).bearer(token).version(version).send().json()
                    .get("result");
            result.get("tools").forEach(t -> names.add(t.get("name").asText()));
            cursor = result.has("nextCursor") ? result.get("nextCursor").asText() : null;
        } while (cursor != null);
        return names;
    }

    @Test
    void eachTokenSeesOnlyTheToolsItMayCall() {
        String helloOnly = mcp.tokens.issue("hello-only", "tool:invoke:hello");
        String secretNoVault = mcp.tokens.issue("no-vault", "tool:invoke:secret", "tool:invoke:hello");
        String secretWithVault = mcp.tokens.issue("vault", "tool:invoke:*", "vault:read");
        assertThat(names(helloOnly, "2025-11-25")).containsExactly("hello");
        assertThat(names(secretNoVault, "2025-11-25")).as("a tool needing a permission the token lacks is hidden")
                .containsExactly("hello");
        assertThat(names(secretWithVault, "2025-11-25")).containsExactly("delete-all", "fails", "hello", "secret");
        assertThat(names(mcp.admin, "2025-11-25")).containsExactly("delete-all", "fails", "hello", "secret");
        assertThat(mcp.tokens.audit).as("listing decides nothing: no authorize record")
                .noneMatch(e -> e.action().equals("authorize") && e.subject().equals("hello-only"));
    }

    @Test
    void toolsAreDescribedForTheRevision() {
        JsonNode modern = mcp.post(rpc(1, "tools/list", "{\"cursor\":\"" + Cursors.after("fails") + "\"}"))
                .version("2025-11-25").send().json().at("/result/tools/0");
        assertThat(modern.get("name").asText()).isEqualTo("hello");
        assertThat(modern.get("title").asText()).isEqualTo("Hello");
        assertThat(modern.get("description").asText()).isEqualTo("The hello tool.");
        assertThat(modern.get("inputSchema").toString()).isEqualTo(SCHEMA);
        assertThat(modern.get("outputSchema").toString()).isEqualTo("{\"type\":\"object\"}");
        assertThat(modern.get("annotations").toString()).isEqualTo("{\"title\":\"Hello\",\"readOnlyHint\":true,"
                + "\"destructiveHint\":false,\"idempotentHint\":true,\"openWorldHint\":false}");
        assertThat(modern.get("_meta").toString())
                .isEqualTo("{\"io.toka/version\":\"1.0.0\",\"io.toka/provider\":\"test.tools\"}");

        JsonNode legacy = mcp.post(rpc(1, "tools/list", "{}")).send().json().at("/result/tools/0");
        assertThat(legacy.get("name").asText()).isEqualTo("delete-all");
        assertThat(legacy.has("title") || legacy.has("outputSchema") || legacy.has("_meta"))
                .as("2025-03-26 has none of these").isFalse();
        assertThat(legacy.at("/annotations/destructiveHint").asBoolean()).isTrue();
        assertThat(legacy.at("/inputSchema/type").asText()).isEqualTo("object");
    }

    @Test
    void pagesFollowTheirCursorsAndABadCursorIsInvalidParams() {
        JsonNode first = mcp.post(rpc(1, "tools/list", "{}")).version("2025-11-25").send().json().get("result");
        assertThat(first.get("tools")).hasSize(2);
        String cursor = first.get("nextCursor").asText();
        // a tool added between pages does not shift the second page
        mcp.registry.tool(FakeRegistry.describe("aaa").build(), (a, o) -> ToolResult.success(""));
        JsonNode second = mcp.post(rpc(2, "tools/list", "{\"cursor\":\"" + cursor + "\"}")).version("2025-11-25")
                .send().json().get("result");
        assertThat(second.get("tools")).extracting(t -> t.get("name").asText()).containsExactly("hello", "secret");
        assertThat(second.has("nextCursor")).isFalse();

        for (String bad : new String[] {"garbage!", "dG9rYTE6", "eHl6", "\"\""}) {
            FakeResponse r = mcp.post(rpc(3, "tools/list", "{\"cursor\":\"" + bad.replace("\"", "") + "\"}"))
                    .version("2025-11-25").send();
            assertThat(r.json().at("/error/code").asInt()).as(bad).isEqualTo(-32602);
        }
        assertThat(mcp.post(rpc(3, "tools/list", "{\"cursor\":5}")).send().json().at("/error/code").asInt())
                .isEqualTo(-32602);
    }

    @Test
    void aCallAnswersContentStructuredContentAndIsError() {
        JsonNode r = mcp.post(rpc(1, "tools/call", "{\"name\":\"hello\",\"arguments\":{\"name\":\"Ada\"}}"))
                .version("2025-06-18").send().json().get("result");
        // the serialized structured content follows as a text block, for clients that read only content
        assertThat(r.toString()).isEqualTo("{\"content\":[{\"type\":\"text\",\"text\":\"Hello, Ada!\"},"
                + "{\"type\":\"text\",\"text\":\"{\\\"greeted\\\":\\\"Ada\\\"}\"}],"
                + "\"structuredContent\":{\"greeted\":\"Ada\"},\"isError\":false}");
        JsonNode old = mcp.post(rpc(1, "tools/call", "{\"name\":\"hello\",\"arguments\":{\"name\":\"Ada\"}}"))
                .version("2025-03-26").send().json().get("result");
        assertThat(old.has("structuredContent")).as("2025-03-26 has no structured content").isFalse();
        assertThat(old.get("content")).as("nor its text block").hasSize(1);
        JsonNode failed = mcp.post(rpc(1, "tools/call", "{\"name\":\"fails\"}")).send().json().get("result");
        assertThat(failed.toString()).isEqualTo("{\"content\":[{\"type\":\"text\",\"text\":\"it broke\"}],"
                + "\"isError\":true}");
    }

    @Test
    void structuredContentGetsItsTextBlockOnlyWithoutExplicitContent() {
        mcp.registry.tool(FakeRegistry.describe("explicit").build(), (a, o) -> ToolResult.success("x", Map.of("n", 1))
                .withContent(List.of(Content.text("chosen"))));
        mcp.registry.tool(FakeRegistry.describe("already").build(), (a, o) -> ToolResult.success("{\"n\":1}",
                Map.of("n", 1)));
        JsonNode explicit = mcp.post(rpc(1, "tools/call", "{\"name\":\"explicit\"}")).version("2025-11-25").send()
                .json().at("/result/content");
        assertThat(explicit.toString()).isEqualTo("[{\"type\":\"text\",\"text\":\"chosen\"}]");
        JsonNode already = mcp.post(rpc(2, "tools/call", "{\"name\":\"already\"}")).version("2025-11-25").send()
                .json().at("/result/content");
        assertThat(already).as("the output is the serialized JSON already").hasSize(1);
    }

    @Test
    void everyKindOfContentBlockIsMapped() {
        mcp.registry.tool(FakeRegistry.describe("media").build(), (a, o) -> ToolResult.success("x").withContent(List.of(
                Content.text("t"), Content.image("aW1n", "image/png"), Content.audio("YXVk", "audio/wav"),
                new Content.ResourceLink("file:///a.txt", "a.txt", null, "A file", "text/plain", 3L),
                new Content.EmbeddedResource("file:///b.txt", "text/plain", "bee", null))));
        JsonNode content = mcp.post(rpc(1, "tools/call", "{\"name\":\"media\"}")).version("2025-11-25").send().json()
                .at("/result/content");
        assertThat(content.toString()).isEqualTo("[{\"type\":\"text\",\"text\":\"t\"},"
                + "{\"type\":\"image\",\"data\":\"aW1n\",\"mimeType\":\"image/png\"},"
                + "{\"type\":\"audio\",\"data\":\"YXVk\",\"mimeType\":\"audio/wav\"},"
                + "{\"type\":\"resource_link\",\"uri\":\"file:///a.txt\",\"name\":\"a.txt\",\"description\":\"A file\","
                + "\"mimeType\":\"text/plain\",\"size\":3},"
                + "{\"type\":\"resource\",\"resource\":{\"uri\":\"file:///b.txt\",\"mimeType\":\"text/plain\","
                + "\"text\":\"bee\"}}]");
        JsonNode old = mcp.post(rpc(1, "tools/call", "{\"name\":\"media\"}")).send().json().at("/result/content/3");
        assertThat(old.toString()).as("2025-03-26 has no resource_link")
                .isEqualTo("{\"type\":\"text\",\"text\":\"a.txt: file:///a.txt\"}");
    }

    /** Hostile: a token must not learn whether a tool it may not call exists. */
    @Test
    void aHiddenToolAndAMissingToolGiveIdenticalErrors() {
        String helloOnly = mcp.tokens.issue("prober", "tool:invoke:hello");
        String vaultless = mcp.tokens.issue("prober2", "tool:invoke:*");
        for (String version : new String[] {"2025-03-26", "2025-11-25"}) {
            String hidden = mcp.post(rpc(9, "tools/call", "{\"name\":\"delete-all\",\"arguments\":{}}"))
                    .bearer(helloOnly).version(version).send().text();
            String missing = mcp.post(rpc(9, "tools/call", "{\"name\":\"delete-allx\",\"arguments\":{}}"))
                    .bearer(helloOnly).version(version).send().text();
            String needsVault = mcp.post(rpc(9, "tools/call", "{\"name\":\"secret\",\"arguments\":{}}"))
                    .bearer(vaultless).version(version).send().text();
            String missing2 = mcp.post(rpc(9, "tools/call", "{\"name\":\"secreu\",\"arguments\":{}}"))
                    .bearer(vaultless).version(version).send().text();
            assertThat(hidden).isEqualTo(missing.replace("delete-allx", "delete-all"));
            assertThat(needsVault).isEqualTo(missing2.replace("secreu", "secret"));
            assertThat(hidden).isEqualTo(
                    "{\"jsonrpc\":\"2.0\",\"id\":9,\"error\":{\"code\":-32602,\"message\":\"Unknown tool: delete-all\"}}");
        }
        assertThat(mcp.registry.calls).as("neither ran").isEmpty();
    }

    @Test
    void invalidArgumentsAreAToolErrorNamingTheArgument() {
        mcp.registry.tool(FakeRegistry.describe("strict").inputSchema(SCHEMA).build(), (a, o) -> {
            throw new InvalidArgumentsException("strict", List.of("$.name: is missing but it is required"));
        });
        JsonNode r = mcp.post(rpc(1, "tools/call", "{\"name\":\"strict\",\"arguments\":{}}")).version("2025-11-25")
                .send().json().get("result");
        assertThat(r.get("isError").asBoolean()).isTrue();
        assertThat(r.at("/content/0/text").asText()).contains("name").contains("invalid arguments for tool 'strict'");
    }

    @Test
    void malformedCallParamsAreInvalidParams() {
        assertThat(mcp.post(rpc(1, "tools/call", "{}")).send().json().at("/error/code").asInt()).isEqualTo(-32602);
        assertThat(mcp.post(rpc(1, "tools/call", "{\"name\":3}")).send().json().at("/error/code").asInt())
                .isEqualTo(-32602);
        assertThat(mcp.post(rpc(1, "tools/call", "{\"name\":\"hello\",\"arguments\":[1]}")).send().json()
                .at("/error/code").asInt()).isEqualTo(-32602);
    }

    @Test
    void aToolCallRateLimitIsAJsonRpcErrorWithRetryAfter() {
        mcp.registry.limit = new RateLimitExceededException(new RateLimitDecision(false, 10, 0, 60, 12),
                "calls of tool 'hello'");
        FakeResponse r = mcp.post(rpc(4, "tools/call", "{\"name\":\"hello\",\"arguments\":{\"name\":\"x\"}}"))
                .version("2025-11-25").send();
        assertThat(r.getStatus()).as("a JSON-RPC error travels with 200").isEqualTo(200);
        assertThat(r.getHeader("Retry-After")).isEqualTo("12");
        assertThat(r.json().at("/error/code").asInt()).isEqualTo(-32000);
        assertThat(r.json().at("/error/data/retryAfterSeconds").asInt()).isEqualTo(12);
        assertThat(r.json().get("id").asInt()).isEqualTo(4);
    }

    @Test
    void aTokenRevokedBeforeTheCallIs401() {
        String token = mcp.tokens.issue("short", "tool:invoke:hello");
        String id = mcp.initialize(token, "2025-11-25");
        mcp.tokens.revoke(TransportTest.jti(token));
        FakeResponse r = mcp.post(rpc(2, "tools/call", "{\"name\":\"hello\",\"arguments\":{\"name\":\"x\"}}"))
                .bearer(token).session(id).send();
        assertThat(r.getStatus()).isEqualTo(401);
        assertThat(mcp.registry.calls).isEmpty();
    }

    @Test
    void viewsAreSharedByTokensWithTheSamePermissionsAndRefreshedOnChange() {
        String a = mcp.tokens.issue("a", "tool:invoke:hello");
        String b = mcp.tokens.issue("b", "tool:invoke:hello");
        assertThat(names(a, "2025-11-25")).containsExactly("hello");
        assertThat(names(b, "2025-11-25")).containsExactly("hello");
        mcp.registry.remove("hello");
        assertThat(names(b, "2025-11-25")).isEmpty();
    }
}
