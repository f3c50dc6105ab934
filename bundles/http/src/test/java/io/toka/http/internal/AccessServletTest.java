package io.toka.http.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AccessServletTest {

    @TempDir
    Path dir;

    private Api api;
    private final AccessServlet servlet = new AccessServlet();

    @BeforeEach
    void setUp() {
        api = new Api(dir);
    }

    @Test
    void answersEachCheckWithWildcardsApplied() {
        String token = api.token("operator", "agent:*", "tool:invoke:hello", "event:read");

        FakeResponse r = api.call(servlet, FakeRequest.get("/access")
                .params("check", "agent:run", "agent:read", "tool:invoke:hello", "tool:invoke:file-writer", "system:read")
                .bearer(token));

        assertThat(r.getStatus()).as(r.text()).isEqualTo(200);
        assertThat(r.json().get("subject").asText()).isEqualTo("operator");
        assertThat(r.json().get("permissions").toString())
                .isEqualTo("[\"agent:*\",\"tool:invoke:hello\",\"event:read\"]");
        assertThat(r.json().get("expiresAt").asText()).isNotBlank();
        assertThat(r.json().get("checks").toString()).isEqualTo("{\"agent:run\":true,\"agent:read\":true,"
                + "\"tool:invoke:hello\":true,\"tool:invoke:file-writer\":false,\"system:read\":false}");
    }

    @Test
    void aViewerIsToldItMayNotControlAgents() {
        String viewer = api.token("viewer", "agent:read", "tool:read");

        FakeResponse r = api.call(servlet, FakeRequest.get("/access").params("check", "agent:run", "agent:read")
                .bearer(viewer));

        assertThat(r.json().get("checks").get("agent:run").asBoolean()).isFalse();
        assertThat(r.json().get("checks").get("agent:read").asBoolean()).isTrue();
    }

    @Test
    void withoutChecksOnlyTheCallerIsShown() {
        FakeResponse r = api.call(servlet, FakeRequest.get("/access").bearer(api.token("someone", "tool:read")));

        assertThat(r.getStatus()).isEqualTo(200);
        assertThat(r.json().get("checks").size()).isZero();
    }

    @Test
    void aTextThatIsNoPermissionIsNotHeld() {
        FakeResponse r = api.call(servlet, FakeRequest.get("/access").params("check", "::,")
                .bearer(api.token("someone", "tool:read")));

        assertThat(r.getStatus()).as(r.text()).isEqualTo(200);
        assertThat(r.json().get("checks").get("::,").asBoolean()).isFalse();
    }

    @Test
    void tooManyOrBlankChecksAreRefused() {
        String token = api.token("someone", "*");
        String[] many = new String[AccessServlet.MAX_CHECKS + 1];
        java.util.Arrays.fill(many, "tool:read");

        FakeResponse tooMany = api.call(servlet, FakeRequest.get("/access").params("check", many).bearer(token));
        FakeResponse blank = api.call(servlet, FakeRequest.get("/access").params("check", "tool:read", " ")
                .bearer(token));
        FakeResponse tooLong = api.call(servlet, FakeRequest.get("/access")
                .params("check", "x".repeat(AccessServlet.MAX_PERMISSION_CHARS + 1)).bearer(token));

        assertThat(tooMany.getStatus()).isEqualTo(400);
        assertThat(tooMany.json().get("detail").asText()).contains("at most 100 checks");
        assertThat(blank.getStatus()).isEqualTo(400);
        assertThat(tooLong.getStatus()).isEqualTo(400);
    }

    @Test
    void anonymousAndRevokedCallersLearnNothing() throws Exception {
        String token = api.token("gone", "*");
        String jti = api.tokens.service().authenticate(token).token().orElseThrow().jti();
        api.tokens.revoke(jti);

        FakeResponse anonymous = api.call(servlet, FakeRequest.get("/access").params("check", "*"));
        FakeResponse revoked = api.call(servlet, FakeRequest.get("/access").params("check", "*").bearer(token));

        assertThat(anonymous.getStatus()).isEqualTo(401);
        assertThat(revoked.getStatus()).isEqualTo(401);
        assertThat(revoked.text()).doesNotContain("checks");
    }
}
