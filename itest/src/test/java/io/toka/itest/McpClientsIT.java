package io.toka.itest;

import static org.awaitility.Awaitility.await;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.mcp.client.DefaultMcpClient;
import dev.langchain4j.mcp.client.McpCallContext;
import dev.langchain4j.mcp.client.transport.McpOperationHandler;
import dev.langchain4j.mcp.client.transport.McpTransport;
import dev.langchain4j.mcp.client.transport.http.StreamableHttpMcpTransport;
import dev.langchain4j.mcp.protocol.McpClientMessage;
import dev.langchain4j.mcp.protocol.McpInitializeRequest;
import dev.langchain4j.service.tool.ToolExecutionResult;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.spec.McpError;
import io.modelcontextprotocol.spec.McpSchema;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;

/**
 * Toka's MCP endpoint ({@code /mcp} on the HTTP port) driven by real MCP clients against the real distribution
 * (bin/start, the example hello-tool jar in deploy/): the MCP Java SDK client (2025-11-25: initialize, list, call,
 * progress, cancel, list_changed after a deploy, a narrow token's view), the LangChain4j MCP client, the MCP
 * Inspector CLI (tools/list and tools/call, on the 2025-11-25 and the 2026-07-28 revision), and the bin/toka-mcp
 * stdio bridge. Not Pax Exam: every client talks to the product over its socket, as a user's would. A client that
 * cannot run fails its test.
 */
public class McpClientsIT {

    private static final int PORT = Integer.getInteger("toka.mcp.http.port", 28481);
    private static final int SSH_PORT = Integer.getInteger("toka.mcp.ssh.port", 28401);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** What hello answers (its output names the jar's Bundle-Version). */
    private static final String HELLO_SDK = "Hello, sdk! (hello 1.0.0)";

    private static Distribution toka;
    private static com.sun.net.httpserver.HttpServer llm;
    private static final List<String> LLM_REQUESTS = new CopyOnWriteArrayList<>();

    @BeforeClass
    public static void startToka() throws Exception {
        toka = Distribution.unpack("mcp-clients", PORT, SSH_PORT);
        Path home = toka.home();
        // each test is one subject making a handful of HTTP requests in a burst: measure the protocol, not the limiter
        Files.writeString(home.resolve("etc/io.toka.ratelimit.cfg"), "\nrequestsPerMinute = 100000\nburst = 10000\n",
                java.nio.file.StandardOpenOption.APPEND);
        // the agents' model: a scripted OpenAI-compatible endpoint in this JVM, so toka-agent-run works offline
        llm = fakeLlm();
        Files.writeString(home.resolve("etc/io.toka.llm.cfg"), "\nprovider = openai\nbaseUrl = http://127.0.0.1:"
                + llm.getAddress().getPort() + "\napiKey = itest-key\nmodel = fake-model\n",
                java.nio.file.StandardOpenOption.APPEND);
        Path deploy = home.resolve("deploy");
        Files.createDirectories(deploy);
        Files.copy(Path.of(System.getProperty("toka.hello.jar")), deploy.resolve("hello-tool.jar"));
        toka.start();
        String admin = toka.adminToken();
        // the hello-tool bundle is live once hello answers over REST
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).until(() ->
                toka.send("GET", "/api/v1/tools/hello", admin, null).statusCode() == 200);
    }

    @AfterClass
    public static void stopToka() throws Exception {
        if (toka != null) {
            toka.stop();
        }
        if (llm != null) {
            llm.stop(0);
        }
    }

    /**
     * Answers every chat completion with a final answer carrying a success verdict (the agent runtime's format), and
     * counts the requests.
     */
    private static com.sun.net.httpserver.HttpServer fakeLlm() throws IOException {
        com.sun.net.httpserver.HttpServer server = com.sun.net.httpserver.HttpServer.create(
                new java.net.InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", exchange -> {
            byte[] body = exchange.getRequestBody().readAllBytes();
            boolean ok = exchange.getRequestURI().getPath().endsWith("/chat/completions")
                    && "Bearer itest-key".equals(exchange.getRequestHeaders().getFirst("Authorization"));
            if (ok) {
                LLM_REQUESTS.add(new String(body, java.nio.charset.StandardCharsets.UTF_8));
            }
            com.fasterxml.jackson.databind.node.ObjectNode out = JSON.createObjectNode();
            out.put("id", "chatcmpl-" + LLM_REQUESTS.size()).put("object", "chat.completion").put("model", "fake-model");
            com.fasterxml.jackson.databind.node.ObjectNode choice = out.putArray("choices").addObject();
            choice.put("index", 0).put("finish_reason", "stop");
            choice.putObject("message").put("role", "assistant")
                    .put("content", "Done.\n{\"verdict\":\"success\",\"summary\":\"summarised by the fake model\"}");
            out.putObject("usage").put("prompt_tokens", 50).put("completion_tokens", 10).put("total_tokens", 60);
            byte[] reply = ok ? JSON.writeValueAsBytes(out)
                    : "{\"error\":{\"message\":\"not here\"}}".getBytes(java.nio.charset.StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(ok ? 200 : 404, reply.length);
            exchange.getResponseBody().write(reply);
            exchange.close();
        });
        server.start();
        return server;
    }

    // ------------------------------------------------------------------ MCP Java SDK, 2025-11-25

    @Test
    public void sdkInitializesListsAndCalls() throws Exception {
        Sdk sdk = sdk(toka.adminToken());
        try (McpSyncClient client = sdk.client) {
            McpSchema.InitializeResult init = client.initialize();
            assertEquals("2025-11-25", init.protocolVersion());
            assertEquals("toka", init.serverInfo().name());
            assertNotNull("the server offers tools", init.capabilities().tools());
            assertEquals("the server says when its tool list changes", Boolean.TRUE,
                    init.capabilities().tools().listChanged());

            Set<String> names = names(client.listTools());
            assertTrue(names.toString(), names.containsAll(Set.of("hello", "countdown")));
            McpSchema.Tool hello = client.listTools().tools().stream().filter(t -> t.name().equals("hello"))
                    .findFirst().orElseThrow();
            assertEquals("Greets someone by name.", hello.description());
            assertEquals(String.valueOf(hello.inputSchema()), "object", hello.inputSchema().get("type"));

            McpSchema.CallToolResult r = client.callTool(new McpSchema.CallToolRequest("hello", Map.of("name", "sdk")));
            assertFalse(String.valueOf(r), Boolean.TRUE.equals(r.isError()));
            assertEquals(HELLO_SDK, text(r));

            // invalid arguments are the tool's error (isError), not a protocol error
            McpSchema.CallToolResult bad = client.callTool(new McpSchema.CallToolRequest("hello", Map.of("name", "")));
            assertEquals(String.valueOf(bad), Boolean.TRUE, bad.isError());
        }
    }

    @Test
    public void sdkReceivesProgressOfACountdown() throws Exception {
        Sdk sdk = sdk(toka.adminToken());
        try (McpSyncClient client = sdk.client) {
            McpSchema.InitializeResult init = client.initialize();
            assertNotNull("the server offers logging", init.capabilities().logging());
            client.setLoggingLevel(McpSchema.LoggingLevel.INFO);
            McpSchema.CallToolResult r = client.callTool(McpSchema.CallToolRequest.builder()
                    .name("countdown").arguments(Map.of("steps", 5, "delayMs", 20)).progressToken("count-5").build());
            assertFalse(String.valueOf(r), Boolean.TRUE.equals(r.isError()));
            assertEquals("Counted down 5 steps.", text(r));
            assertEquals("the structured result under the tool's output schema", Map.of("steps", 5),
                    r.structuredContent());
            await().atMost(Duration.ofSeconds(5)).until(() -> sdk.progress("count-5").size() >= 5);
            List<McpSchema.ProgressNotification> seen = sdk.progress("count-5");
            assertEquals("one notification per step: " + seen, 5, seen.size());
            for (int i = 1; i < seen.size(); i++) {
                assertTrue("progress only increases: " + seen, seen.get(i).progress() > seen.get(i - 1).progress());
            }
            assertEquals(Double.valueOf(5), seen.get(seen.size() - 1).total());
            assertTrue("no progress for a token the client did not send: " + sdk.progressNotifications,
                    sdk.progressNotifications.stream().allMatch(p -> "count-5".equals(p.progressToken())));
            assertEquals("step 1 of 5", seen.get(0).message());
            await().atMost(Duration.ofSeconds(5)).until(() -> sdk.logs.size() >= 5);
            assertTrue(String.valueOf(sdk.logs), sdk.logs.stream().anyMatch(l -> l.level() == McpSchema.LoggingLevel.INFO
                    && String.valueOf(l.data()).contains("countdown: step 5 of 5, 0 to go")));
        }
    }

    @Test
    public void sdkCancelEndsALongCountdownEarly() throws Exception {
        String token = toka.mintToken("mcp-cancel", List.of("tool:invoke:countdown"), 600);
        Sdk sdk = sdk(token);
        try (McpSyncClient client = sdk.client) {
            client.initialize();
            int steps = 100;
            int delayMs = 500; // 50 s if nothing stops it
            CompletableFuture<McpSchema.CallToolResult> call = CompletableFuture.supplyAsync(() -> client.callTool(
                    McpSchema.CallToolRequest.builder().name("countdown")
                            .arguments(Map.of("steps", steps, "delayMs", delayMs)).progressToken("long").build()));
            await().atMost(Duration.ofSeconds(20)).until(() -> !sdk.progress("long").isEmpty());
            Object requestId = sdk.requestIdOf("tools/call").orElseThrow();

            // the SDK 2.1.0 has no cancel call: the client sends notifications/cancelled over its own transport
            // (the same session), as the specification's cancellation utility says a client does
            sdk.transport.sendMessage(new McpSchema.JSONRPCNotification("2.0", "notifications/cancelled",
                    Map.of("requestId", requestId, "reason", "the test has seen enough"))).block(Duration.ofSeconds(10));

            // the server stops the call: it is recorded as a failed countdown call of this subject, well before the
            // 50 s it would take, and no progress follows
            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200)).until(() ->
                    !toka.events("kind=tool.invoked&subject=mcp-cancel").isEmpty());
            JsonNode invoked = toka.events("kind=tool.invoked&subject=mcp-cancel").get(0).get("payload");
            assertEquals(invoked.toString(), "countdown", invoked.get("tool").asText());
            assertFalse(invoked.toString(), invoked.get("success").asBoolean());
            assertEquals(invoked.toString(), "cancelled", invoked.path("outcome").asText());
            assertTrue(invoked.toString(), invoked.get("durationMs").asLong() < (long) steps * delayMs / 2);
            int progressAtEnd = sdk.progress("long").size();
            assertTrue("stopped early: " + progressAtEnd + " of " + steps + " steps", progressAtEnd < steps / 2);
            // a cancelled request gets no result (the receiver SHOULD NOT answer it); if the client hears anything,
            // it is not a success
            try {
                McpSchema.CallToolResult r = call.get(2, TimeUnit.SECONDS);
                assertEquals("a cancelled call is no success: " + r, Boolean.TRUE, r.isError());
            } catch (java.util.concurrent.TimeoutException expected) {
                call.cancel(true);
            } catch (java.util.concurrent.ExecutionException expected) {
                // the server ended the request's stream, or answered with an error
            }
            // the session is still usable
            assertTrue(names(client.listTools()).contains("countdown"));
        }
    }

    @Test
    public void sdkHearsListChangedWhenAToolIsDeployedAndRemoved() throws Exception {
        List<Set<String>> changes = new CopyOnWriteArrayList<>();
        Sdk sdk = sdk(toka.adminToken(), spec -> spec.toolsChangeConsumer(tools ->
                changes.add(tools.stream().map(McpSchema.Tool::name).collect(Collectors.toCollection(TreeSet::new)))));
        McpSyncClient client = sdk.client;
        Path deploy = toka.home().resolve("deploy");
        Path manifest = deploy.resolve("mcp-added.tool.yaml");
        try (client) {
            client.initialize();
            assertFalse(names(client.listTools()).contains("mcp-added"));
            // the client opens its GET stream (server-to-client messages) after initialize
            await().atMost(Duration.ofSeconds(10)).until(() -> sdk.requests.stream().anyMatch(r -> r.method.equals("GET")));
            client.ping(); // one round trip after the GET went out

            Path script = deploy.resolve("mcp-added.sh");
            Files.writeString(script, "#!/bin/sh\necho added\n");
            Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
            Path staged = Files.createTempFile(toka.home(), "mcp-added", ".yaml.tmp");
            Files.writeString(staged, """
                    name: mcp-added
                    description: Added while an MCP client was connected
                    executable: mcp-added.sh
                    parameters:
                      - {name: text, type: string, description: what to echo, required: false}
                    """);
            Files.move(staged, manifest, StandardCopyOption.ATOMIC_MOVE);
            await().atMost(Duration.ofSeconds(1)).pollInterval(Duration.ofMillis(10))
                    .until(() -> changes.stream().anyMatch(c -> c.contains("mcp-added")));
            assertTrue(names(client.listTools()).contains("mcp-added"));

            int before = changes.size();
            Files.delete(manifest);
            await().atMost(Duration.ofSeconds(1)).pollInterval(Duration.ofMillis(10))
                    .until(() -> changes.size() > before && !changes.get(changes.size() - 1).contains("mcp-added"));
            assertFalse(names(client.listTools()).contains("mcp-added"));
        } finally {
            Files.deleteIfExists(manifest);
        }
    }

    // ------------------------------------------------------------------ the event log as resources, agents as tools

    @Test
    public void sdkReadsTheEventLogAsAResourceAfterACall() throws Exception {
        String token = toka.mintToken("mcp-events", List.of("tool:invoke:hello", "event:read"), 600);
        Sdk sdk = sdk(token);
        try (McpSyncClient client = sdk.client) {
            McpSchema.InitializeResult init = client.initialize();
            assertNotNull("the server offers resources", init.capabilities().resources());
            assertEquals(Boolean.TRUE, init.capabilities().resources().subscribe());
            List<McpSchema.ResourceTemplate> templates = client.listResourceTemplates().resourceTemplates();
            assertTrue(String.valueOf(templates), templates.stream()
                    .anyMatch(t -> t.uriTemplate().equals("toka://events{?kind,subject,limit}")));
            assertTrue(client.listResources().resources().stream().anyMatch(r -> r.uri().equals("toka://events")));

            McpSchema.CallToolResult r = client.callTool(new McpSchema.CallToolRequest("hello", Map.of("name", "sdk")));
            assertFalse(String.valueOf(r), Boolean.TRUE.equals(r.isError()));
            String uri = "toka://events?kind=tool.invoked&subject=mcp-events&limit=5";
            // events are written by a batched group commit: the call's event shows up shortly after its answer
            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200)).until(() ->
                    !eventsIn(client.readResource(new McpSchema.ReadResourceRequest(uri))).isEmpty());
            McpSchema.ReadResourceResult read = client.readResource(new McpSchema.ReadResourceRequest(uri));
            McpSchema.TextResourceContents text = (McpSchema.TextResourceContents) read.contents().get(0);
            assertEquals(uri, text.uri());
            assertEquals("application/json", text.mimeType());
            JsonNode events = eventsIn(read);
            JsonNode last = events.get(events.size() - 1);
            assertEquals(last.toString(), "tool.invoked", last.get("kind").asText());
            assertEquals(last.toString(), "hello", last.at("/payload/tool").asText());

            McpError bad = expectError(() -> client.readResource(new McpSchema.ReadResourceRequest(
                    "toka://events?limit=9999")));
            assertEquals(bad.toString(), -32602, (long) bad.getJsonRpcError().code());
        }
    }

    @Test
    public void aTokenWithoutEventReadFindsNoEventLog() throws Exception {
        Sdk sdk = sdk(toka.mintToken("mcp-no-events", List.of("tool:invoke:hello"), 600));
        try (McpSyncClient client = sdk.client) {
            client.initialize();
            assertTrue(client.listResourceTemplates().resourceTemplates().isEmpty());
            McpError denied = expectError(() -> client.readResource(new McpSchema.ReadResourceRequest(
                    "toka://events?kind=tool.invoked")));
            McpError unknown = expectError(() -> client.readResource(new McpSchema.ReadResourceRequest(
                    "toka://nothing-here")));
            assertEquals("the same answer as for a resource that does not exist", unknown.getJsonRpcError().toString()
                    .replace("toka://nothing-here", "<uri>"), denied.getJsonRpcError().toString()
                    .replace("toka://events?kind=tool.invoked", "<uri>"));
            assertEquals(-32002L, (long) denied.getJsonRpcError().code());
        }
    }

    @Test
    public void sdkHearsAnUpdateOfASubscribedEventQuery() throws Exception {
        String token = toka.mintToken("mcp-watch", List.of("tool:invoke:hello", "event:read"), 600);
        List<List<McpSchema.ResourceContents>> updates = new CopyOnWriteArrayList<>();
        Sdk sdk = sdk(token, spec -> spec.resourcesUpdateConsumer(updates::add));
        try (McpSyncClient client = sdk.client) {
            client.initialize();
            String uri = "toka://events?kind=tool.invoked&subject=mcp-watch";
            client.subscribeResource(new McpSchema.SubscribeRequest(uri));
            client.callTool(new McpSchema.CallToolRequest("hello", Map.of("name", "sdk")));
            // the SDK reads the resource again when told it was updated, and hands over what it read
            await().atMost(Duration.ofSeconds(20)).until(() -> !updates.isEmpty());
            McpSchema.TextResourceContents text = (McpSchema.TextResourceContents) updates.get(0).get(0);
            assertEquals(uri, text.uri());
            assertTrue(text.text(), text.text().contains("\"tool\":\"hello\""));
        }
    }

    @Test
    public void theAgentToolsAreSeenOnlyWithAgentPermissions() throws Exception {
        Sdk admin = sdk(toka.adminToken());
        try (McpSyncClient client = admin.client) {
            client.initialize();
            Set<String> names = names(client.listTools());
            assertTrue(names.toString(), names.containsAll(Set.of("toka-agents-list", "toka-agent-run")));
            McpSchema.CallToolResult list = client.callTool(new McpSchema.CallToolRequest("toka-agents-list",
                    Map.of()));
            assertFalse(String.valueOf(list), Boolean.TRUE.equals(list.isError()));
            assertNotNull(String.valueOf(list), list.structuredContent());
        }
        Sdk narrow = sdk(toka.mintToken("mcp-no-agents", List.of("tool:invoke:*"), 600));
        try (McpSyncClient client = narrow.client) {
            client.initialize();
            Set<String> names = names(client.listTools());
            assertFalse(names.toString(), names.contains("toka-agents-list") || names.contains("toka-agent-run"));
            assertEquals("an agent tool without agent:run looks like no tool", failureOf(client, "no-such-tool",
                    Map.of()), failureOf(client, "toka-agent-run", Map.of("agent", "anything")));
        }
        Sdk reader = sdk(toka.mintToken("mcp-agent-reader", List.of("agent:read"), 600));
        try (McpSyncClient client = reader.client) {
            client.initialize();
            assertEquals(Set.of("toka-agents-list"), names(client.listTools()));
        }
    }

    @Test
    public void sdkRunsAnAgentThroughTheAgentTool() throws Exception {
        Sdk sdk = sdk(toka.adminToken());
        try (McpSyncClient client = sdk.client) {
            client.initialize();
            McpSchema.CallToolResult r = client.callTool(McpSchema.CallToolRequest.builder().name("toka-agent-run")
                    .arguments(Map.of("agent", "workspace-summarizer")).progressToken("agent").build());
            assertFalse(String.valueOf(r), Boolean.TRUE.equals(r.isError()));
            assertTrue(text(r), text(r).startsWith("Agent workspace-summarizer completed"));
            @SuppressWarnings("unchecked")
            Map<String, Object> structured = (Map<String, Object>) r.structuredContent();
            assertEquals(String.valueOf(structured), "COMPLETED", structured.get("state"));
            assertFalse("the agent asked the (fake) model", LLM_REQUESTS.isEmpty());
            assertTrue("the model saw the agent's task: " + LLM_REQUESTS.get(0),
                    LLM_REQUESTS.get(0).contains("summary.md"));

            McpSchema.CallToolResult unknown = client.callTool(new McpSchema.CallToolRequest("toka-agent-run",
                    Map.of("agent", "no-such-agent")));
            assertEquals(String.valueOf(unknown), Boolean.TRUE, unknown.isError());
        }
    }

    @Test
    public void aTokenForHelloSeesOnlyHelloAndCountdownLooksLikeNoTool() throws Exception {
        String token = toka.mintToken("mcp-hello-only", List.of("tool:invoke:hello"), 600);
        Sdk sdk = sdk(token);
        try (McpSyncClient client = sdk.client) {
            client.initialize();
            assertEquals(Set.of("hello"), names(client.listTools()));
            assertEquals(HELLO_SDK, text(client.callTool(new McpSchema.CallToolRequest("hello", Map.of("name", "sdk")))));

            String refused = failureOf(client, "countdown", Map.of("steps", 1, "delayMs", 0));
            String missing = failureOf(client, "no-such-tool-xyz", Map.of("steps", 1, "delayMs", 0));
            assertEquals("a tool the token may not call is indistinguishable from a tool that does not exist",
                    missing, refused);
        }
        assertTrue("countdown never ran for this subject",
                toka.events("kind=tool.invoked&subject=mcp-hello-only").stream()
                        .noneMatch(e -> e.get("payload").get("tool").asText().equals("countdown")));
    }

    @Test
    public void withoutATokenTheEndpointAnswers401() throws Exception {
        Sdk sdk = sdk("not-a-token");
        try (McpSyncClient client = sdk.client) {
            client.initialize();
            fail("initialize without a valid token succeeded");
        } catch (RuntimeException expected) {
            // the SDK reports the 401 as a transport error
        }
        java.net.http.HttpResponse<String> r = java.net.http.HttpClient.newHttpClient().send(
                java.net.http.HttpRequest.newBuilder(java.net.URI.create(mcpUrl()))
                        .header("Content-Type", "application/json").header("Accept", "application/json, text/event-stream")
                        .POST(java.net.http.HttpRequest.BodyPublishers.ofString(
                                "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertEquals(r.body(), 401, r.statusCode());
        assertTrue(r.headers().toString(), r.headers().firstValue("WWW-Authenticate").orElse("").startsWith("Bearer"));
    }

    // ------------------------------------------------------------------ LangChain4j MCP client

    /**
     * LangChain4j's MCP client (langchain4j-mcp 1.18.1-beta28 from langchain4j-bom 1.18.1, the newest that
     * resolves) knows 2025-11-25 at most: it sends initialize, never server/discover.
     */
    @Test
    public void langChain4jListsAndExecutesHello() throws Exception {
        RecordingTransport transport = new RecordingTransport(new StreamableHttpMcpTransport.Builder()
                .url(mcpUrl()).customHeaders(Map.of("Authorization", "Bearer " + toka.adminToken()))
                .timeout(Duration.ofSeconds(30)).build());
        try (DefaultMcpClient client = new DefaultMcpClient.Builder().key("toka").clientName("toka-itest-langchain4j")
                .transport(transport).initializationTimeout(Duration.ofSeconds(30))
                .toolExecutionTimeout(Duration.ofSeconds(30)).build()) {
            JsonNode init = transport.initializeResponse.get();
            assertNotNull("the client initialized", init);
            String negotiated = init.path("result").path("protocolVersion").asText();
            System.out.println("LangChain4j MCP client negotiated protocol revision " + negotiated);
            assertEquals(init.toString(), "2025-11-25", negotiated);
            assertEquals("toka", init.path("result").path("serverInfo").path("name").asText());

            List<String> names = client.listTools().stream().map(ToolSpecification::name).toList();
            assertTrue(names.toString(), names.contains("hello"));
            ToolSpecification hello = client.listTools().stream().filter(t -> t.name().equals("hello")).findFirst()
                    .orElseThrow();
            assertTrue(String.valueOf(hello.parameters()), hello.parameters().properties().containsKey("name"));

            ToolExecutionResult r = client.executeTool(ToolExecutionRequest.builder().id("1").name("hello")
                    .arguments("{\"name\":\"lc4j\"}").build());
            assertFalse(String.valueOf(r), r.isError());
            // LangChain4j hands the model the structured content when a result has one (hello's is
            // {"greeting", "version"}), else the text
            JsonNode structured = JSON.readTree(r.resultText());
            assertEquals(r.resultText(), "Hello, lc4j! (hello 1.0.0)", structured.path("greeting").asText());
            assertEquals(r.resultText(), "1.0.0", structured.path("version").asText());
        }
    }

    /** Passes every operation to LangChain4j's transport and keeps the server's initialize response. */
    private static final class RecordingTransport implements McpTransport {
        final McpTransport delegate;
        final AtomicReference<JsonNode> initializeResponse = new AtomicReference<>();

        RecordingTransport(McpTransport delegate) {
            this.delegate = delegate;
        }

        @Override
        public void start(McpOperationHandler handler) {
            delegate.start(handler);
        }

        @Override
        public CompletableFuture<JsonNode> initialize(McpInitializeRequest request) {
            return delegate.initialize(request).thenApply(r -> {
                initializeResponse.set(r);
                return r;
            });
        }

        @Override
        public CompletableFuture<JsonNode> executeOperationWithResponse(McpClientMessage message) {
            return delegate.executeOperationWithResponse(message);
        }

        @Override
        public CompletableFuture<JsonNode> executeOperationWithResponse(McpCallContext context) {
            return delegate.executeOperationWithResponse(context);
        }

        @Override
        public void executeOperationWithoutResponse(McpClientMessage message) {
            delegate.executeOperationWithoutResponse(message);
        }

        @Override
        public void executeOperationWithoutResponse(McpCallContext context) {
            delegate.executeOperationWithoutResponse(context);
        }

        @Override
        public void checkHealth() {
            delegate.checkHealth();
        }

        @Override
        public void onFailure(Runnable action) {
            delegate.onFailure(action);
        }

        @Override
        public void close() throws IOException {
            delegate.close();
        }
    }

    // ------------------------------------------------------------------ MCP Inspector CLI

    @Test
    public void inspectorCliListsAndCallsOn2025_11_25() throws Exception {
        inspector("legacy");
    }

    @Test
    public void inspectorCliListsAndCallsOn2026_07_28() throws Exception {
        inspector("modern");
    }

    /**
     * Runs itest/src/test/scripts/inspector.sh (npx @modelcontextprotocol/inspector --cli, installing a Node it
     * accepts if the machine's is too old) with a token for hello only, and reads its JSON lines.
     */
    private void inspector(String era) throws Exception {
        Path tokenFile = Files.createTempFile(toka.home(), "inspector", ".token",
                java.nio.file.attribute.PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(tokenFile, toka.mintToken("mcp-inspector-" + era, List.of("tool:invoke:hello"), 600));
        Path script = Path.of("src/test/scripts/inspector.sh").toAbsolutePath();
        Path out = toka.home().resolve("inspector-" + era + ".out");
        Path err = toka.home().resolve("inspector-" + era + ".err");
        Process p = new ProcessBuilder("bash", script.toString(), mcpUrl(), tokenFile.toString(), era)
                .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        p.getOutputStream().close();
        if (!p.waitFor(8, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            fail("inspector.sh " + era + " did not finish:\n" + Files.readString(err));
        }
        String stdout = Files.readString(out);
        String diagnostics = "exit " + p.exitValue() + "\nstdout:\n" + stdout + "\nstderr:\n" + Files.readString(err);
        assertEquals(diagnostics, 0, p.exitValue());
        List<JsonNode> results = new ArrayList<>();
        for (String line : stdout.split("\n")) {
            if (line.startsWith("{")) {
                results.add(JSON.readTree(line).get("result"));
            }
        }
        assertEquals(diagnostics, 2, results.size());
        Set<String> listed = new TreeSet<>();
        results.get(0).get("tools").forEach(t -> listed.add(t.get("name").asText()));
        assertEquals(diagnostics, Set.of("hello"), listed);
        JsonNode call = results.get(1);
        assertFalse(diagnostics, call.path("isError").asBoolean(false));
        assertEquals(diagnostics, "Hello, ci! (hello 1.0.0)", call.get("content").get(0).get("text").asText());
        if (era.equals("modern")) {
            // 2026-07-28 has no initialize: the server names itself in each result's _meta
            assertEquals(diagnostics, "toka",
                    call.path("_meta").path("io.modelcontextprotocol/serverInfo").path("name").asText());
        }
    }

    // ------------------------------------------------------------------ the stdio bridge

    @Test
    public void stdioBridgeInitializesListsAndCalls() throws Exception {
        Path bridge = toka.home().resolve("bin/toka-mcp");
        assertTrue("the distribution has bin/toka-mcp", Files.isExecutable(bridge));
        ProcessBuilder pb = new ProcessBuilder(bridge.toString(), "--url", mcpUrl()).directory(toka.home().toFile())
                .redirectError(toka.home().resolve("toka-mcp.err").toFile());
        pb.environment().put("TOKA_TOKEN_FILE", toka.adminTokenFile().toString());
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        Process p = pb.start();
        try (var in = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
             var outStream = p.getOutputStream()) {
            JsonNode init = stdioRequest(outStream, in, 1, "initialize", "{\"protocolVersion\":\"2025-11-25\","
                    + "\"capabilities\":{},\"clientInfo\":{\"name\":\"toka-itest\",\"version\":\"1\"}}");
            assertEquals(init.toString(), "2025-11-25", init.path("result").path("protocolVersion").asText());
            outStream.write("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}\n".getBytes(StandardCharsets.UTF_8));
            outStream.flush();
            JsonNode list = stdioRequest(outStream, in, 2, "tools/list", "{}");
            Set<String> names = new TreeSet<>();
            list.path("result").path("tools").forEach(t -> names.add(t.get("name").asText()));
            assertTrue(list.toString(), names.containsAll(Set.of("hello", "countdown")));
            JsonNode call = stdioRequest(outStream, in, 3, "tools/call", "{\"name\":\"hello\",\"arguments\":{\"name\":\"stdio\"}}");
            assertFalse(call.toString(), call.path("result").path("isError").asBoolean(false));
            assertEquals(call.toString(), "Hello, stdio! (hello 1.0.0)",
                    call.path("result").path("content").get(0).path("text").asText());
        } finally {
            p.destroy();
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
    }

    /** Writes one request line and reads lines until the response with that id (skipping notifications). */
    private static JsonNode stdioRequest(java.io.OutputStream out, java.io.BufferedReader in, int id, String method,
            String params) throws Exception {
        out.write(("{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"method\":\"" + method + "\",\"params\":" + params + "}\n")
                .getBytes(StandardCharsets.UTF_8));
        out.flush();
        CompletableFuture<JsonNode> response = CompletableFuture.supplyAsync(() -> {
            try {
                String line;
                while ((line = in.readLine()) != null) {
                    JsonNode msg = JSON.readTree(line);
                    if (msg.has("id") && msg.get("id").asInt() == id) {
                        return msg;
                    }
                }
                throw new IllegalStateException("bin/toka-mcp closed stdout before answering " + method);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        return response.get(30, TimeUnit.SECONDS);
    }

    // ------------------------------------------------------------------ helpers

    private static String mcpUrl() {
        return "http://127.0.0.1:" + PORT + "/mcp";
    }

    /** One HTTP request the SDK made: its method, and the JSON-RPC method and id it carried (null for GET/DELETE). */
    private record SentRequest(String method, String rpcMethod, Object rpcId) {
    }

    /** An SDK client, its transport, and what it sent and heard. */
    private static final class Sdk {
        final List<SentRequest> requests = new CopyOnWriteArrayList<>();
        final List<McpSchema.ProgressNotification> progressNotifications = new CopyOnWriteArrayList<>();
        final List<McpSchema.LoggingMessageNotification> logs = new CopyOnWriteArrayList<>();
        HttpClientStreamableHttpTransport transport;
        McpSyncClient client;

        List<McpSchema.ProgressNotification> progress(Object token) {
            return progressNotifications.stream().filter(p -> token.equals(p.progressToken())).toList();
        }

        java.util.Optional<Object> requestIdOf(String rpcMethod) {
            return requests.stream().filter(r -> rpcMethod.equals(r.rpcMethod)).map(r -> r.rpcId)
                    .reduce((a, b) -> b);
        }
    }

    /**
     * The MCP Java SDK's sync client on its Streamable HTTP transport with the Bearer token, recording each HTTP
     * request it sends, and its progress and log notifications.
     */
    private static Sdk sdk(String token) {
        return sdk(token, spec -> { });
    }

    /** As {@link #sdk(String)}, with more settings on the client's spec before it is built. */
    private static Sdk sdk(String token, java.util.function.Consumer<McpClient.SyncSpec> more) {
        Sdk sdk = new Sdk();
        sdk.transport = HttpClientStreamableHttpTransport.builder("http://127.0.0.1:" + PORT).endpoint("/mcp")
                .connectTimeout(Duration.ofSeconds(5))
                .httpRequestCustomizer((builder, method, uri, body, context) -> {
                    builder.header("Authorization", "Bearer " + token);
                    String rpcMethod = null;
                    Object rpcId = null;
                    if (body != null && !body.isEmpty()) {
                        try {
                            JsonNode msg = JSON.readTree(body);
                            rpcMethod = msg.path("method").asText(null);
                            JsonNode id = msg.get("id");
                            rpcId = id == null ? null : id.isNumber() ? (Object) id.numberValue() : id.asText();
                        } catch (IOException e) {
                            throw new java.io.UncheckedIOException("the SDK sent a body that is not JSON: " + body, e);
                        }
                    }
                    sdk.requests.add(new SentRequest(method, rpcMethod, rpcId));
                })
                .build();
        McpClient.SyncSpec spec = McpClient.sync(sdk.transport)
                .clientInfo(new McpSchema.Implementation("toka-itest-sdk", "1.0.0"))
                .requestTimeout(Duration.ofSeconds(60))
                .initializationTimeout(Duration.ofSeconds(30))
                .progressConsumer(sdk.progressNotifications::add)
                .loggingConsumer(sdk.logs::add);
        more.accept(spec);
        sdk.client = spec.build();
        return sdk;
    }

    private static JsonNode eventsIn(McpSchema.ReadResourceResult r) {
        try {
            return JSON.readTree(((McpSchema.TextResourceContents) r.contents().get(0)).text()).get("events");
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static McpError expectError(Runnable call) {
        try {
            call.run();
        } catch (McpError e) {
            assertNotNull(e.toString(), e.getJsonRpcError());
            return e;
        }
        throw new AssertionError("the request succeeded");
    }

    private static Set<String> names(McpSchema.ListToolsResult r) {
        return r.tools().stream().map(McpSchema.Tool::name).collect(Collectors.toCollection(TreeSet::new));
    }

    private static String text(McpSchema.CallToolResult r) {
        assertFalse("the result has content: " + r, r.content().isEmpty());
        assertTrue(String.valueOf(r), r.content().get(0) instanceof McpSchema.TextContent);
        return ((McpSchema.TextContent) r.content().get(0)).text();
    }

    /**
     * How calling a tool fails, with the tool's name taken out: the JSON-RPC error's code and message, or the text of
     * an isError result. Fails the test if the call succeeds.
     */
    private static String failureOf(McpSyncClient client, String tool, Map<String, Object> args) {
        try {
            McpSchema.CallToolResult r = client.callTool(new McpSchema.CallToolRequest(tool, args));
            assertEquals(tool + " must not run: " + r, Boolean.TRUE, r.isError());
            return "isError: " + r.content().stream().map(c -> c instanceof McpSchema.TextContent t ? t.text()
                    : c.type()).collect(Collectors.joining("|")).replace(tool, "<tool>");
        } catch (McpError e) {
            McpSchema.JSONRPCResponse.JSONRPCError error = e.getJsonRpcError();
            assertNotNull(e.toString(), error);
            return "error " + error.code() + ": " + error.message().replace(tool, "<tool>")
                    + " data=" + String.valueOf(error.data()).replace(tool, "<tool>");
        }
    }

}
