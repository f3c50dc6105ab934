package io.toka.http.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.toka.sandbox.Isolation;
import io.toka.sandbox.SandboxLauncher;
import io.toka.sandbox.SandboxRequest;
import io.toka.sandbox.SandboxResult;
import io.toka.tool.ToolDescriptor;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SystemServletTest {

    @TempDir
    Path dir;

    private Api api;
    private SystemServlet servlet;

    @BeforeEach
    void setUp() {
        api = new Api(dir);
        FakeRegistry registry = new FakeRegistry().tool(ToolDescriptor.builder("file-reader").build())
                .tool(ToolDescriptor.builder("file-lister").build());
        servlet = new SystemServlet("0.1.0-TEST", registry, api.tokens.service());
    }

    @Test
    void healthWithoutATokenIsOnlyTheStatus() throws Exception {
        FakeResponse r = api.call(servlet, FakeRequest.get("/health"));

        assertThat(r.getStatus()).isEqualTo(200);
        assertThat(r.getContentType()).isEqualTo("application/json");
        assertThat(r.json()).isEqualTo(new ObjectMapper().readTree("{\"status\":\"UP\"}"));
    }

    @Test
    void healthWithSystemReadHasTheDetails() {
        FakeResponse r = api.call(servlet, FakeRequest.get("/health").bearer(api.token("ops", "system:read")));

        assertThat(r.getStatus()).isEqualTo(200);
        assertThat(r.json().get("status").asText()).isEqualTo("UP");
        assertThat(r.json().get("version").asText()).isEqualTo("0.1.0-TEST");
        assertThat(r.json().get("uptimeSeconds").isNumber()).isTrue();
        assertThat(r.json().get("tools").asInt()).isEqualTo(2);
        assertThat(r.json().get("sandbox").get("level").asText()).isEqualTo("NONE");
        assertThat(r.json().get("sandbox").get("notes").get(0).asText()).isEqualTo("the sandbox bundle is not installed");
        assertThat(r.getHeader("X-RateLimit-Limit")).as("health is not rate limited").isNull();
    }

    @Test
    void aSandboxThatArrivesLaterIsShownWithoutANewServlet() {
        servlet.sandbox = new SandboxLauncher() {
            @Override
            public SandboxResult run(SandboxRequest request) {
                throw new UnsupportedOperationException();
            }

            @Override
            public Isolation isolation() {
                return new Isolation(Isolation.Level.NAMESPACES, true, false, true, "", List.of("no cgroup"));
            }
        };
        FakeResponse r = api.call(servlet, FakeRequest.get("/health").bearer(api.token("ops", "system:read")));

        assertThat(r.json().get("sandbox").get("level").asText()).isEqualTo("NAMESPACES");
        assertThat(r.json().get("sandbox").get("notes").get(0).asText()).isEqualTo("no cgroup");
    }

    @Test
    void healthWithoutSystemReadOrWithABadTokenIsOnlyTheStatus() throws Exception {
        String revoked = api.token("gone", "system:read");
        api.tokens.revoke(api.tokens.service().authenticate(revoked).token().orElseThrow().jti());
        for (String token : List.of(api.token("reader", "tool:read"), "garbage", revoked)) {
            FakeResponse r = api.call(servlet, FakeRequest.get("/health").bearer(token));
            assertThat(r.getStatus()).isEqualTo(200);
            assertThat(r.json().size()).as(token).isEqualTo(1);
        }
    }

    @Test
    void healthIsGetOnlyAndSaysSoWithoutAToken() {
        FakeResponse r = api.call(servlet, new FakeRequest("POST", "/health"));

        assertThat(r.getStatus()).isEqualTo(405);
        assertThat(r.getHeader("Allow")).isEqualTo("GET");
        assertThat(r.json().get("detail").asText()).isEqualTo("POST is not allowed here; use GET");
        assertThat(api.call(servlet, new FakeRequest("HEAD", "/health")).getStatus()).isEqualTo(200);
    }

    @Test
    void anyOtherPathNeedsATokenThenIs404() {
        FakeResponse anonymous = api.call(servlet, FakeRequest.get("/nowhere"));
        assertThat(anonymous.getStatus()).isEqualTo(401);

        FakeResponse r = api.call(servlet, FakeRequest.get("/nowhere").bearer(api.token("alice", "tool:read")));
        assertThat(r.getStatus()).isEqualTo(404);
        assertThat(r.getContentType()).isEqualTo("application/problem+json");
        assertThat(r.json().get("detail").asText()).isEqualTo("no resource at /api/v1/nowhere");
        assertThat(r.getHeader("X-RateLimit-Remaining")).isNotNull();
    }

    @Test
    void withoutTheContextNothingButHealthIsServed() throws Exception {
        FakeResponse r = new FakeResponse();
        servlet.service(FakeRequest.get("/nowhere"), r);
        assertThat(r.getStatus()).isEqualTo(401);
        assertThat(r.getHeader("WWW-Authenticate")).isEqualTo("Bearer realm=\"toka\"");
    }
}
