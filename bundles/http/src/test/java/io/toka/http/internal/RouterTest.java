package io.toka.http.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RouterTest {

    private static final Router.Handler NONE = x -> { };
    private final Router.Handler self = x -> { };
    private final Router.Handler revoke = x -> { };
    private final Router.Handler list = x -> { };

    private final Router router = new Router()
            .get("/tokens", list)
            .post("/tokens", NONE)
            .get("/tokens/self", self)
            .delete("/tokens/{jti}", revoke)
            .post("/tools/{name}/invoke", NONE)
            .get("/tools/", list);

    @Test
    void aLiteralAddedFirstWinsOverAParameter() {
        assertThat(router.resolve("GET", "/tokens/self").handler()).isSameAs(self);
        Router.Resolution r = router.resolve("DELETE", "/tokens/abc");
        assertThat(r.handler()).isSameAs(revoke);
        assertThat(r.params()).isEqualTo(Map.of("jti", "abc"));
        assertThat(router.resolve("POST", "/tools/file-reader/invoke").params()).isEqualTo(Map.of("name", "file-reader"));
    }

    @Test
    void theMethodsOfTheWinningPatternAreAllowed() {
        Router.Resolution self = router.resolve("DELETE", "/tokens/self");
        assertThat(self.handler()).as("/tokens/self is GET only, though /tokens/{jti} takes DELETE").isNull();
        assertThat(self.allowed()).isEqualTo(List.of("GET"));
        assertThat(router.resolve("PUT", "/tokens").allowed()).isEqualTo(List.of("GET", "POST"));
    }

    @Test
    void headIsServedByGet() {
        assertThat(router.resolve("HEAD", "/tokens").handler()).isSameAs(list);
        assertThat(router.resolve("HEAD", "/tools/x/invoke").allowed()).isEqualTo(List.of("POST"));
    }

    @Test
    void noPatternMeansNotFound() {
        for (String path : List.of("/tokens/a/b", "/tools//invoke", "/tools", "/nowhere", "/", "/tokens/")) {
            Router.Resolution r = router.resolve("GET", path);
            assertThat(r.handler()).as(path).isNull();
            assertThat(r.allowed()).as(path).isEmpty();
        }
        assertThat(router.resolve("GET", "/tools/").handler()).isSameAs(list);
    }

    @Test
    void refusalsAreProblems() throws Exception {
        FakeRequest req = new FakeRequest("PUT", "/tokens");
        FakeResponse resp = new FakeResponse();
        Router.refuse(new Exchange(req, resp, Exchange.newMapper()), router.resolve("PUT", "/tokens"));
        assertThat(resp.getStatus()).isEqualTo(405);
        assertThat(resp.getHeader("Allow")).isEqualTo("GET, POST");
        assertThat(resp.getContentType()).isEqualTo("application/problem+json");
        assertThat(resp.json().get("detail").asText()).isEqualTo("PUT is not allowed here; use GET or POST");

        req = FakeRequest.get("/tokens/a/b");
        resp = new FakeResponse();
        Router.refuse(new Exchange(req, resp, Exchange.newMapper()), router.resolve("GET", "/tokens/a/b"));
        assertThat(resp.getStatus()).isEqualTo(404);
        assertThat(resp.json().get("type").asText()).isEqualTo("urn:toka:problem:not-found");
        assertThat(resp.json().get("detail").asText()).isEqualTo("no resource at /api/v1/tokens/a/b");
    }

    @Test
    void threeMethodsReadAsAList() throws Exception {
        Router r = new Router().get("/a", NONE).post("/a", NONE).delete("/a", NONE);
        FakeResponse resp = new FakeResponse();
        Router.refuse(new Exchange(new FakeRequest("PUT", "/a"), resp, Exchange.newMapper()), r.resolve("PUT", "/a"));
        assertThat(resp.getHeader("Allow")).isEqualTo("GET, POST, DELETE");
        assertThat(resp.json().get("detail").asText()).endsWith("use GET, POST or DELETE");
    }
}
