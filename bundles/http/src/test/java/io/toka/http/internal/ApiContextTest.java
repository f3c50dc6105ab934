package io.toka.http.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.toka.security.AuthenticationException;
import io.toka.security.DelegationRequest;
import io.toka.security.IssuedToken;
import io.toka.security.RateLimitDecision;
import io.toka.security.Revocation;
import io.toka.security.SecurityContext;
import io.toka.security.TokenRequest;
import io.toka.security.TokenService;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ApiContextTest {

    @TempDir
    Path dir;

    private Api api;

    @BeforeEach
    void setUp() {
        api = new Api(dir, 2);
    }

    private FakeResponse secure(FakeRequest req) throws Exception {
        FakeResponse resp = new FakeResponse();
        boolean through = api.context.handleSecurity(req, resp);
        assertThat(through).as("let through").isEqualTo(resp.getStatus() == 200 && resp.text().isEmpty());
        return resp;
    }

    private static JsonNode withoutInstance(FakeResponse r) {
        ObjectNode body = (ObjectNode) r.json();
        body.remove("instance");
        return body;
    }

    @Test
    void aMissingTokenIs401WithTheGenericBodyAndIsAudited() throws Exception {
        FakeResponse r = secure(FakeRequest.get("/tools"));

        assertThat(r.getStatus()).isEqualTo(401);
        assertThat(r.getHeader("WWW-Authenticate")).isEqualTo("Bearer realm=\"toka\"");
        assertThat(r.getContentType()).isEqualTo("application/problem+json");
        assertThat(r.json().get("detail").asText()).startsWith("a valid capability token is required");
        assertThat(r.json().get("instance").asText()).isEqualTo("/api/v1/tools");
        assertThat(r.getHeader("X-RateLimit-Limit")).as("no bucket is charged for an unknown caller").isNull();
        assertThat(api.tokens.audit).anyMatch(e -> e.action().equals("authenticate") && e.outcome().equals("failure")
                && e.detail().contains("GET /api/v1/tools"));
    }

    @Test
    void everyRefusedTokenGetsTheSameAnswer() throws Exception {
        String good = api.token("alice", "tool:read");
        String revoked = api.token("bob", "tool:read");
        api.tokens.revoke(api.tokens.service().authenticate(revoked).token().orElseThrow().jti());

        List<JsonNode> bodies = new ArrayList<>();
        for (FakeRequest req : List.of(FakeRequest.get("/tools"),
                FakeRequest.get("/tools").bearer("garbage"),
                FakeRequest.get("/tools").bearer(good + "x"),
                FakeRequest.get("/tools").bearer(revoked),
                FakeRequest.get("/tools").header("Authorization", "Basic " + good),
                FakeRequest.get("/tools").header("Authorization", "bearer " + revoked))) {
            FakeResponse r = secure(req);
            assertThat(r.getStatus()).isEqualTo(401);
            assertThat(r.getHeader("WWW-Authenticate")).isEqualTo("Bearer realm=\"toka\"");
            bodies.add(withoutInstance(r));
        }
        assertThat(bodies).allMatch(b -> b.equals(bodies.get(0)));
        assertThat(bodies.get(0).toString()).doesNotContain("revoked").doesNotContain(good);
    }

    @Test
    void aGoodTokenPassesTheCallerAndTheRateLimitOn() throws Exception {
        FakeRequest req = FakeRequest.get("/tools").bearer(api.token("alice", "tool:read"));
        FakeResponse r = secure(req);

        assertThat(r.getStatus()).isEqualTo(200);
        assertThat(((SecurityContext) req.getAttribute(ApiContext.CALLER)).subject()).isEqualTo("alice");
        assertThat(((RateLimitDecision) req.getAttribute(ApiContext.REQUEST_LIMIT)).remaining()).isEqualTo(1);
        assertThat(req.getAttribute(ApiContext.REMOTE_USER)).isEqualTo("alice");
        assertThat(r.getHeader("X-RateLimit-Limit")).isEqualTo("2");
        assertThat(r.getHeader("X-RateLimit-Remaining")).isEqualTo("1");
        assertThat(r.getHeader("X-RateLimit-Reset")).isEqualTo("60");
        assertThat(api.limiter.taken("alice")).as("one request, one token from the bucket").isEqualTo(1);
    }

    @Test
    void overTheLimitIs429WithHeadersAndBody() throws Exception {
        String token = api.token("alice", "tool:read");
        assertThat(secure(FakeRequest.get("/tools").bearer(token)).getStatus()).isEqualTo(200);
        assertThat(secure(FakeRequest.get("/tools").bearer(token)).getStatus()).isEqualTo(200);

        FakeRequest req = FakeRequest.get("/tools").bearer(token);
        FakeResponse r = secure(req);

        assertThat(r.getStatus()).isEqualTo(429);
        assertThat(r.getHeader("Retry-After")).isEqualTo("7");
        assertThat(r.getHeader("X-RateLimit-Limit")).isEqualTo("2");
        assertThat(r.getHeader("X-RateLimit-Remaining")).isEqualTo("0");
        assertThat(r.getContentType()).isEqualTo("application/json");
        JsonNode body = r.json();
        assertThat(body.get("error").asText()).isEqualTo("Too Many Requests");
        assertThat(body.get("message").asText()).isEqualTo("Rate limit exceeded. Try again in 7 seconds.");
        assertThat(body.get("retry_after").asLong()).isEqualTo(7);
        assertThat(body.get("limit").asLong()).isEqualTo(2);
        assertThat(req.getAttribute(ApiContext.CALLER)).isNull();
        // another subject has its own bucket
        assertThat(secure(FakeRequest.get("/tools").bearer(api.token("bob", "tool:read"))).getStatus()).isEqualTo(200);
    }

    @Test
    void healthIsOpenAndTakesNothingFromABucket() throws Exception {
        FakeRequest req = FakeRequest.get("/health");
        FakeResponse r = secure(req);

        assertThat(r.getStatus()).isEqualTo(200);
        assertThat(req.getAttribute(ApiContext.CALLER)).isNull();
        assertThat(r.getHeader("X-RateLimit-Limit")).isNull();
        assertThat(secure(new FakeRequest("POST", "/health")).getStatus()).as("405 comes from the servlet").isEqualTo(200);
        assertThat(secure(FakeRequest.get("/health/")).getStatus()).isEqualTo(401);
    }

    @Test
    void aCallerSetBeforeTheContextIsNotTrusted() throws Exception {
        FakeRequest req = FakeRequest.get("/tools");
        req.setAttribute(ApiContext.CALLER, api.tokens.admin());

        assertThat(secure(req).getStatus()).isEqualTo(401);
        assertThat(req.getAttribute(ApiContext.CALLER)).isNull();

        FakeRequest health = FakeRequest.get("/health");
        health.setAttribute(ApiContext.CALLER, api.tokens.admin());
        secure(health);
        assertThat(health.getAttribute(ApiContext.CALLER)).isNull();
    }

    @Test
    void theBodyOfARefusedRequestIsReadSoTheClientCanFinishSending() throws Exception {
        FakeRequest req = FakeRequest.post("/tools/file-writer/invoke", "{\"arguments\":{\"path\":\"x\"}}");

        assertThat(secure(req).getStatus()).isEqualTo(401);
        assertThat(req.bodyConsumed()).isTrue();
    }

    @Test
    void aFailingTokenServiceIs500WithoutInternals() throws Exception {
        TokenService broken = new TokenService() {
            @Override
            public SecurityContext authenticate(String rawToken) throws AuthenticationException {
                throw new IllegalStateException("secret internal detail");
            }

            @Override
            public IssuedToken issue(SecurityContext issuer, TokenRequest request) {
                throw new UnsupportedOperationException();
            }

            @Override
            public IssuedToken delegate(SecurityContext holder, DelegationRequest request) {
                throw new UnsupportedOperationException();
            }

            @Override
            public Revocation revoke(SecurityContext actor, String jti) {
                throw new UnsupportedOperationException();
            }
        };
        ApiContext context = new ApiContext(broken, api.limiter, e -> { });
        FakeResponse r = new FakeResponse();

        assertThat(context.handleSecurity(FakeRequest.get("/tools").bearer("x"), r)).isFalse();
        assertThat(r.getStatus()).isEqualTo(500);
        assertThat(r.getContentType()).isEqualTo("application/problem+json");
        assertThat(r.text()).contains("reference").doesNotContain("secret internal detail")
                .doesNotContain("IllegalStateException");
    }

    @Test
    void thePathIsTheServletPathAndThePathInfo() {
        assertThat(Exchange.path(FakeRequest.get("/tools/a/invoke"))).isEqualTo("/tools/a/invoke");
        assertThat(Exchange.path(FakeRequest.get("/health"))).isEqualTo("/health");
    }
}
