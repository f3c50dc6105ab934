package io.toka.mcp.stdio;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The real bridge as a child process, over stdio, against {@link FakeMcpServer}. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class BridgeTest {

    static final String INITIALIZE = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{"
            + "\"protocolVersion\":\"2025-11-25\",\"capabilities\":{},\"clientInfo\":{\"name\":\"test-client\","
            + "\"version\":\"1.0\"}}}";
    static final String INITIALIZED = "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}";
    static final Duration EXIT = Duration.ofSeconds(20);

    @TempDir
    Path dir;
    FakeMcpServer server;
    Path tokenFile;

    @BeforeEach
    void start() throws IOException {
        server = new FakeMcpServer();
        tokenFile = tokenFile(server.token);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void forwardsASessionLineByLineAndEndsItAtEndOfInput() throws Exception {
        try (BridgeProcess bridge = bridge("--token-file", tokenFile.toString())) {
            bridge.send(INITIALIZE);
            Map<String, Object> init = bridge.response(1);
            assertThat(Json.member(init.get("result"), "protocolVersion")).isEqualTo("2025-11-25");
            FakeMcpServer.Exchange initPost = server.await("POST", "initialize");
            assertThat(initPost.header("Authorization")).isEqualTo("Bearer " + server.token);
            assertThat(initPost.header("Content-Type")).startsWith("application/json");
            assertThat(initPost.header("Accept")).contains("application/json").contains("text/event-stream");
            assertThat(initPost.header("MCP-Protocol-Version")).as("not before it is negotiated").isNull();
            assertThat(initPost.header("Mcp-Session-Id")).isNull();
            String session = server.sessions.iterator().next();

            bridge.send(INITIALIZED);
            FakeMcpServer.Exchange initialized = server.await("POST", "notifications/initialized");
            assertThat(initialized.header("Mcp-Session-Id")).isEqualTo(session);
            assertThat(initialized.header("MCP-Protocol-Version")).isEqualTo("2025-11-25");

            // the session's GET stream opens after initialized, and its notification comes out as one line
            FakeMcpServer.Exchange get = server.await("GET", null);
            assertThat(get.header("Mcp-Session-Id")).isEqualTo(session);
            assertThat(get.header("Accept")).contains("text/event-stream");
            bridge.notification("notifications/tools/list_changed");

            bridge.send("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\"}");
            Map<String, Object> list = bridge.response(2);
            assertThat(Json.write(list.get("result"))).contains("\"echo\"");
            FakeMcpServer.Exchange listPost = server.await("POST", "tools/list");
            assertThat(listPost.header("Mcp-Session-Id")).isEqualTo(session);
            assertThat(listPost.header("MCP-Protocol-Version")).isEqualTo("2025-11-25");
            assertThat(listPost.header("Mcp-Method")).isEqualTo("tools/list");

            // an SSE answer: the progress notification, then the result, each one line
            bridge.send("{\"jsonrpc\":\"2.0\",\"id\":\"call-3\",\"method\":\"tools/call\",\"params\":{\"name\":\"echo\","
                    + "\"arguments\":{},\"_meta\":{\"progressToken\":\"p-call-3\"}}}");
            Map<String, Object> result = bridge.response("call-3");
            assertThat(Json.write(result.get("result"))).contains("echo \u00e9t\u00e9");
            assertThat(server.await("POST", "tools/call").header("Mcp-Name")).isEqualTo("echo");
            int progressLine = indexOf(bridge.transcript, "notifications/progress");
            int resultLine = indexOf(bridge.transcript, "\"call-3\"");
            assertThat(progressLine).as("progress before the result").isBetween(0, resultLine - 1);

            bridge.closeStdin();
            FakeMcpServer.Exchange delete = server.await("DELETE", null);
            assertThat(delete.header("Mcp-Session-Id")).isEqualTo(session);
            assertThat(delete.header("Authorization")).isEqualTo("Bearer " + server.token);
            assertThat(bridge.exitCode(EXIT)).isZero();
            List<String> out = bridge.allOutput();
            out.forEach(BridgeProcess::parse);
            assertThat(out).as("one line per message, nothing for the 202 of initialized").hasSize(5);
            assertThat(server.sessions).isEmpty();
        }
    }

    @Test
    void aSlowCallBlocksNeitherAPingNorItsCancellation() throws Exception {
        try (BridgeProcess bridge = bridge("--token-file", tokenFile.toString())) {
            initialize(bridge);
            bridge.send("{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\",\"params\":{\"name\":\"slow\"}}");
            assertThat(server.slowStarted.await(20, TimeUnit.SECONDS)).isTrue();
            bridge.notification("notifications/progress");

            bridge.send("{\"jsonrpc\":\"2.0\",\"id\":8,\"method\":\"ping\"}");
            assertThat(bridge.response(8).get("result")).isEqualTo(Map.of());

            // before 2026-07-28, a cancellation is forwarded; the server ends the stream without an answer
            bridge.send("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":7,"
                    + "\"reason\":\"user\"}}");
            FakeMcpServer.Exchange cancel = server.await("POST", "notifications/cancelled");
            assertThat(Json.write(cancel.message().get("params"))).contains("\"requestId\":7");

            bridge.send("{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"ping\"}");
            bridge.response(9);
            bridge.closeStdin();
            assertThat(bridge.exitCode(EXIT)).isZero();
            assertThat(bridge.allOutput()).as("nothing answers the cancelled request")
                    .noneMatch(l -> Json.write(BridgeProcess.parse(l).get("id")).equals("7"));
        }
    }

    @Test
    void cancellingAStatelessRequestClosesItsStreamAndSendsNoNotification() throws Exception {
        try (BridgeProcess bridge = bridge("--token-file", tokenFile.toString())) {
            bridge.send("{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/call\",\"params\":{\"name\":\"slow\","
                    + "\"arguments\":{},\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\"}}}");
            FakeMcpServer.Exchange call = server.await("POST", "tools/call");
            assertThat(call.header("MCP-Protocol-Version")).as("from the request's _meta").isEqualTo("2026-07-28");
            assertThat(call.header("Mcp-Method")).isEqualTo("tools/call");
            assertThat(call.header("Mcp-Name")).isEqualTo("slow");
            assertThat(call.header("Mcp-Session-Id")).isNull();
            bridge.notification("notifications/progress");

            bridge.send("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":5}}");
            assertThat(server.slowDisconnected.await(20, TimeUnit.SECONDS)).as("the server saw the stream close")
                    .isTrue();
            bridge.closeStdin();
            assertThat(bridge.exitCode(EXIT)).isZero();
            assertThat(bridge.allOutput()).noneMatch(l -> l.contains("\"id\":5"));
            assertThat(server.exchanges).noneMatch(e -> "notifications/cancelled".equals(e.rpcMethod()));
            assertThat(server.exchanges).as("no session, so no DELETE").noneMatch(e -> e.httpMethod().equals("DELETE"));
        }
    }

    @Test
    void aWrongTokenBecomesAJsonRpcErrorForThatRequest() throws Exception {
        Path wrong = tokenFile("not-the-token");
        try (BridgeProcess bridge = bridge("--token-file", wrong.toString())) {
            bridge.send(INITIALIZE);
            Map<String, Object> error = Json.object(bridge.response(1).get("error"));
            assertThat(error.get("code")).isEqualTo(new Json.Num("-32000"));
            assertThat(Json.string(error, "message")).contains("rejected the token").contains(wrong.toString())
                    .contains("invalid or expired token");
            assertThat(Json.write(error.get("data"))).isEqualTo("{\"httpStatus\":401}");
            assertThat(server.await("POST", "initialize").header("Authorization")).isEqualTo("Bearer not-the-token");
            bridge.awaitStderr("HTTP 401");
            bridge.closeStdin();
            assertThat(bridge.exitCode(EXIT)).isZero();
            assertThat(bridge.stderr()).doesNotContain(server.token).doesNotContain("Exception");
        }
    }

    @Test
    void aChangedTokenFileIsReadAgainOnA401() throws Exception {
        Path file = tokenFile("old-token");
        try (BridgeProcess bridge = bridge("--token-file", file.toString())) {
            bridge.awaitStderr("forwarding to");
            Files.writeString(file, server.token + "\n");
            bridge.send(INITIALIZE);
            assertThat(bridge.response(1)).containsKey("result");
            assertThat(server.await("POST", "initialize").header("Authorization")).isEqualTo("Bearer old-token");
            assertThat(server.await("POST", "initialize").header("Authorization"))
                    .isEqualTo("Bearer " + server.token);
        }
    }

    @Test
    void aTokenOnTheCommandLineIsRefused() throws Exception {
        for (String[] args : List.of(new String[] {"--token", "s3cr3t-value"}, new String[] {"--token=s3cr3t-value"},
                new String[] {"--url", server.url().toString(), "-t", "s3cr3t-value"})) {
            try (BridgeProcess bridge = BridgeProcess.start(Map.of("TOKA_TOKEN_FILE", tokenFile.toString()), args)) {
                bridge.closeStdin();
                assertThat(bridge.exitCode(EXIT)).isEqualTo(2);
                assertThat(bridge.allOutput()).isEmpty();
                assertThat(bridge.stderr()).contains("refusing --token").contains("ps")
                        .contains("--token-file").doesNotContain("s3cr3t-value");
            }
        }
        assertThat(server.exchanges).as("nothing was sent").isEmpty();
    }

    @Test
    void noUsableTokenExitsWith2AndSaysWhy() throws Exception {
        try (BridgeProcess bridge = BridgeProcess.start(Map.of())) {
            assertThat(bridge.exitCode(EXIT)).isEqualTo(2);
            assertThat(bridge.stderr()).contains("no token").contains("--token-file").contains("TOKA_HOME");
        }
        Path missing = dir.resolve("nope.token");
        try (BridgeProcess bridge = BridgeProcess.start(Map.of(), "--token-file", missing.toString())) {
            assertThat(bridge.exitCode(EXIT)).isEqualTo(2);
            assertThat(bridge.stderr()).contains(missing.toString()).contains("does not exist");
        }
        try (BridgeProcess bridge = BridgeProcess.start(Map.of("TOKA_HOME", dir.toString()))) {
            assertThat(bridge.exitCode(EXIT)).isEqualTo(2);
            assertThat(bridge.stderr()).contains(dir.resolve("data/toka/admin.token").toString())
                    .contains("has Toka been started");
        }
        Path empty = tokenFile("");
        try (BridgeProcess bridge = BridgeProcess.start(Map.of("TOKA_TOKEN_FILE", empty.toString()))) {
            assertThat(bridge.exitCode(EXIT)).isEqualTo(2);
            assertThat(bridge.stderr()).contains("is empty");
        }
        Path twoLines = tokenFile("a\nb");
        try (BridgeProcess bridge = BridgeProcess.start(Map.of(), "--token-file", twoLines.toString())) {
            assertThat(bridge.exitCode(EXIT)).isEqualTo(2);
            assertThat(bridge.stderr()).contains("more than one line");
        }
    }

    @Test
    void theTokenComesFromTokaHomeOrTheEnvironment() throws Exception {
        Path admin = dir.resolve("home/data/toka/admin.token");
        Files.createDirectories(admin.getParent());
        Files.writeString(admin, server.token);
        Files.setPosixFilePermissions(admin, PosixFilePermissions.fromString("rw-------"));
        try (BridgeProcess bridge = BridgeProcess.start(Map.of("TOKA_HOME", dir.resolve("home").toString(),
                "TOKA_MCP_URL", server.url().toString()))) {
            bridge.send(INITIALIZE);
            assertThat(bridge.response(1)).containsKey("result");
            assertThat(bridge.stderr()).doesNotContain("chmod");
        }
        try (BridgeProcess bridge = BridgeProcess.start(Map.of("TOKA_TOKEN", server.token),
                "--url", server.url().toString())) {
            bridge.send(INITIALIZE);
            assertThat(bridge.response(1)).containsKey("result");
        }
    }

    @Test
    void aTokenFileOthersCanReadGetsAWarning() throws Exception {
        Files.setPosixFilePermissions(tokenFile, PosixFilePermissions.fromString("rw-r--r--"));
        try (BridgeProcess bridge = bridge("--token-file", tokenFile.toString())) {
            bridge.awaitStderr("chmod 600 " + tokenFile);
            assertThat(bridge.stderr()).contains("readable by every user");
            bridge.send(INITIALIZE);
            assertThat(bridge.response(1)).as("a warning, not a refusal").containsKey("result");
        }
    }

    @Test
    void anUnreachableTokaIsAnErrorResponseNotAStackTrace() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        try (BridgeProcess bridge = BridgeProcess.start(Map.of("TOKA_TOKEN_FILE", tokenFile.toString()),
                "--url", "http://127.0.0.1:" + port + "/mcp")) {
            bridge.send("{\"jsonrpc\":\"2.0\",\"id\":\"x\",\"method\":\"ping\"}");
            Map<String, Object> error = Json.object(bridge.response("x").get("error"));
            assertThat(Json.string(error, "message")).contains("cannot reach Toka").contains("connection refused")
                    .contains("bin/start");
            bridge.send("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}");
            bridge.closeStdin();
            assertThat(bridge.exitCode(EXIT)).isZero();
            assertThat(bridge.allOutput()).hasSize(1);
            assertThat(bridge.stderr()).contains("cannot reach Toka").doesNotContain("\tat ");
        }
    }

    @Test
    void linesThatAreNotMessagesGetJsonRpcErrorsAndTheBridgeCarriesOn() throws Exception {
        try (BridgeProcess bridge = bridge("--token-file", tokenFile.toString())) {
            bridge.send("this is not json");
            Map<String, Object> parse = bridge.await("parse error", m -> m.containsKey("error"));
            assertThat(parse).containsEntry("id", null);
            assertThat(Json.member(parse.get("error"), "code")).isEqualTo(new Json.Num("-32700"));
            bridge.send("[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}]");
            Map<String, Object> batch = bridge.await("invalid request", m -> m.containsKey("error"));
            assertThat(Json.write(batch.get("error"))).contains("-32600").contains("batches");
            bridge.send("");
            bridge.send(INITIALIZE);
            assertThat(bridge.response(1)).containsKey("result");
        }
    }

    @Test
    void aSessionTokaForgotIsStartedAgainAndTheRequestRetried() throws Exception {
        try (BridgeProcess bridge = bridge("--token-file", tokenFile.toString())) {
            initialize(bridge);
            server.forgetSessions();
            bridge.send("{\"jsonrpc\":\"2.0\",\"id\":11,\"method\":\"tools/list\"}");
            assertThat(bridge.response(11)).containsKey("result");
            server.await("POST", "tools/list");
            FakeMcpServer.Exchange again = server.await("POST", "initialize");
            assertThat(Json.write(again.message().get("params"))).as("the client's own initialize parameters")
                    .contains("test-client");
            assertThat(server.await("POST", "notifications/initialized").header("Mcp-Session-Id"))
                    .startsWith("session-2-");
            assertThat(server.await("POST", "tools/list").header("Mcp-Session-Id")).startsWith("session-2-");
            bridge.awaitStderr("starting a new session");
            bridge.closeStdin();
            assertThat(bridge.exitCode(EXIT)).isZero();
            assertThat(bridge.allOutput()).as("the repeated initialize is not shown to the client")
                    .filteredOn(l -> l.contains("protocolVersion")).hasSize(1);
        }
    }

    @Test
    void aSessionThatCannotBeStartedAgainIsAnErrorForTheRequest() throws Exception {
        try (BridgeProcess bridge = bridge("--token-file", tokenFile.toString())) {
            initialize(bridge);
            server.forgetSessions();
            server.refuseInitialize();
            bridge.send("{\"jsonrpc\":\"2.0\",\"id\":12,\"method\":\"tools/list\"}");
            Map<String, Object> error = Json.object(bridge.response(12).get("error"));
            assertThat(Json.string(error, "message")).contains("session ended").contains("HTTP 503");
            assertThat(Json.write(error.get("data"))).isEqualTo("{\"httpStatus\":404}");
        }
    }

    @Test
    void aBrokenResponseStreamIsResumedWithLastEventId() throws Exception {
        try (BridgeProcess bridge = bridge("--token-file", tokenFile.toString())) {
            initialize(bridge);
            bridge.send("{\"jsonrpc\":\"2.0\",\"id\":13,\"method\":\"tools/call\",\"params\":{\"name\":\"flaky\"}}");
            assertThat(Json.write(bridge.response(13).get("result"))).contains("resumed");
            assertThat(server.exchanges).anyMatch(e -> e.httpMethod().equals("GET")
                    && "f-1".equals(e.header("Last-Event-ID")));
        }
    }

    @Test
    void xMcpHeaderParametersAreMirroredAndInvalidToolsLeftOut() throws Exception {
        server.toolList.clear();
        server.toolList.add(Map.of("name", "sql", "inputSchema", Map.of("type", "object", "properties", Map.of(
                "region", Map.of("type", "string", "x-mcp-header", "Region"),
                "query", Map.of("type", "string")))));
        server.toolList.add(Map.of("name", "bad", "inputSchema", Map.of("type", "object", "properties", Map.of(
                "ratio", Map.of("type", "number", "x-mcp-header", "Ratio")))));
        try (BridgeProcess bridge = bridge("--token-file", tokenFile.toString())) {
            initialize(bridge);
            bridge.send("{\"jsonrpc\":\"2.0\",\"id\":14,\"method\":\"tools/list\"}");
            String tools = Json.write(bridge.response(14).get("result"));
            assertThat(tools).contains("\"sql\"").doesNotContain("\"bad\"");
            bridge.awaitStderr("leaving out tool 'bad'");
            bridge.send("{\"jsonrpc\":\"2.0\",\"id\":15,\"method\":\"tools/call\",\"params\":{\"name\":\"sql\","
                    + "\"arguments\":{\"region\":\"S\u00e3o Paulo\",\"query\":\"select 1\"}}}");
            bridge.response(15);
            FakeMcpServer.Exchange call = server.await("POST", "tools/call");
            assertThat(call.header("Mcp-Param-Region")).isEqualTo("=?base64?U8OjbyBQYXVsbw==?=");
            assertThat(call.header("Mcp-Name")).isEqualTo("sql");
        }
    }

    @Test
    void helpAndVersionPrintAndExit0() throws Exception {
        try (BridgeProcess bridge = BridgeProcess.start(Map.of(), "--help")) {
            assertThat(bridge.exitCode(EXIT)).isZero();
            assertThat(String.join("\n", bridge.allOutput())).contains("Usage: toka-mcp").contains("--token-file")
                    .contains("Exit status");
        }
        try (BridgeProcess bridge = BridgeProcess.start(Map.of(), "--bogus")) {
            assertThat(bridge.exitCode(EXIT)).isEqualTo(2);
            assertThat(bridge.stderr()).contains("unknown option --bogus");
        }
    }

    private void initialize(BridgeProcess bridge) throws Exception {
        bridge.send(INITIALIZE);
        bridge.response(1);
        bridge.send(INITIALIZED);
        server.await("POST", "notifications/initialized");
    }

    private BridgeProcess bridge(String... args) throws IOException {
        String[] all = new String[args.length + 2];
        all[0] = "--url";
        all[1] = server.url().toString();
        System.arraycopy(args, 0, all, 2, args.length);
        return BridgeProcess.start(Map.of(), all);
    }

    private Path tokenFile(String token) throws IOException {
        Path file = Files.createTempFile(dir, "token", ".txt");
        Files.writeString(file, token);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        return file;
    }

    private static int indexOf(List<String> lines, String text) {
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).contains(text)) {
                return i;
            }
        }
        return -1;
    }
}
