package io.toka.http.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.toka.runtime.registry.InvalidArgumentsException;
import io.toka.runtime.registry.ToolCallResult;
import io.toka.security.AccessDeniedException;
import io.toka.security.RateLimitDecision;
import io.toka.security.RateLimitExceededException;
import io.toka.security.TokenStateException;
import io.toka.tool.Content;
import io.toka.tool.ToolDescriptor;
import io.toka.tool.ToolResult;
import io.toka.tools.external.ExternalTools;
import io.toka.tools.external.ManifestError;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ToolsServletTest {

    private static final String ECHO_SCHEMA = "{\"type\":\"object\",\"properties\":{\"text\":{\"type\":\"string\"}}}";

    @TempDir
    Path dir;

    private Api api;
    private FakeRegistry registry;
    private ToolsServlet servlet;
    private String admin;

    @BeforeEach
    void setUp() {
        api = new Api(dir, 100);
        registry = new FakeRegistry()
                .tool(ToolDescriptor.builder("echo").version("1.2.0").inputSchema(ECHO_SCHEMA).readOnly(true)
                        .requiredPermissions("filesystem:read").build())
                .tool(ToolDescriptor.builder("broken-schema").inputSchema("{\"type\": 42").build());
        servlet = new ToolsServlet(registry);
        admin = api.token("admin-1", "*");
    }

    private FakeResponse invoke(String tool, String json) {
        return api.call(servlet, FakeRequest.post("/tools/" + tool + "/invoke", json).bearer(admin));
    }

    private static ToolCallResult success(String output) {
        return new ToolCallResult(ToolCallResult.Status.SUCCESS, ToolResult.success(output, Map.of("n", 1)),
                12_000_000, "1.2.0");
    }

    private static void assertProblem(FakeResponse r, int status, String type) {
        assertThat(r.getStatus()).as(r.text()).isEqualTo(status);
        assertThat(r.getContentType()).isEqualTo("application/problem+json");
        assertThat(r.json().get("status").asInt()).isEqualTo(status);
        assertThat(r.json().get("type").asText()).isEqualTo(type);
    }

    @Test
    void listsAndDescribesTools() {
        FakeResponse r = api.call(servlet, FakeRequest.get("/tools").bearer(admin));

        assertThat(r.getStatus()).isEqualTo(200);
        List<String> names = new ArrayList<>();
        r.json().get("tools").forEach(t -> names.add(t.get("name").asText()));
        assertThat(names).containsExactly("broken-schema", "echo");
        assertThat(r.getHeader("X-RateLimit-Limit")).isEqualTo("100");

        JsonNode echo = api.call(servlet, FakeRequest.get("/tools/echo").bearer(admin)).json();
        assertThat(echo.get("version").asText()).isEqualTo("1.2.0");
        assertThat(echo.get("inputSchema").get("type").asText()).isEqualTo("object");
        assertThat(echo.get("requiredPermissions").get(0).asText()).isEqualTo("filesystem:read");
        assertThat(echo.get("hints").get("readOnly").asBoolean()).isTrue();
        assertThat(echo.get("provider").get("bundle").asText()).isEqualTo("test.bundle");
        assertThat(api.call(servlet, FakeRequest.get("/tools/broken-schema").bearer(admin)).json()
                .get("inputSchema").get("invalid").asText()).isEqualTo("{\"type\": 42");
        assertThat(api.call(servlet, FakeRequest.get("/tools/").bearer(admin)).json().get("tools").size()).isEqualTo(2);
    }

    @Test
    void anUnknownToolIs404() {
        FakeResponse r = api.call(servlet, FakeRequest.get("/tools/no-such-tool").bearer(admin));
        assertProblem(r, 404, "urn:toka:problem:unknown-tool");
        assertThat(r.json().get("detail").asText()).contains("no-such-tool");

        assertProblem(invoke("no-such-tool", "{\"arguments\":{}}"), 404, "urn:toka:problem:unknown-tool");
    }

    @Test
    void aCallGoesThroughTheRegistryAndAnswers200() {
        registry.answering((name, arguments, caller) -> {
            assertThat(caller.subject()).isEqualTo("admin-1");
            return success("hello " + arguments.get("text"));
        });
        FakeResponse r = invoke("echo", "{\"arguments\":{\"text\":\"world\"}}");

        assertThat(r.getStatus()).isEqualTo(200);
        assertThat(r.getContentType()).isEqualTo("application/json");
        JsonNode body = r.json();
        assertThat(body.get("success").asBoolean()).isTrue();
        assertThat(body.get("output").asText()).isEqualTo("hello world");
        assertThat(body.get("structured").get("n").asInt()).isEqualTo(1);
        assertThat(body.get("durationMs").asLong()).isEqualTo(12);
        assertThat(body.get("toolVersion").asText()).isEqualTo("1.2.0");
        assertThat(registry.lastArguments).isEqualTo(Map.of("text", "world"));
        assertThat(invoke("echo", "{}").getStatus()).as("no arguments are empty arguments").isEqualTo(200);
        assertThat(registry.lastArguments).isEmpty();
    }

    @Test
    void aFailedToolIsAnAnswerNotAnError() {
        registry.answering((name, arguments, caller) -> new ToolCallResult(ToolCallResult.Status.FAILURE,
                ToolResult.failure("no such file"), 1_000_000, "1.2.0"));
        FakeResponse r = invoke("echo", "{\"arguments\":{}}");

        assertThat(r.getStatus()).isEqualTo(200);
        assertThat(r.json().get("success").asBoolean()).isFalse();
        assertThat(r.json().get("output").asText()).isEqualTo("no such file");
    }

    @Test
    void describeShowsTitleAndOutputSchemaOnlyWhenTheToolHasThem() {
        registry.tool(ToolDescriptor.builder("counter").title("Count things").inputSchema(ECHO_SCHEMA)
                .outputSchema("{\"type\":\"object\",\"properties\":{\"n\":{\"type\":\"integer\"}}}").build());
        registry.tool(ToolDescriptor.builder("broken-output").outputSchema("{\"type\": ").build());

        JsonNode counter = api.call(servlet, FakeRequest.get("/tools/counter").bearer(admin)).json();
        assertThat(counter.get("title").asText()).isEqualTo("Count things");
        assertThat(counter.get("outputSchema").isObject()).as("parsed, not a string").isTrue();
        assertThat(counter.get("outputSchema").at("/properties/n/type").asText()).isEqualTo("integer");
        List<String> keys = new ArrayList<>();
        counter.fieldNames().forEachRemaining(keys::add);
        assertThat(keys).containsSubsequence("name", "title", "version").containsSubsequence("inputSchema", "outputSchema");

        JsonNode echo = api.call(servlet, FakeRequest.get("/tools/echo").bearer(admin)).json();
        assertThat(echo.has("title")).as("no title: no key").isFalse();
        assertThat(echo.has("outputSchema")).as("no output schema: no key").isFalse();

        assertThat(api.call(servlet, FakeRequest.get("/tools/broken-output").bearer(admin)).json()
                .get("outputSchema").get("invalid").asText()).isEqualTo("{\"type\": ");
        JsonNode listed = api.call(servlet, FakeRequest.get("/tools").bearer(admin)).json().get("tools");
        assertThat(listed).anySatisfy(t -> assertThat(t.path("title").asText()).isEqualTo("Count things"));
    }

    @Test
    void anAnswerCarriesTheContentAsMcpBlocks() {
        registry.answering((name, arguments, caller) -> success("plain text"));
        JsonNode plain = invoke("echo", "{\"arguments\":{}}").json();
        assertThat(plain.get("content")).as("the default: one text block with the output").hasSize(1);
        assertThat(plain.get("content").get(0).toString()).isEqualTo("{\"type\":\"text\",\"text\":\"plain text\"}");

        ToolResult rich = ToolResult.success("a chart and its data", Map.of("points", 3)).withContent(List.of(
                Content.text("a chart"),
                Content.image("iVBORw0KGgo=", "image/png"),
                new Content.ResourceLink("file:///w/data.csv", "data.csv", null, null, "text/csv", 120L),
                new Content.EmbeddedResource("toka://notes/1", null, "remember", null)));
        registry.answering((name, arguments, caller) -> new ToolCallResult(ToolCallResult.Status.SUCCESS, rich,
                1_000_000, "1.2.0"));
        JsonNode body = invoke("echo", "{\"arguments\":{}}").json();

        assertThat(body.get("output").asText()).isEqualTo("a chart and its data");
        assertThat(body.get("structured").get("points").asInt()).isEqualTo(3);
        JsonNode content = body.get("content");
        assertThat(content).hasSize(4);
        assertThat(content.get(0).toString()).isEqualTo("{\"type\":\"text\",\"text\":\"a chart\"}");
        assertThat(content.get(1).toString())
                .isEqualTo("{\"type\":\"image\",\"data\":\"iVBORw0KGgo=\",\"mimeType\":\"image/png\"}");
        assertThat(content.get(2).toString()).isEqualTo("{\"type\":\"resource_link\",\"uri\":\"file:///w/data.csv\","
                + "\"name\":\"data.csv\",\"mimeType\":\"text/csv\",\"size\":120}");
        assertThat(content.get(3).toString()).isEqualTo(
                "{\"type\":\"resource\",\"resource\":{\"uri\":\"toka://notes/1\",\"text\":\"remember\"}}");
    }

    @Test
    void aCancelledCallAnswersLikeAFailure() {
        registry.answering((name, arguments, caller) -> new ToolCallResult(ToolCallResult.Status.CANCELLED,
                ToolResult.failure("cancelled: client went away"), 2_000_000, "1.2.0"));
        FakeResponse r = invoke("echo", "{\"arguments\":{}}");

        assertThat(r.getStatus()).as(r.text()).isEqualTo(200);
        assertThat(r.json().get("success").asBoolean()).isFalse();
        assertThat(r.json().get("output").asText()).isEqualTo("cancelled: client went away");
        assertThat(r.json().get("content").get(0).get("text").asText()).isEqualTo("cancelled: client went away");
    }

    @Test
    void invalidArgumentsAre400() {
        registry.answering((name, arguments, caller) -> {
            throw new InvalidArgumentsException(name, List.of("$.text: integer found, string expected"));
        });
        FakeResponse r = invoke("echo", "{\"arguments\":{\"text\":42}}");

        assertProblem(r, 400, "urn:toka:problem:invalid-arguments");
        assertThat(r.json().get("detail").asText()).contains("text");
    }

    @Test
    void aTimeoutIs504() {
        registry.answering((name, arguments, caller) -> new ToolCallResult(ToolCallResult.Status.TIMEOUT,
                ToolResult.failure("tool 'echo' timed out after 300 ms"), 300_000_000, "1.2.0"));
        FakeResponse r = invoke("echo", "{\"arguments\":{}}");

        assertProblem(r, 504, "urn:toka:problem:tool-timeout");
        assertThat(r.json().get("detail").asText()).contains("timed out");
    }

    @Test
    void aToolCallOverItsLimitIs429WithTheToolBucketsHeaders() {
        registry.answering((name, arguments, caller) -> {
            throw new RateLimitExceededException(new RateLimitDecision(false, 2, 0, 30, 4),
                    "calls of tool 'echo' by 'admin-1'");
        });
        FakeResponse r = invoke("echo", "{\"arguments\":{}}");

        assertThat(r.getStatus()).isEqualTo(429);
        assertThat(r.getHeader("X-RateLimit-Limit")).isEqualTo("2");
        assertThat(r.getHeader("X-RateLimit-Remaining")).isEqualTo("0");
        assertThat(r.getHeader("X-RateLimit-Reset")).isEqualTo("30");
        assertThat(r.getHeader("Retry-After")).isEqualTo("4");
        assertThat(r.json().get("error").asText()).isEqualTo("Too Many Requests");
        assertThat(r.json().get("retry_after").asLong()).isEqualTo(4);
        assertThat(r.json().get("limit").asLong()).isEqualTo(2);
    }

    @Test
    void theHeadersShowTheTighterOfTheRequestAndTheToolBucket() {
        registry.answering((name, arguments, caller) -> success("ok").withRateLimit(
                new RateLimitDecision(true, 5, 3, 20, 0)));
        FakeResponse tight = invoke("echo", "{\"arguments\":{}}");
        assertThat(tight.getHeader("X-RateLimit-Limit")).isEqualTo("5");
        assertThat(tight.getHeader("X-RateLimit-Remaining")).isEqualTo("3");

        registry.answering((name, arguments, caller) -> success("ok").withRateLimit(
                new RateLimitDecision(true, 1000, 999, 20, 0)));
        FakeResponse loose = invoke("echo", "{\"arguments\":{}}");
        assertThat(loose.getHeader("X-RateLimit-Limit")).as("the request bucket is tighter").isEqualTo("100");
        assertThat(loose.getHeader("X-RateLimit-Remaining")).isEqualTo("98");
    }

    @Test
    void aTokenRevokedDuringTheRequestIs401() {
        registry.answering((name, arguments, caller) -> {
            throw new TokenStateException(TokenStateException.Reason.REVOKED, "jti-1");
        });
        FakeResponse r = invoke("echo", "{\"arguments\":{}}");

        assertProblem(r, 401, "urn:toka:problem:unauthorized");
        assertThat(r.getHeader("WWW-Authenticate")).isEqualTo("Bearer realm=\"toka\", error=\"invalid_token\"");
        assertThat(r.json().get("detail").asText()).startsWith("a valid capability token is required");
    }

    @Test
    void aMissingPermissionIs403NamingIt() {
        registry.answering((name, arguments, caller) -> {
            throw new AccessDeniedException("tool:invoke:echo", "permission 'tool:invoke:echo' is required");
        });
        FakeResponse r = invoke("echo", "{\"arguments\":{}}");
        assertProblem(r, 403, "urn:toka:problem:forbidden");
        assertThat(r.json().get("detail").asText()).contains("tool:invoke:echo");

        String writer = api.token("writer", "tool:invoke:echo");
        FakeResponse list = api.call(servlet, FakeRequest.get("/tools").bearer(writer));
        assertProblem(list, 403, "urn:toka:problem:forbidden");
        assertThat(list.json().get("detail").asText()).contains("tool:read");
    }

    @Test
    void anInternalFailureIs500WithAReferenceOnly() {
        registry.answering((name, arguments, caller) -> {
            throw new IllegalStateException("secret internal detail");
        });
        FakeResponse r = invoke("echo", "{\"arguments\":{}}");

        assertProblem(r, 500, "urn:toka:problem:internal");
        assertThat(r.text()).contains("reference").doesNotContain("secret").doesNotContain("IllegalStateException");
    }

    @Test
    void badBodiesAreRefusedBeforeTheRegistry() {
        registry.answering((name, arguments, caller) -> {
            throw new AssertionError("the registry must not be called");
        });
        FakeResponse malformed = invoke("echo", "{\"arguments\":");
        assertProblem(malformed, 400, "urn:toka:problem:bad-request");
        assertThat(malformed.json().get("detail").asText()).contains("not valid JSON");

        assertThat(invoke("echo", "{\"arguments\":[1]}").json().get("detail").asText())
                .isEqualTo("'arguments' must be a JSON object, not array");
        assertThat(invoke("echo", "{\"args\":{}}").json().get("detail").asText()).contains("unknown field 'args'");

        FakeResponse text = api.call(servlet, new FakeRequest("POST", "/tools/echo/invoke")
                .body("text/plain", "{}".getBytes(StandardCharsets.UTF_8)).bearer(admin));
        assertProblem(text, 415, "urn:toka:problem:unsupported-media-type");

        byte[] big = new byte[Exchange.MAX_BODY_BYTES + 10];
        java.util.Arrays.fill(big, (byte) ' ');
        FakeResponse tooBig = api.call(servlet, new FakeRequest("POST", "/tools/echo/invoke")
                .body("application/json", big).bearer(admin));
        assertProblem(tooBig, 413, "urn:toka:problem:payload-too-large");
    }

    @Test
    void routing() {
        FakeResponse getInvoke = api.call(servlet, FakeRequest.get("/tools/echo/invoke").bearer(admin));
        assertProblem(getInvoke, 405, "urn:toka:problem:method-not-allowed");
        assertThat(getInvoke.getHeader("Allow")).isEqualTo("POST");
        assertThat(getInvoke.json().get("detail").asText()).isEqualTo("GET is not allowed here; use POST");

        FakeResponse postList = api.call(servlet, FakeRequest.post("/tools", "{}").bearer(admin));
        assertProblem(postList, 405, "urn:toka:problem:method-not-allowed");
        assertThat(postList.getHeader("Allow")).isEqualTo("GET");

        FakeResponse deep = api.call(servlet, FakeRequest.get("/tools/echo/invoke/again").bearer(admin));
        assertProblem(deep, 404, "urn:toka:problem:not-found");
        assertThat(deep.json().get("detail").asText()).isEqualTo("no resource at /api/v1/tools/echo/invoke/again");
        assertThat(deep.json().get("instance").asText()).isEqualTo("/api/v1/tools/echo/invoke/again");
    }

    @Test
    void anonymousCallersLearnNothingAboutTools() {
        FakeResponse missing = api.call(servlet, FakeRequest.post("/tools/no-such-tool/invoke", "{}"));
        FakeResponse present = api.call(servlet, FakeRequest.post("/tools/echo/invoke", "{}"));
        assertThat(missing.getStatus()).isEqualTo(401);
        assertThat(present.getStatus()).isEqualTo(401);
        assertThat(missing.json().get("detail")).isEqualTo(present.json().get("detail"));
        assertThat(registry.lastArguments).isNull();
    }

    @Test
    void manifestErrorsComeFromExternalToolsWhileItIsThere() {
        assertThat(api.call(servlet, FakeRequest.get("/tools/errors").bearer(admin)).json().get("errors")).isEmpty();

        ExternalTools external = new ExternalTools() {
            @Override
            public List<io.toka.tools.external.LoadedManifest> loaded() {
                return List.of();
            }

            @Override
            public List<ManifestError> errors() {
                return List.of(new ManifestError(Path.of("deploy/bad.tool.yaml").toString(), "name", "missing",
                        Instant.parse("2026-01-01T00:00:00Z")));
            }

            @Override
            public List<io.toka.tools.external.DraftManifest> discover(Path d) {
                return List.of();
            }
        };
        servlet.externalTools = external;
        JsonNode errors = api.call(servlet, FakeRequest.get("/tools/errors").bearer(admin)).json().get("errors");
        assertThat(errors).hasSize(1);
        assertThat(errors.get(0).get("field").asText()).isEqualTo("name");
        assertThat(errors.get(0).get("at").asText()).isEqualTo("2026-01-01T00:00:00Z");
    }

    @Test
    void theRegistrysProblemsAreListedWithTheManifestErrors() {
        assertThat(api.call(servlet, FakeRequest.get("/tools/errors").bearer(admin)).json().get("problems")).isEmpty();
        registry.problems = List.of(new io.toka.runtime.registry.ToolProblem("flaky", "com.acme.flaky", "1.0.0", 42,
                io.toka.runtime.registry.ToolProblem.Kind.QUARANTINED, "tool 'flaky' ... is quarantined: a crash loop",
                Instant.parse("2026-01-01T00:00:00Z")));

        JsonNode problems = api.call(servlet, FakeRequest.get("/tools/errors").bearer(admin)).json().get("problems");
        assertThat(problems).hasSize(1);
        assertThat(problems.get(0).get("tool").asText()).isEqualTo("flaky");
        assertThat(problems.get(0).get("bundle").asText()).isEqualTo("com.acme.flaky");
        assertThat(problems.get(0).get("kind").asText()).isEqualTo("quarantined");
        assertThat(problems.get(0).get("reason").asText()).contains("crash loop");
        assertThat(problems.get(0).get("since").asText()).isEqualTo("2026-01-01T00:00:00Z");
    }
}
