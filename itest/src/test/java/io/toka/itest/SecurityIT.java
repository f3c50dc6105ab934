package io.toka.itest;

import static org.awaitility.Awaitility.await;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.toka.security.AuditEvent;
import io.toka.security.AuditListener;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.inject.Inject;
import org.junit.Before;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;

/** Authentication (401), authorization (403), rate limits (429) and the token endpoints, over real HTTP. */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class SecurityIT extends TestSupport {

    @Inject
    ConfigurationAdmin configAdmin;

    @Inject
    org.apache.karaf.shell.api.console.SessionFactory sessionFactory;

    @Before
    public void apiUp() throws Exception {
        await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> get("/api/v1/health").status() == 200);
        Path ws = Path.of(System.getProperty("karaf.base"), "workspace");
        Files.createDirectories(ws);
        Files.writeString(ws.resolve("secret.txt"), "top\n");
    }

    private String issue(String subject, String... permissions) throws Exception {
        Response r = postJson("/api/v1/tokens", "{\"subject\":\"" + subject + "\",\"permissions\":"
                + JSON.writeValueAsString(List.of(permissions)) + ",\"ttlSeconds\":600}");
        assertEquals(r.body().toString(), 201, r.status());
        return r.body().get("token").asText();
    }

    @Test
    public void healthNeedsNoTokenButEverythingElseDoes() throws Exception {
        assertEquals(200, request("GET", "/api/v1/health", null, null, null).status());
        for (String[] call : new String[][] {{"GET", "/api/v1/tools"}, {"GET", "/api/v1/tools/file-reader"},
                {"POST", "/api/v1/tools/file-reader/invoke"}, {"POST", "/api/v1/tokens"}, {"GET", "/api/v1/tokens/self"},
                {"DELETE", "/api/v1/tokens/x"}, {"GET", "/api/v1/keys"}, {"GET", "/api/v1/nowhere"}}) {
            Response r = request(call[0], call[1], null, "application/json", "{}".getBytes(StandardCharsets.UTF_8));
            assertEquals(call[1], 401, r.status());
            assertEquals("Bearer realm=\"toka\"", r.header("WWW-Authenticate"));
        }
    }

    @Test
    public void everyRefusalLooksTheSame() throws Exception {
        String good = issue("agent-401", "tool:read");
        String[] parts = good.split("\\.");
        String payload = new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8)
                .replace("tool:read", "tool:*:*");
        String tampered = parts[0] + "." + Base64.getUrlEncoder().withoutPadding()
                .encodeToString(payload.getBytes(StandardCharsets.UTF_8)) + "." + parts[2];
        String none = Base64.getUrlEncoder().withoutPadding().encodeToString(
                "{\"alg\":\"none\",\"typ\":\"toka.cap+jwt\"}".getBytes(StandardCharsets.UTF_8)) + "." + parts[1] + ".";
        String revoked = issue("agent-401b", "tool:read");
        String revokedJti = request("GET", "/api/v1/tokens/self", revoked, null, null).body().get("jti").asText();
        assertEquals(200, request("DELETE", "/api/v1/tokens/" + revokedJti, adminToken(), null, null).status());

        JsonNode first = null;
        for (String bad : new String[] {"garbage", tampered, none, revoked, "x".repeat(9000), good + "x"}) {
            Response r = request("GET", "/api/v1/tools", bad, null, null);
            assertEquals(401, r.status());
            ((com.fasterxml.jackson.databind.node.ObjectNode) r.body()).remove("instance");
            if (first == null) {
                first = r.body();
            }
            assertEquals("every refusal has the same body", first, r.body());
        }
        assertEquals(200, request("GET", "/api/v1/tools", good, null, null).status());
    }

    @Test
    public void permissionsAreCheckedForEveryEndpointAndTool() throws Exception {
        String reader = issue("agent-403", "tool:read");
        Response denied = postJson("/api/v1/tools/file-reader/invoke", "{\"arguments\":{\"path\":\"secret.txt\"}}", reader);
        assertEquals(403, denied.status());
        assertTrue(denied.body().get("detail").asText(), denied.body().get("detail").asText().contains("tool:invoke:file-reader"));

        String noFs = issue("agent-403b", "tool:invoke:file-reader");
        Response fs = postJson("/api/v1/tools/file-reader/invoke", "{\"arguments\":{\"path\":\"secret.txt\"}}", noFs);
        assertEquals(403, fs.status());
        assertTrue(fs.body().get("detail").asText().contains("filesystem:read"));
        assertEquals(403, request("GET", "/api/v1/tools", noFs, null, null).status());

        String both = issue("agent-ok", "tool:invoke:file-reader", "filesystem:read");
        Response ok = postJson("/api/v1/tools/file-reader/invoke", "{\"arguments\":{\"path\":\"secret.txt\"}}", both);
        assertEquals(200, ok.status());
        assertEquals("top\n", ok.body().get("output").asText());

        assertEquals(403, postJson("/api/v1/tokens", "{\"subject\":\"x\",\"permissions\":[\"tool:read\"]}", both).status());
        assertEquals(403, request("POST", "/api/v1/keys/rotate", both, null, null).status());
        assertEquals(403, request("GET", "/api/v1/keys", both, null, null).status());
    }

    @Test
    public void delegationNarrowsAndRevocationCascades() throws Exception {
        String parent = issue("orchestrator", "tool:invoke:*", "filesystem:read", "tool:read");
        Response child = postJson("/api/v1/tokens/delegate", "{\"subject\":\"worker\",\"permissions\":"
                + "[\"tool:invoke:file-reader\",\"filesystem:read\"],\"ttlSeconds\":300,\"windows\":[\"00:00-23:59\"]}", parent);
        assertEquals(child.body().toString(), 201, child.status());
        String childToken = child.body().get("token").asText();
        JsonNode self = request("GET", "/api/v1/tokens/self", childToken, null, null).body();
        assertEquals("worker", self.get("subject").asText());
        String parentJti = request("GET", "/api/v1/tokens/self", parent, null, null).body().get("jti").asText();
        // the parent was issued with the admin token, so the chain is [admin token, parent]
        assertEquals(2, self.get("chain").size());
        assertEquals(parentJti, self.get("chain").get(1).asText());
        assertEquals("orchestrator", self.get("issuer").asText());

        Response widen = postJson("/api/v1/tokens/delegate", "{\"permissions\":[\"token:issue\"]}", childToken);
        assertEquals(403, widen.status());
        assertTrue(widen.body().get("detail").asText().contains("token:issue"));
        Response badWindow = postJson("/api/v1/tokens/delegate", "{\"permissions\":[\"filesystem:read\"],\"windows\":[\"9-17\"]}", childToken);
        assertEquals(400, badWindow.status());
        assertTrue(badWindow.body().get("detail").asText().contains("HH:MM"));

        assertEquals(200, postJson("/api/v1/tools/file-reader/invoke", "{\"arguments\":{\"path\":\"secret.txt\"}}", childToken).status());
        Response revoked = request("DELETE", "/api/v1/tokens/" + parentJti, adminToken(), null, null);
        assertEquals(200, revoked.status());
        assertEquals(self.get("jti").asText(), revoked.body().get("cascade").get(0).asText());
        assertEquals(401, postJson("/api/v1/tools/file-reader/invoke", "{\"arguments\":{\"path\":\"secret.txt\"}}", childToken).status());
        assertEquals(404, request("DELETE", "/api/v1/tokens/no-such-jti", adminToken(), null, null).status());
    }

    @Test
    public void overTheLimitIs429WithHeadersAndBody() throws Exception {
        String token = issue("limited-agent", "tool:read");
        String other = issue("other-agent", "tool:read");
        Configuration c = configAdmin.getConfiguration("io.toka.ratelimit", null);
        Dictionary<String, Object> original = c.getProperties();
        Hashtable<String, Object> low = new Hashtable<>();
        low.put("requestsPerMinute", "6");
        low.put("burst", "3");
        c.update(low);
        try {
            // applied asynchronously; buckets restart full when the limits change
            await().atMost(Duration.ofSeconds(20)).ignoreExceptions().until(() ->
                    "6".equals(request("GET", "/api/v1/keys", adminToken(), null, null).header("X-RateLimit-Limit")));
            for (int i = 0; i < 3; i++) {
                Response r = request("GET", "/api/v1/tools", token, null, null);
                assertEquals(200, r.status());
                assertEquals("6", r.header("X-RateLimit-Limit"));
                assertEquals(String.valueOf(2 - i), r.header("X-RateLimit-Remaining"));
                assertNotNull(r.header("X-RateLimit-Reset"));
            }
            Response limited = request("GET", "/api/v1/tools", token, null, null);
            assertEquals(429, limited.status());
            long retry = Long.parseLong(limited.header("Retry-After"));
            assertTrue(retry >= 1 && retry <= 10);
            assertEquals("0", limited.header("X-RateLimit-Remaining"));
            assertEquals("Too Many Requests", limited.body().get("error").asText());
            assertEquals("Rate limit exceeded. Try again in " + retry + " seconds.", limited.body().get("message").asText());
            assertEquals(retry, limited.body().get("retry_after").asLong());
            assertEquals(6, limited.body().get("limit").asInt());
            // another subject is not affected
            assertEquals(200, request("GET", "/api/v1/tools", other, null, null).status());
        } finally {
            c.update(original);
        }
    }

    @Test
    public void perToolLimitsHoldForTheShellNotOnlyForHttp() throws Exception {
        Path ws = Path.of(System.getProperty("karaf.base"), "workspace");
        Files.createDirectories(ws);
        Files.writeString(ws.resolve("limited.txt"), "limited\n");
        String token = issue("per-tool-agent", "tool:invoke:file-reader", "tool:invoke:file-lister", "filesystem:read");
        Configuration c = configAdmin.getConfiguration("io.toka.ratelimit", null);
        Dictionary<String, Object> original = c.getProperties();
        Hashtable<String, Object> perTool = new Hashtable<>();
        perTool.put("requestsPerMinute", "1000");
        perTool.put("burst", "1000");
        perTool.put("perTool", "true");
        perTool.put("perToolRequestsPerMinute", "1");
        perTool.put("perToolBurst", "2");
        c.update(perTool);
        ShellRunner shell = new ShellRunner(sessionFactory);
        try {
            // applied asynchronously: wait until a fresh subject's third call of one tool is refused over HTTP
            await().atMost(Duration.ofSeconds(20)).until(() -> {
                String probe = issue("probe-" + System.nanoTime(), "tool:invoke:file-reader", "filesystem:read");
                int last = 0;
                for (int i = 0; i < 3; i++) {
                    last = postJson("/api/v1/tools/file-reader/invoke", "{\"arguments\":{\"path\":\"limited.txt\"}}",
                            probe).status();
                }
                return last == 429;
            });
            // the shell: the same tool twice, then refused; another tool still runs
            for (int i = 0; i < 2; i++) {
                assertTrue(shell.runAs("toka:tool-invoke file-reader path=limited.txt", "rita", "admin")
                        .contains("limited"));
            }
            try {
                String out = shell.runAs("toka:tool-invoke file-reader path=limited.txt", "rita", "admin");
                throw new AssertionError("a third shell call of file-reader ran: " + out);
            } catch (Exception refused) {
                assertTrue(refused.getMessage(), refused.getMessage().contains("Rate limit exceeded for calls of tool "
                        + "'file-reader' by 'rita'"));
            }
            assertTrue(shell.runAs("toka:tool-invoke file-lister path=.", "rita", "admin").contains("limited.txt"));
            // over HTTP the same numbers, with the headers of the tool's bucket
            for (int i = 0; i < 2; i++) {
                Response ok = postJson("/api/v1/tools/file-reader/invoke", "{\"arguments\":{\"path\":\"limited.txt\"}}",
                        token);
                assertEquals(200, ok.status());
                assertEquals(String.valueOf(1 - i), ok.header("X-RateLimit-Remaining"));
            }
            Response refused = postJson("/api/v1/tools/file-reader/invoke", "{\"arguments\":{\"path\":\"limited.txt\"}}",
                    token);
            assertEquals(429, refused.status());
            assertNotNull(refused.header("Retry-After"));
        } finally {
            c.update(original);
        }
    }

    @Test
    public void auditListenersSeeRefusalsAndDecisions() throws Exception {
        List<AuditEvent> events = new CopyOnWriteArrayList<>();
        bundleContext.registerService(AuditListener.class, events::add, new Hashtable<>());
        request("GET", "/api/v1/tools", "not-a-token", null, null);
        String reader = issue("audited", "tool:read");
        postJson("/api/v1/tools/file-reader/invoke", "{\"arguments\":{\"path\":\"secret.txt\"}}", reader);
        await().atMost(Duration.ofSeconds(5)).until(() -> events.stream().anyMatch(e ->
                e.action().equals("authenticate") && e.outcome().equals("failure")));
        assertTrue(events.stream().anyMatch(e -> e.action().equals("token.issue") && e.outcome().equals("success")));
        assertTrue(events.stream().anyMatch(e -> e.action().equals("authorize") && e.outcome().equals("denied")
                && "audited".equals(e.subject()) && e.detail().contains("tool:invoke:file-reader")));
        assertFalse("the audit never holds a token", events.stream().anyMatch(e -> String.valueOf(e.detail()).contains(reader)));
        Path log = Path.of(System.getProperty("karaf.data"), "log", "toka-audit.log");
        await().atMost(Duration.ofSeconds(5)).until(() -> Files.exists(log)
                && Files.readString(log).contains("\"action\":\"authorize\""));
    }
}
