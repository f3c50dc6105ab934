package io.toka.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ServerSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@code toka tools ...} against a fake Toka, and how every kind of failure is reported. */
class ToolsTest {

    static final String WORD_COUNT = """
            {"name":"word-count","title":"Count words","version":"1.0.0","description":"Counts the lines, words and characters",
             "inputSchema":{"type":"object","properties":{
                "text":{"type":"string","description":"The text"},
                "top":{"type":"integer","description":"How many words"},
                "ratio":{"type":"number"},
                "verbose":{"type":"boolean"},
                "tags":{"type":"array","items":{"type":"string"}},
                "opts":{"type":["object","null"]}},
              "required":["text"]},
             "outputSchema":{"type":"object"},
             "requiredPermissions":["filesystem:read"],
             "hints":{"readOnly":true,"destructive":false,"idempotent":true,"openWorld":false},
             "timeoutMs":10000,
             "provider":{"bundle":"io.toka.tools.external","bundleVersion":"0.1.0","serviceId":42,"ranking":0},
             "shadowed":[]}""";
    static final String HELLO = """
            {"name":"hello","version":"2.0.0","description":"Says hello\\nto someone","inputSchema":{"type":"object"},
             "requiredPermissions":[],"hints":{},"timeoutMs":5000,"provider":{},"shadowed":[]}""";

    final ObjectMapper mapper = new ObjectMapper();
    FakeToka toka;

    @BeforeEach
    void start() throws IOException {
        toka = new FakeToka();
        toka.on("GET", "/tools", FakeToka.json(200, "{\"tools\":[" + HELLO + "," + WORD_COUNT + "]}"));
        toka.on("GET", "/tools/word-count", FakeToka.json(200, WORD_COUNT));
        toka.on("GET", "/tools/nope", FakeToka.problem(404, "Unknown tool", "unknown tool 'nope'"));
    }

    @AfterEach
    void stop() {
        toka.close();
    }

    @Test
    void listsToolsAsATableAndAsJson() throws Exception {
        Cli r = Cli.run(Cli.env(toka), "tools", "list");
        assertThat(r.status()).isZero();
        assertThat(r.out().lines()).hasSize(3);
        assertThat(r.out().lines().findFirst().orElseThrow()).matches("NAME +VERSION +TITLE / DESCRIPTION");
        assertThat(r.out()).containsPattern("hello +2\\.0\\.0 +Says hello to someone")
                .containsPattern("word-count +1\\.0\\.0 +Count words");
        assertThat(toka.requests("GET", "/tools").get(0).header("Authorization")).isEqualTo("Bearer " + toka.token);

        Cli json = Cli.run(Cli.env(toka), "tools", "list", "--json");
        assertThat(json.status()).isZero();
        assertThat(mapper.readTree(json.out()).path("tools").get(1).path("name").asText()).isEqualTo("word-count");
    }

    @Test
    void describesATool() {
        Cli r = Cli.run(Cli.env(toka), "tools", "describe", "word-count");
        assertThat(r.status()).isZero();
        assertThat(r.out()).contains("title:        Count words", "permissions:  filesystem:read",
                        "hints:        readOnly, idempotent", "timeout:      10000 ms")
                .containsPattern("text +string +yes +The text")
                .containsPattern("top +integer +no +How many words")
                .containsPattern("opts +object, null +no");
    }

    @Test
    void anUnknownToolIsTheServersProblemDetailOnStderrWithExit1() {
        Cli r = Cli.run(Cli.env(toka), "tools", "describe", "nope");
        assertThat(r.status()).isEqualTo(1);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).isEqualTo("toka: unknown tool 'nope' (HTTP 404)\n");
    }

    @Test
    void executeConvertsParamsToTheSchemasTypes() throws Exception {
        toka.on("POST", "/tools/word-count/invoke", FakeToka.json(200,
                "{\"success\":true,\"output\":\"3 words\",\"structured\":{\"words\":3},\"content\":[],\"durationMs\":2,"
                        + "\"toolVersion\":\"1.0.0\"}"));
        Cli r = Cli.run(Cli.env(toka), "tools", "execute", "word-count", "--param", "text=a b c", "-p", "top=2",
                "--param=ratio=0.5", "--param", "verbose=true", "--param", "tags=[\"x\",\"y\"]",
                "--param", "opts={\"k\":1}");
        assertThat(r.err()).isEmpty();
        assertThat(r.status()).isZero();
        assertThat(r.out()).isEqualTo("3 words\n");
        JsonNode args = mapper.readTree(toka.requests("POST", "/tools/word-count/invoke").get(0).body())
                .path("arguments");
        assertThat(args.path("text").isTextual()).isTrue();
        assertThat(args.path("text").asText()).isEqualTo("a b c");
        assertThat(args.path("top").isIntegralNumber()).isTrue();
        assertThat(args.path("top").asLong()).isEqualTo(2);
        assertThat(args.path("ratio").isNumber()).isTrue();
        assertThat(args.path("ratio").asDouble()).isEqualTo(0.5);
        assertThat(args.path("verbose").isBoolean()).isTrue();
        assertThat(args.path("tags").isArray()).isTrue();
        assertThat(args.path("opts").path("k").asInt()).isEqualTo(1);
        assertThat(toka.requests("POST", "/tools/word-count/invoke").get(0).header("Content-Type"))
                .isEqualTo("application/json");
    }

    @Test
    void executeTakesJsonArgumentsWithoutAskingForTheSchemaAndPrintsTheWholeAnswerWithRaw() throws Exception {
        toka.on("POST", "/tools/hello/invoke", FakeToka.json(200,
                "{\"success\":true,\"output\":\"Hello, Ada!\",\"structured\":null,\"content\":[],\"durationMs\":1,"
                        + "\"toolVersion\":\"2.0.0\"}"));
        Cli r = Cli.run(Cli.env(toka), "tools", "execute", "hello", "--json", "{\"name\":\"Ada\"}", "--raw");
        assertThat(r.status()).isZero();
        assertThat(mapper.readTree(r.out()).path("toolVersion").asText()).isEqualTo("2.0.0");
        assertThat(toka.requests("GET", "/tools/hello")).isEmpty();
        assertThat(mapper.readTree(toka.requests("POST", "/tools/hello/invoke").get(0).body()))
                .isEqualTo(mapper.readTree("{\"arguments\":{\"name\":\"Ada\"}}"));
    }

    @Test
    void aToolThatFailedExits1WithItsMessageOnStderr() {
        toka.on("POST", "/tools/word-count/invoke", FakeToka.json(200,
                "{\"success\":false,\"output\":\"cannot read 'x.txt': no such file\",\"structured\":null,"
                        + "\"content\":[],\"durationMs\":1,\"toolVersion\":\"1.0.0\"}"));
        Cli r = Cli.run(Cli.env(toka), "tools", "execute", "word-count", "--json", "{\"text\":\"x\"}");
        assertThat(r.status()).isEqualTo(1);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).isEqualTo("toka: tool 'word-count' failed: cannot read 'x.txt': no such file\n");
    }

    @Test
    void badParamsAreUsageErrorsBeforeAnyCall() {
        Cli notInt = Cli.run(Cli.env(toka), "tools", "execute", "word-count", "--param", "top=many");
        assertThat(notInt.status()).isEqualTo(2);
        assertThat(notInt.err()).contains("argument 'top' must be integer, not 'many'");
        Cli twice = Cli.run(Cli.env(toka), "tools", "execute", "word-count", "--json", "{\"text\":\"a\"}",
                "--param", "text=b");
        assertThat(twice.status()).isEqualTo(2);
        assertThat(twice.err()).contains("argument 'text' is given twice");
        Cli noEq = Cli.run(Cli.env(toka), "tools", "execute", "word-count", "--param", "text");
        assertThat(noEq.status()).isEqualTo(2);
        assertThat(noEq.err()).contains("must look like key=value");
        Cli badJson = Cli.run(Cli.env(toka), "tools", "execute", "word-count", "--json", "[1]");
        assertThat(badJson.status()).isEqualTo(2);
        assertThat(badJson.err()).contains("--json must be a JSON object");
        Cli badArray = Cli.run(Cli.env(toka), "tools", "execute", "word-count", "--param", "tags=x,y");
        assertThat(badArray.status()).isEqualTo(2);
        assertThat(badArray.err()).contains("argument 'tags' must be JSON");
        assertThat(toka.requests("POST", "/tools/word-count/invoke")).isEmpty();
    }

    @Test
    void aBadRequestProblemIsReportedWithItsDetail() {
        toka.on("POST", "/tools/word-count/invoke", FakeToka.problem(400, "Invalid arguments",
                "invalid arguments for tool 'word-count': $.text: is missing but it is required"));
        Cli r = Cli.run(Cli.env(toka), "tools", "execute", "word-count");
        assertThat(r.status()).isEqualTo(1);
        assertThat(r.err()).isEqualTo("toka: invalid arguments for tool 'word-count': $.text: is missing but it is "
                + "required (HTTP 400)\n");
    }

    @Test
    void aRejectedTokenExits3AndNamesWhereTheTokenCameFromButNotTheToken() {
        Cli r = Cli.run(Cli.env(toka, "TOKA_TOKEN", "tk-wrong-secret"), "tools", "list");
        assertThat(r.status()).isEqualTo(3);
        assertThat(r.err()).contains("HTTP 401", "the environment variable TOKA_TOKEN").doesNotContain("tk-wrong-secret");
    }

    @Test
    void aMissingPermissionExits3WithTheServersDetail() {
        toka.on("GET", "/tools/errors", FakeToka.problem(403, "Forbidden",
                "permission denied: tool.errors requires tool:read"));
        Cli r = Cli.run(Cli.env(toka), "tools", "errors");
        assertThat(r.status()).isEqualTo(3);
        assertThat(r.err()).isEqualTo("toka: Toka refused GET /tools/errors (HTTP 403): permission denied: "
                + "tool.errors requires tool:read\n");
    }

    @Test
    void aRateLimitedReadWaitsItsTurnAndACallIsNeverRepeated() {
        java.util.concurrent.atomic.AtomicInteger calls = new java.util.concurrent.atomic.AtomicInteger();
        toka.on("GET", "/tools", r -> calls.getAndIncrement() == 0
                ? new FakeToka.Answer(429, "application/json", "{\"error\":\"Too Many Requests\",\"message\":"
                + "\"Rate limit exceeded. Try again in 1 seconds.\",\"retry_after\":1,\"limit\":100}", null, false,
                java.util.Map.of("Retry-After", "1"))
                : FakeToka.json(200, "{\"tools\":[" + HELLO + "]}"));
        Cli read = Cli.run(Cli.env(toka), "tools", "list");
        assertThat(read.status()).isZero();
        assertThat(read.out()).contains("hello");
        assertThat(read.err()).isEqualTo("toka: Toka's rate limit for this token was reached; trying GET /tools again "
                + "in 1 s\n");
        assertThat(calls.get()).isEqualTo(2);

        toka.on("POST", "/tools/hello/invoke", new FakeToka.Answer(429, "application/json", "{\"error\":\"Too Many "
                + "Requests\",\"message\":\"Rate limit exceeded. Try again in 7 seconds.\",\"retry_after\":7,"
                + "\"limit\":100}", null, false, java.util.Map.of("Retry-After", "7")));
        Cli call = Cli.run(Cli.env(toka), "tools", "execute", "hello");
        assertThat(call.status()).isEqualTo(1);
        assertThat(call.err()).isEqualTo("toka: Toka's rate limit for this token was reached (HTTP 429): Rate limit "
                + "exceeded. Try again in 7 seconds.\n");
        assertThat(toka.requests("POST", "/tools/hello/invoke")).hasSize(1);

        toka.on("GET", "/tools", new FakeToka.Answer(429, "application/json", "", null, false,
                java.util.Map.of("Retry-After", "60")));
        Cli tooLong = Cli.run(Cli.env(toka), "tools", "list");
        assertThat(tooLong.status()).isEqualTo(1);
        assertThat(tooLong.err()).isEqualTo("toka: Toka's rate limit for this token was reached (HTTP 429); try again "
                + "in 60 seconds\n");
    }

    @Test
    void listsManifestErrors() {
        toka.on("GET", "/tools/errors", FakeToka.json(200, "{\"errors\":[{\"file\":\"/opt/toka/tools/bad.tool.yaml\","
                + "\"field\":\"spec.executable.path\",\"problem\":\"'x.sh' does not exist\",\"at\":\"2026-12-05T08:00:00Z\"}]}"));
        Cli r = Cli.run(Cli.env(toka), "tools", "errors");
        assertThat(r.status()).isZero();
        assertThat(r.out()).containsPattern("/opt/toka/tools/bad.tool.yaml +spec.executable.path +'x.sh' does not exist");
        toka.on("GET", "/tools/errors", FakeToka.json(200, "{\"errors\":[]}"));
        assertThat(Cli.run(Cli.env(toka), "tools", "errors").out()).isEqualTo("no manifest errors\n");
    }

    @Test
    void aRefusedConnectionSaysTokaIsNotRunning() throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Cli r = Cli.run(Cli.env(toka, "TOKA_URL", "http://127.0.0.1:" + port), "tools", "list");
        assertThat(r.status()).isEqualTo(1);
        assertThat(r.err()).startsWith("toka: cannot reach Toka at http://127.0.0.1:" + port
                + ": connection refused. Is Toka running?").doesNotContain("Exception");
    }

    @Test
    void aMalformedAnswerIsAFailureNotAStackTrace() {
        toka.on("GET", "/tools", new FakeToka.Answer(200, "text/html", "<html>proxy login</html>", null, false,
                java.util.Map.of()));
        Cli html = Cli.run(Cli.env(toka), "tools", "list");
        assertThat(html.status()).isEqualTo(1);
        assertThat(html.err()).isEqualTo("toka: Toka's answer to GET /tools is not JSON (starts with "
                + "'<html>proxy login</html>'): is --url Toka's address?\n");
        toka.on("GET", "/tools", FakeToka.json(200, "{\"items\":[]}"));
        Cli shape = Cli.run(Cli.env(toka), "tools", "list");
        assertThat(shape.status()).isEqualTo(1);
        assertThat(shape.err()).contains("unexpected answer from Toka to GET /api/v1/tools: no 'tools' list");
        toka.on("POST", "/tools/hello/invoke", FakeToka.json(200, "{\"ok\":1}"));
        Cli invoke = Cli.run(Cli.env(toka), "tools", "execute", "hello");
        assertThat(invoke.status()).isEqualTo(1);
        assertThat(invoke.err()).contains("no 'success' field");
        toka.on("GET", "/tools", FakeToka.json(500, ""));
        Cli empty500 = Cli.run(Cli.env(toka), "tools", "list");
        assertThat(empty500.status()).isEqualTo(1);
        assertThat(empty500.err()).contains("HTTP 500", "data/log/karaf.log");
    }

    @Test
    void anUnknownPathIsReportedAsAWrongUrl() {
        Cli r = Cli.run(Cli.env(toka), "tools", "list", "--url", toka.url() + "/api/v1/");
        assertThat(r.status()).isZero();
        toka.routes.clear();
        Cli missing = Cli.run(Cli.env(toka), "tools", "errors");
        assertThat(missing.status()).isEqualTo(1);
        assertThat(missing.err()).contains("no such path (HTTP 404)");
    }
}
