package io.toka.http.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.toka.tool.ToolDescriptor;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WatchServletTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private Api api;
    private FakeRegistry registry;
    private WatchServlet servlet;

    @BeforeEach
    void setUp() {
        api = new Api(dir);
        registry = new FakeRegistry().tool(ToolDescriptor.builder("hello").version("1.0.0")
                .description("<img src=x onerror=alert(1)>").build());
        servlet = new WatchServlet(registry, 20);
    }

    /** One Server-Sent Event. */
    record Sse(String event, JsonNode data) {
    }

    private static List<Sse> events(FakeResponse r) throws Exception {
        List<Sse> out = new ArrayList<>();
        for (String block : r.text().split("\n\n")) {
            String event = null;
            String data = null;
            for (String line : block.split("\n")) {
                if (line.startsWith("event: ")) {
                    event = line.substring(7);
                } else if (line.startsWith("data: ")) {
                    data = line.substring(6);
                }
            }
            if (event != null) {
                out.add(new Sse(event, JSON.readTree(data)));
            }
        }
        return out;
    }

    private static List<Sse> named(FakeResponse r, String event) throws Exception {
        return events(r).stream().filter(e -> e.event().equals(event)).toList();
    }

    private String jti(String token) throws Exception {
        return api.tokens.service().authenticate(token).token().orElseThrow().jti();
    }

    @Test
    void sendsTheToolsThenEachChangeAndEndsWhenTheTokenIsRevoked() throws Exception {
        String token = api.token("viewer", "tool:read");
        FakeResponse r = new FakeResponse();
        FakeRequest req = FakeRequest.get("/watch").bearer(token);
        CompletableFuture<Void> stream = CompletableFuture.runAsync(() -> {
            try {
                if (api.context.handleSecurity(req, r)) {
                    servlet.service(req, r);
                }
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });

        await().atMost(Duration.ofSeconds(10)).until(() -> !named(r, "tools").isEmpty());
        assertThat(r.getContentType()).isEqualTo("text/event-stream");
        JsonNode hello = named(r, "watch").get(0).data();
        assertThat(hello.get("topics").toString()).isEqualTo("[\"tools\"]");
        assertThat(hello.get("refused").toString()).isEqualTo("[\"agents\",\"sessions\",\"executions\"]");
        JsonNode first = named(r, "tools").get(0).data();
        assertThat(first.get("tools").size()).isEqualTo(1);
        assertThat(first.get("tools").get(0).get("description").asText())
                .as("the data is JSON text; escaping for display is the client's job")
                .isEqualTo("<img src=x onerror=alert(1)>");
        assertThat(first.get("errors").size()).isZero();

        registry.tool(ToolDescriptor.builder("dropped").version("2.0.0").build());
        await().atMost(Duration.ofSeconds(10)).until(() -> named(r, "tools").size() == 2);
        assertThat(named(r, "tools").get(1).data().get("tools").findValuesAsText("name"))
                .containsExactly("dropped", "hello");

        api.tokens.revoke(jti(token));
        stream.get(10, TimeUnit.SECONDS);
        List<Sse> all = events(r);
        assertThat(all.get(all.size() - 1).event()).isEqualTo("error");
        assertThat(all.get(all.size() - 1).data().get("error").asText()).contains("revoked");
        assertThat(named(r, "tools")).as("nothing changed twice in a row is sent again").hasSize(2);
    }

    @Test
    void anAbsentServiceMakesItsTopicUnavailable() {
        servlet.agents = null;
        assertThat(servlet.state(WatchServlet.Topic.AGENTS).get("available")).isEqualTo(false);
        assertThat(servlet.state(WatchServlet.Topic.AGENTS).get("detail").toString()).contains("toka-agents");
        assertThat(servlet.state(WatchServlet.Topic.EXECUTIONS).get("available")).isEqualTo(false);
        assertThat(servlet.state(WatchServlet.Topic.TOOLS).get("available")).isEqualTo(true);
    }

    @Test
    void aCallerWhoMayReadNoTopicIsRefused() {
        String token = api.token("nobody", "event:read");

        FakeResponse r = api.call(servlet, FakeRequest.get("/watch").bearer(token));

        assertThat(r.getStatus()).as(r.text()).isEqualTo(403);
        assertThat(r.json().get("detail").asText()).contains("tool:read");
        assertThat(r.getContentType()).isEqualTo(Problem.MEDIA_TYPE);
    }

    @Test
    void anUnknownTopicIsABadRequest() {
        String token = api.token("viewer", "*");

        FakeResponse r = api.call(servlet, FakeRequest.get("/watch").param("topics", "tools,secrets").bearer(token));

        assertThat(r.getStatus()).isEqualTo(400);
        assertThat(r.json().get("detail").asText())
                .isEqualTo("unknown topic 'secrets'; topics are tools, agents, sessions, executions");
    }

    @Test
    void anonymousCallersGetNoStream() {
        FakeResponse r = api.call(servlet, FakeRequest.get("/watch"));

        assertThat(r.getStatus()).isEqualTo(401);
    }
}
