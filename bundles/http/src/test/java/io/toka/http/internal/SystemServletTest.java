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

    // ------------------------------------------------------------------------------------------ probes

    private static io.toka.health.Health health(io.toka.health.Health.Report live,
            io.toka.health.Health.Report ready) {
        return new io.toka.health.Health() {
            @Override
            public Report live() {
                return live;
            }

            @Override
            public Report ready() {
                return ready;
            }
        };
    }

    private static io.toka.health.Health.Report report(io.toka.health.Health.Check... checks) {
        boolean up = java.util.Arrays.stream(checks).allMatch(c -> c.status() == io.toka.health.Health.Status.UP);
        return new io.toka.health.Health.Report(up ? io.toka.health.Health.Status.UP
                : io.toka.health.Health.Status.DOWN, List.of(checks));
    }

    private static io.toka.health.Health.Check check(String name, boolean up, String message) {
        return new io.toka.health.Health.Check(name, up ? io.toka.health.Health.Status.UP
                : io.toka.health.Health.Status.DOWN, false, message);
    }

    @Test
    void probesAreOpenAndTellAnAnonymousCallerOnlyTheStatus() throws Exception {
        servlet.checks = health(report(check("deadlocks", true, "none")),
                report(check("event-store", false, "no event store service at /opt/toka/data"),
                        check("sandbox", true, "FULL"), check("tool-registry", true, "2 tools")));

        FakeResponse live = api.call(servlet, FakeRequest.get("/health/live"));
        assertThat(live.getStatus()).isEqualTo(200);
        assertThat(live.json()).isEqualTo(new ObjectMapper().readTree("{\"status\":\"UP\"}"));

        for (String token : List.of("", api.token("reader", "tool:read"), "garbage")) {
            FakeRequest req = FakeRequest.get("/health/ready");
            FakeResponse ready = api.call(servlet, token.isEmpty() ? req : req.bearer(token));
            assertThat(ready.getStatus()).as(token).isEqualTo(503);
            assertThat(ready.json()).as(token).isEqualTo(new ObjectMapper().readTree("{\"status\":\"DOWN\"}"));
            assertThat(ready.text()).doesNotContain("event-store").doesNotContain("/opt").doesNotContain("0.1.0");
        }
    }

    @Test
    void aCallerWithSystemReadSeesWhichCheckFails() {
        servlet.checks = health(report(check("deadlocks", true, "none")),
                report(check("event-store", false, "no event store service"), check("sandbox", true, "FULL"),
                        check("tool-registry", true, "2 tools")));
        FakeResponse r = api.call(servlet, FakeRequest.get("/health/ready").bearer(api.token("ops", "system:read")));

        assertThat(r.getStatus()).isEqualTo(503);
        assertThat(r.json().get("status").asText()).isEqualTo("DOWN");
        assertThat(r.json().get("failing").toString()).isEqualTo("[\"event-store\"]");
        assertThat(r.json().get("checks")).hasSize(3);
        assertThat(r.json().get("checks").get(0).get("name").asText()).isEqualTo("event-store");
        assertThat(r.json().get("checks").get(0).get("status").asText()).isEqualTo("DOWN");
        assertThat(r.json().get("checks").get(0).get("message").asText()).isEqualTo("no event store service");
        assertThat(r.getHeader("X-RateLimit-Limit")).as("probes are not rate limited").isNull();
    }

    @Test
    void readyWhenEveryCheckPasses() {
        servlet.checks = health(report(), report(check("event-store", true, "open"), check("sandbox", true, "FULL")));
        FakeResponse r = api.call(servlet, FakeRequest.get("/health/ready"));
        assertThat(r.getStatus()).isEqualTo(200);
        assertThat(r.json().get("status").asText()).isEqualTo("UP");
        assertThat(api.call(servlet, new FakeRequest("HEAD", "/health/ready")).getStatus()).isEqualTo(200);
    }

    @Test
    void withoutTheHealthBundleLiveIsUpAndReadyIsDown() {
        servlet.checks = null;
        assertThat(api.call(servlet, FakeRequest.get("/health/live")).getStatus()).isEqualTo(200);
        FakeResponse ready = api.call(servlet, FakeRequest.get("/health/ready").bearer(api.token("ops", "system:read")));
        assertThat(ready.getStatus()).isEqualTo(503);
        assertThat(ready.json().get("failing").toString()).isEqualTo("[\"health\"]");
    }

    @Test
    void probesAreGetOnlyAndOtherPathsBelowHealthNeedAToken() {
        assertThat(api.call(servlet, new FakeRequest("POST", "/health/live")).getStatus()).isEqualTo(405);
        assertThat(api.call(servlet, FakeRequest.get("/health/other")).getStatus()).isEqualTo(401);
    }

    @Test
    void aMatchedRouteIsNamedForTheMetricsButNeverThePath() {
        FakeRequest req = FakeRequest.get("/health/live");
        api.call(servlet, req);
        assertThat(req.getAttribute(ApiServlet.METRICS_ROUTE)).isEqualTo("/api/v1/health/live");
        FakeRequest unknown = FakeRequest.get("/nowhere").bearer(api.token("alice", "tool:read"));
        api.call(servlet, unknown);
        assertThat(unknown.getAttribute(ApiServlet.METRICS_ROUTE)).isNull();
    }
}
