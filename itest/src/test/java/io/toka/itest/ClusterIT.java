package io.toka.itest;

import static org.awaitility.Awaitility.await;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Properties;
import java.util.stream.Stream;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.AfterClass;
import org.junit.Assume;
import org.junit.BeforeClass;
import org.junit.FixMethodOrder;
import org.junit.Test;
import org.junit.runners.MethodSorters;

/**
 * Three real nodes (unpacked distributions, started with bin/start) on loopback, one PostgreSQL ({@code TOKA_PG_URL},
 * {@code TOKA_PG_USER}, {@code TOKA_PG_PASSWORD}; skipped without one unless {@code TOKA_PG_REQUIRED=1}, then it
 * fails), in a schema of their own, configured as {@code ./toka-start --nodes 3} configures them: membership, a token
 * minted on one node used on another, revocation on one refused by another within 1 s (p50 and p99 printed), a
 * rotation used by all, one rate-limit budget across nodes, a tool deployed on one node only, and a session's three
 * parallel agents placed one per node (the least-loaded members). Then, last (the
 * methods run in name order, and these take nodes away): a node killed with -9 in the middle of a session, whose
 * session and run another node takes over within 15 s, and a node paused with SIGSTOP whose run another node takes
 * over, which gives the run up when it is resumed with SIGCONT. The agents ask a scripted model outside Toka
 * ({@link ModelOnTheSide}).
 */
@FixMethodOrder(MethodSorters.NAME_ASCENDING)
public class ClusterIT {

    private static final int NODES = 3;
    private static final int HTTP = 28610;
    private static final int SSH = 28620;
    private static final int MEMBER = 28630;
    private static final String SCHEMA = "toka_cluster_it";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final List<Path> HOMES = new ArrayList<>();
    private static ModelOnTheSide model;

    @BeforeClass
    public static void startCluster() throws Exception {
        String url = System.getenv("TOKA_PG_URL");
        String user = System.getenv("TOKA_PG_USER");
        String password = System.getenv("TOKA_PG_PASSWORD");
        String problem = null;
        if (url == null || url.isBlank()) {
            problem = "TOKA_PG_URL is not set";
        } else {
            Properties p = new Properties();
            if (user != null) {
                p.setProperty("user", user);
            }
            if (password != null) {
                p.setProperty("password", password);
            }
            try (Connection c = DriverManager.getConnection(url, p); Statement s = c.createStatement()) {
                s.execute("DROP SCHEMA IF EXISTS " + SCHEMA + " CASCADE");
                s.execute("CREATE SCHEMA " + SCHEMA);
            } catch (Exception e) {
                problem = "cannot connect to " + url + ": " + e.getMessage();
            }
        }
        if (problem != null) {
            if ("1".equals(System.getenv("TOKA_PG_REQUIRED"))) {
                fail("PostgreSQL is required (TOKA_PG_REQUIRED=1) but not available: " + problem);
            }
            Assume.assumeTrue("PostgreSQL not available: " + problem, false);
        }
        String schemaUrl = url + (url.contains("?") ? "&" : "?") + "currentSchema=" + SCHEMA;

        model = new ModelOnTheSide();
        Path dir = Path.of("target", "cluster").toAbsolutePath();
        deleteTree(dir);
        Files.createDirectories(dir);
        Path secret = dir.resolve("secret");
        Files.writeString(secret, "itest-" + java.util.UUID.randomUUID() + "-" + java.util.UUID.randomUUID());
        StringBuilder members = new StringBuilder();
        for (int i = 1; i <= NODES; i++) {
            members.append(i == 1 ? "" : ",").append("127.0.0.1:").append(MEMBER + i);
        }
        for (int i = 1; i <= NODES; i++) {
            Path home = dir.resolve("node-" + i);
            Files.createDirectories(home);
            run(home, "tar", "-xzf", new File(System.getProperty("toka.assembly")).getAbsolutePath(), "-C",
                    home.toString(), "--strip-components=1");
            replace(home.resolve("etc/org.apache.felix.http.cfg"), "org.osgi.service.http.port = 8181",
                    "org.osgi.service.http.port = " + (HTTP + i));
            replace(home.resolve("etc/org.apache.karaf.shell.cfg"), "sshPort = 8101", "sshPort = " + (SSH + i));
            Path store = home.resolve("etc/io.toka.store.cfg");
            set(store, "type", "postgresql");
            set(store, "postgresqlUrl", schemaUrl);
            set(store, "postgresqlUser", user == null ? "" : user);
            set(store, "postgresqlPassword", password == null ? "" : password);
            set(home.resolve("etc/io.toka.security.cfg"), "stateStore.target", "(toka.security.state=shared)");
            // the subject's own budget is large (the test makes many requests); one tool's budget is 5 a minute
            Path limits = home.resolve("etc/io.toka.ratelimit.cfg");
            set(limits, "requestsPerMinute", "100000");
            set(limits, "burst", "100000");
            set(limits, "perTool", "true");
            set(limits, "perToolRequestsPerMinute", "1");
            set(limits, "perToolBurst", "5");
            Files.writeString(home.resolve("etc/io.toka.cluster.cfg"), "clusterName = toka-it\nsecretFile = " + secret
                    + "\nmembers = " + members + "\nbindAddress = 127.0.0.1\nport = " + (MEMBER + i)
                    + "\nmemberName = node-" + i + "\n");
            Files.writeString(home.resolve("etc/io.toka.llm.cfg"), "provider = openai\nmodel = side-model\nbaseUrl = "
                    + model.url() + "\napiKey = side-key\nrateLimitPerMinute = 100000\nretryBaseMillis = 50\n");
            // runs and sessions leased in PostgreSQL, tokens shared: the agent runtime waits for the cluster's
            Files.writeString(home.resolve("etc/io.toka.agents.runtime.cfg"), "retryBaseMillis = 50\n"
                    + "resumeToolWaitSeconds = 60\nleases.cardinality.minimum = 1\ntokens.cardinality.minimum = 1\n");
            Files.createDirectories(home.resolve("workspace"));
            replace(home.resolve("etc/org.apache.karaf.features.cfg"), "featuresBoot = \\\n",
                    "featuresBoot = \\\n    toka-cluster, \\\n");
            HOMES.add(home);
        }
        // the first node alone (it creates the tables), then the others together
        run(HOMES.get(0), HOMES.get(0).resolve("bin/start").toString());
        awaitNode(1);
        for (int i = 2; i <= NODES; i++) {
            run(HOMES.get(i - 1), HOMES.get(i - 1).resolve("bin/start").toString());
        }
        for (int i = 2; i <= NODES; i++) {
            awaitNode(i);
        }
        for (int i = 1; i <= NODES; i++) {
            int node = i;
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() -> {
                JsonNode m = cluster(node).get("members");
                int verified = 0;
                for (JsonNode n : m) {
                    verified += n.get("verified").asBoolean() ? 1 : 0;
                }
                return m.size() == NODES && verified == NODES;
            });
        }
    }

    @AfterClass
    public static void stopCluster() throws Exception {
        for (Path home : HOMES) {
            signal(home, "CONT"); // a node a test paused
            stop(home);
        }
        if (model != null) {
            model.close();
        }
    }

    @Test
    public void everyNodeSeesEveryMemberWithItsAddressStartLoadAndTools() throws Exception {
        for (int i = 1; i <= NODES; i++) {
            JsonNode view = cluster(i);
            assertEquals("toka-it", view.get("cluster").asText());
            List<String> names = new ArrayList<>();
            for (JsonNode m : view.get("members")) {
                String name = m.get("name").asText();
                names.add(name);
                int n = Integer.parseInt(name.substring("node-".length()));
                assertEquals("127.0.0.1:" + (MEMBER + n), m.get("address").asText());
                assertEquals("http://127.0.0.1:" + (HTTP + n), m.get("httpUrl").asText());
                assertEquals(m.toString(), n == i, m.get("local").asBoolean());
                assertTrue(m.toString(), m.get("startedAt").isTextual());
                assertTrue(m.toString(), m.get("load").get("heapUsedBytes").asLong() > 0);
                assertTrue(m.toString(), m.get("tools").toString().contains("\"name\":\"file-reader\""));
            }
            names.sort(null);
            assertEquals(List.of("node-1", "node-2", "node-3"), names);
        }
        HttpResponse<String> anonymous = CLIENT.send(HttpRequest.newBuilder(uri(2, "/api/v1/cluster")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(401, anonymous.statusCode());
        assertFalse(anonymous.body(), anonymous.body().contains("node-1"));
    }

    @Test
    public void aTokenMintedOnOneNodeWorksOnTheOthersAndSoDoesEachAdminToken() throws Exception {
        String token = mint(1, "traveller", "tool:read").get("token").asText();
        for (int i = 1; i <= NODES; i++) {
            assertEquals(200, send(i, "GET", "/api/v1/tools", token, null).statusCode());
            for (int j = 1; j <= NODES; j++) {
                assertEquals("admin token of node " + j + " on node " + i, 200,
                        send(i, "GET", "/api/v1/keys", admin(j), null).statusCode());
            }
        }
    }

    @Test
    public void aRevocationOnOneNodeIsRefusedByTheOthersWithinOneSecond() throws Exception {
        List<Long> micros = new ArrayList<>();
        for (int round = 0; round < 30; round++) {
            int revoker = 1 + round % NODES;
            JsonNode issued = mint(1 + (round + 1) % NODES, "revoke-me-" + round, "tool:read");
            String token = issued.get("token").asText();
            // accepted (and cached as verified) on every node first
            for (int i = 1; i <= NODES; i++) {
                assertEquals(200, send(i, "GET", "/api/v1/tools", token, null).statusCode());
            }
            HttpResponse<String> revoked = send(revoker, "DELETE", "/api/v1/tokens/" + issued.get("jti").asText(),
                    admin(revoker), null);
            long t0 = System.nanoTime();
            assertEquals(revoked.body(), 200, revoked.statusCode());
            assertEquals("refused at once where it was revoked", 401,
                    send(revoker, "GET", "/api/v1/tools", token, null).statusCode());
            // each other node refuses it within 1 s of the revocation's answer
            for (int i = 1; i <= NODES; i++) {
                if (i == revoker) {
                    continue;
                }
                int node = i;
                long left = Math.max(1, 1_000_000_000L - (System.nanoTime() - t0));
                await().atMost(Duration.ofNanos(left)).pollInterval(Duration.ofMillis(2)).until(() ->
                        send(node, "GET", "/api/v1/tools", token, null).statusCode() == 401);
                micros.add((System.nanoTime() - t0) / 1000);
            }
        }
        long[] sorted = micros.stream().mapToLong(Long::longValue).sorted().toArray();
        System.out.printf("ClusterIT revocation propagation (revoke answered on one node -> 401 on another), %d"
                + " node-revocations: p50 %.1f ms, p99 %.1f ms, max %.1f ms%n", sorted.length,
                sorted[sorted.length / 2] / 1000.0, sorted[(int) Math.ceil(sorted.length * 0.99) - 1] / 1000.0,
                sorted[sorted.length - 1] / 1000.0);
    }

    @Test
    public void aRotationOnOneNodeSignsOnEveryNode() throws Exception {
        HttpResponse<String> rotated = send(2, "POST", "/api/v1/keys/rotate", admin(2), null);
        assertEquals(rotated.body(), 201, rotated.statusCode());
        String kid = JSON.readTree(rotated.body()).get("kid").asText();
        for (int i = 1; i <= NODES; i++) {
            int node = i;
            await().atMost(Duration.ofSeconds(2)).until(() -> JSON.readTree(send(node, "GET", "/api/v1/keys",
                    admin(node), null).body()).get("keys").get(0).get("kid").asText().equals(kid));
        }
        String token = mint(3, "after-rotation", "tool:read").get("token").asText();
        String header = new String(java.util.Base64.getUrlDecoder().decode(token.substring(0, token.indexOf('.'))),
                StandardCharsets.UTF_8);
        assertTrue(header, header.contains(kid));
        assertEquals(200, send(1, "GET", "/api/v1/tools", token, null).statusCode());
    }

    @Test
    public void oneSubjectHasOneBudgetForAToolAcrossTheNodes() throws Exception {
        String token = mint(1, "budget", "tool:invoke:file-lister", "filesystem:read").get("token").asText();
        int ok = 0;
        int limited = 0;
        for (int call = 0; call < 9; call++) {
            HttpResponse<String> r = send(1 + call % NODES, "POST", "/api/v1/tools/file-lister/invoke", token,
                    "{\"arguments\":{\"path\":\".\"}}");
            if (r.statusCode() == 200) {
                ok++;
            } else if (r.statusCode() == 429) {
                limited++;
                assertTrue(r.headers().firstValue("Retry-After").isPresent());
            } else {
                fail(r.statusCode() + " " + r.body());
            }
        }
        // a burst of 5 for the whole cluster (three nodes with their own buckets would have allowed 9)
        assertEquals("allowed", 5, ok);
        assertEquals("refused", 4, limited);
    }

    @Test
    public void aToolDeployedOnOneNodeIsListedThereAndItsCallElsewhereNamesThatNode() throws Exception {
        Path jar = Path.of(System.getProperty("toka.hello.jar"));
        Files.copy(jar, HOMES.get(2).resolve("deploy/hello-tool.jar"));
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(() -> {
            for (JsonNode m : cluster(1).get("members")) {
                boolean has = m.get("tools").toString().contains("\"name\":\"hello\"");
                if (has != m.get("name").asText().equals("node-3")) {
                    return false;
                }
            }
            return true;
        });
        String token = mint(1, "hello-caller", "tool:invoke:hello").get("token").asText();
        HttpResponse<String> here = send(3, "POST", "/api/v1/tools/hello/invoke", token,
                "{\"arguments\":{\"name\":\"Ada\"}}");
        assertEquals(here.body(), 200, here.statusCode());
        HttpResponse<String> elsewhere = send(1, "POST", "/api/v1/tools/hello/invoke", token,
                "{\"arguments\":{\"name\":\"Ada\"}}");
        assertEquals(elsewhere.body(), 404, elsewhere.statusCode());
        JsonNode problem = JSON.readTree(elsewhere.body());
        assertEquals(1, problem.get("nodes").size());
        assertEquals("node-3", problem.get("nodes").get(0).get("name").asText());
        assertEquals("http://127.0.0.1:" + (HTTP + 3), problem.get("nodes").get(0).get("httpUrl").asText());
    }

    // ---------------------------------------------------------------- helpers

    // ---------------------------------------------------------------- work that survives a node (run last)

    @Test
    public void aSessionsParallelAgentsArePlacedOnTheLeastLoadedNodes() throws Exception {
        List<String> names = List.of("pl-one", "pl-two", "pl-three");
        for (int i = 1; i <= NODES; i++) {
            awaitAgents(i);
            for (String n : names) {
                define(i, agentYaml(n, "medium", List.of("filesystem:read"), "Say that you are done"));
            }
        }
        CountDownLatch release = new CountDownLatch(1);
        for (String n : names) {
            model.agent(n, ask -> ModelOnTheSide.Reply.heldThen(release,
                    ModelOnTheSide.Reply.verdict("success", n + " done")));
        }
        HttpResponse<String> started = send(1, "POST", "/api/v1/sessions", admin(1),
                "{\"agents\":[\"pl-one\",\"pl-two\",\"pl-three\"]}");
        assertEquals(started.body(), 201, started.statusCode());
        String session = JSON.readTree(started.body()).get("id").asText();
        try {
            placedOnePerNode(names, session, release);
        } finally {
            // the runs end whatever was asserted, so that the tests after this one find no run leases left
            release.countDown();
            await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(200)).until(() -> {
                HttpResponse<String> r = send(1, "GET", "/api/v1/sessions/" + session, admin(1), null);
                return r.statusCode() == 200 && JSON.readTree(r.body()).get("finishedAt").isTextual();
            });
        }
    }

    private static void placedOnePerNode(List<String> names, String session, CountDownLatch release)
            throws Exception {
        for (String n : names) {
            assertTrue(n + " asked the model", model.awaitHold(n, 120));
        }
        // all three run at once: the first where the session is (a tie), the others each on a node with fewer runs
        List<JsonNode> placed = events(1, "kind=agent.run.placed").stream()
                .filter(e -> e.get("payload").get("session").asText().equals(session)).toList();
        assertEquals(placed.toString(), 2, placed.size());
        java.util.Set<String> targets = new java.util.TreeSet<>();
        for (JsonNode e : placed) {
            assertTrue(e.toString(), e.get("payload").get("from").asText().startsWith("node-1/"));
            targets.add(e.get("payload").get("to").asText().replaceAll("/.*", ""));
        }
        assertEquals(placed.toString(), java.util.Set.of("node-2", "node-3"), targets);
        Map<String, Integer> where = new java.util.TreeMap<>();
        for (String n : names) {
            for (int i = 1; i <= NODES; i++) {
                JsonNode st = JSON.readTree(send(i, "GET", "/api/v1/agents/" + n, admin(i), null).body())
                        .path("status");
                if (st.isObject() && !st.path("finishedAt").isTextual()) {
                    assertTrue(n + " runs on two nodes: " + where, where.put(n, i) == null);
                }
            }
        }
        System.out.println("ClusterIT: a session of three parallel agents on node-1 runs them on nodes " + where);
        assertEquals(where.toString(), java.util.Set.of(1, 2, 3), new java.util.HashSet<>(where.values()));

        release.countDown();
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(200)).until(() -> {
            HttpResponse<String> r = send(1, "GET", "/api/v1/sessions/" + session, admin(1), null);
            return r.statusCode() == 200 && JSON.readTree(r.body()).get("finishedAt").isTextual();
        });
        JsonNode s = JSON.readTree(send(1, "GET", "/api/v1/sessions/" + session, admin(1), null).body());
        assertEquals(s.toString(), "COMPLETED", s.get("phase").asText());
        List<String> verdicts = new ArrayList<>();
        s.get("summary").forEach(a -> verdicts.add(a.get("agent").asText() + "=" + a.get("verdict").asText()));
        verdicts.sort(null);
        assertEquals(s.toString(), List.of("pl-one=success", "pl-three=success", "pl-two=success"), verdicts);
        for (String n : names) {
            // each ran once, where it was placed, and ended once
            assertEquals(n, 1, events(1, "kind=agent.run.started&agent=" + n).size());
            assertEquals(n, 1, events(1, "kind=agent.run.ended&agent=" + n).size());
            JsonNode st = JSON.readTree(send(where.get(n), "GET", "/api/v1/agents/" + n, admin(where.get(n)), null)
                    .body()).get("status");
            assertEquals(st.toString(), "COMPLETED", st.get("state").asText());
        }
    }

    @Test
    public void thenAKill9OfTheNodeRunningASessionIsTakenOverWithin15SecondsAndNoFinishedCallRepeats()
            throws Exception {
        String writer = "fo-writer";
        String second = "fo-second";
        for (int i = 1; i <= NODES; i++) {
            awaitAgents(i);
            // agent definitions are each node's own: the nodes that may take the session over know its agents
            define(i, agentYaml(writer, "high", List.of("filesystem:read", "filesystem:write"),
                    "Write failover.txt"));
            define(i, agentYaml(second, "medium", List.of("filesystem:read"), "Say that you are done"));
        }
        AtomicBoolean killed = new AtomicBoolean();
        CountDownLatch release = new CountDownLatch(1);
        model.agent(writer, ask -> switch (ask.turn()) {
            case 0 -> ModelOnTheSide.Reply.tool("file-writer", Map.of("path", "failover.txt", "content", "once"));
            // the second turn is in flight when the node is killed; asked again by the node that took over, it answers
            default -> killed.get() ? ModelOnTheSide.Reply.verdict("success", "wrote failover.txt")
                    : ModelOnTheSide.Reply.held(release);
        });
        model.agent(second, ask -> ModelOnTheSide.Reply.verdict("success", "done after the writer"));
        HttpResponse<String> started = send(3, "POST", "/api/v1/sessions", admin(3),
                "{\"agents\":[\"" + writer + "\",\"" + second + "\"]}");
        assertEquals(started.body(), 201, started.statusCode());
        String session = JSON.readTree(started.body()).get("id").asText();
        assertTrue("the writer reached its second model turn", model.awaitHold(writer, 120));
        assertEquals(1, toolCalls(1, "agent:" + writer, "file-writer"));
        String runId = JSON.readTree(send(3, "GET", "/api/v1/agents/" + writer, admin(3), null).body())
                .get("status").get("runId").asText();

        long t0 = System.nanoTime();
        signal(HOMES.get(2), "KILL");
        killed.set(true);
        release.countDown();
        long[] takenAt = new long[1];
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).until(() -> {
            boolean both = events(1, "kind=session.taken_over").stream()
                    .anyMatch(e -> e.get("payload").get("session").asText().equals(session))
                    && events(1, "kind=agent.run.taken_over&agent=" + writer).stream()
                            .anyMatch(e -> e.get("payload").get("run").asText().equals(runId));
            takenAt[0] = System.nanoTime();
            return both;
        });
        Duration takeover = Duration.ofNanos(takenAt[0] - t0);
        JsonNode runTaken = events(1, "kind=agent.run.taken_over&agent=" + writer).get(0).get("payload");
        System.out.printf("ClusterIT: kill -9 of node-3 -> session and run taken over by %s in %d ms (%d ms after "
                + "node-3's last lease renewal)%n", runTaken.get("by").asText(), takeover.toMillis(),
                runTaken.get("delayMillis").asLong());
        assertTrue("taken over in " + takeover.toMillis() + " ms", takeover.compareTo(Duration.ofSeconds(15)) < 0);
        int taker = runTaken.get("by").asText().startsWith("node-1/") ? 1 : 2;

        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(200)).until(() -> {
            HttpResponse<String> r = send(taker, "GET", "/api/v1/sessions/" + session, admin(taker), null);
            return r.statusCode() == 200 && JSON.readTree(r.body()).get("finishedAt").isTextual();
        });
        JsonNode s = JSON.readTree(send(taker, "GET", "/api/v1/sessions/" + session, admin(taker), null).body());
        System.out.printf("ClusterIT: the session completed on node-%d %d ms after the kill%n", taker,
                Duration.ofNanos(System.nanoTime() - t0).toMillis());
        assertEquals(s.toString(), "COMPLETED", s.get("phase").asText());
        List<String> verdicts = new ArrayList<>();
        s.get("summary").forEach(a -> verdicts.add(a.get("agent").asText() + "=" + a.get("verdict").asText()));
        verdicts.sort(null);
        assertEquals(s.toString(), List.of(second + "=success", writer + "=success"), verdicts);
        JsonNode run = JSON.readTree(send(taker, "GET", "/api/v1/agents/" + writer, admin(taker), null).body())
                .get("status");
        assertEquals("the same run, resumed", runId, run.get("runId").asText());
        // the write had finished before the kill: it did not run again
        assertEquals("file-writer ran once", 1, toolCalls(taker, "agent:" + writer, "file-writer"));
        assertEquals(1, events(taker, "kind=agent.run.ended&agent=" + writer).size());
        assertEquals(1, events(taker, "kind=session.ended").stream()
                .filter(e -> e.get("payload").get("session").asText().equals(session)).count());
    }

    @Test
    public void thenASigstoppedNodesRunIsTakenOverAndTheNodeGivesItUpOnSigcont() throws Exception {
        String agent = "fo-paused";
        for (int i = 1; i <= 2; i++) {
            awaitAgents(i);
            define(i, agentYaml(agent, "medium", List.of("filesystem:read", "filesystem:write"), "Write paused.txt"));
        }
        AtomicBoolean paused = new AtomicBoolean();
        CountDownLatch release = new CountDownLatch(1);
        model.agent(agent, ask -> switch (ask.turn()) {
            case 0 -> ModelOnTheSide.Reply.tool("file-writer", Map.of("path", "paused.txt", "content", "once"));
            // held while node-2 is paused; the node that takes the run over is answered
            default -> paused.get() ? ModelOnTheSide.Reply.verdict("success", "wrote paused.txt")
                    : ModelOnTheSide.Reply.held(release);
        });
        HttpResponse<String> started = send(2, "POST", "/api/v1/agents/" + agent + "/run", admin(2), "{}");
        assertEquals(started.body(), 202, started.statusCode());
        assertTrue("the run reached its second model turn", model.awaitHold(agent, 120));
        String runId = JSON.readTree(send(2, "GET", "/api/v1/agents/" + agent, admin(2), null).body())
                .get("status").get("runId").asText();

        long t0 = System.nanoTime();
        signal(HOMES.get(1), "STOP");
        paused.set(true);
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).until(() ->
                events(1, "kind=agent.run.taken_over&agent=" + agent).size() == 1);
        System.out.printf("ClusterIT: SIGSTOP of node-2 -> its run taken over by node-1 in %d ms%n",
                Duration.ofNanos(System.nanoTime() - t0).toMillis());
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() -> {
            HttpResponse<String> r = send(1, "GET", "/api/v1/agents/" + agent, admin(1), null);
            return r.statusCode() == 200 && JSON.readTree(r.body()).get("status").get("finishedAt").isTextual();
        });
        JsonNode done = JSON.readTree(send(1, "GET", "/api/v1/agents/" + agent, admin(1), null).body()).get("status");
        assertEquals(done.toString(), "COMPLETED", done.get("state").asText());
        assertEquals(runId, done.get("runId").asText());
        long stepsAfterTakeover = runEvents(agent, runId).size();

        // node-2 wakes up: the reply it waited for arrives (a failure verdict), and its lease renewal is due
        release.countDown();
        signal(HOMES.get(1), "CONT");
        Path log = HOMES.get(1).resolve("data/log/karaf.log");
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() ->
                Files.readString(log, StandardCharsets.ISO_8859_1).contains("Lost the lease run:" + runId));
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).ignoreExceptions().until(() -> {
            JsonNode st = JSON.readTree(send(2, "GET", "/api/v1/agents/" + agent, admin(2), null).body())
                    .get("status");
            return st.get("message").asText().startsWith("given up here");
        });
        String lost = Files.readString(log, StandardCharsets.ISO_8859_1);
        System.out.println("ClusterIT: node-2 after SIGCONT: " + lost.lines()
                .filter(l -> l.contains("Lost the lease run:" + runId)).findFirst().orElse(""));
        // nothing recorded by node-2 after the takeover: the run's journal is as node-1 left it, and ended once
        List<JsonNode> steps = runEvents(agent, runId);
        assertEquals(steps.toString(), stepsAfterTakeover, steps.size());
        assertFalse(steps.toString(), steps.toString().contains("released a held reply"));
        assertEquals(1, steps.stream().filter(e -> e.get("kind").asText().equals("agent.run.ended")).count());
        assertEquals("file-writer ran once", 1, toolCalls(1, "agent:" + agent, "file-writer"));
    }

    private static List<JsonNode> runEvents(String agent, String runId) throws Exception {
        return events(1, "agent=" + agent).stream().filter(e -> e.get("kind").asText().startsWith("agent.run."))
                .filter(e -> runId.equals(e.get("payload").path("run").asText())).toList();
    }

    private static void awaitAgents(int node) {
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(250)).ignoreExceptions().until(() ->
                send(node, "GET", "/api/v1/agents", admin(node), null).statusCode() == 200);
    }

    private static void define(int node, String yaml) throws Exception {
        HttpResponse<String> r = send(node, "POST", "/api/v1/agents", admin(node),
                JSON.createObjectNode().put("yaml", yaml).toString());
        assertEquals(r.body(), 201, r.statusCode());
    }

    private static String agentYaml(String name, String priority, List<String> capabilities, String task) {
        return """
                metadata:
                  name: %s
                  version: v1.0.0
                  workstream: Cluster
                spec:
                  name: %s agent
                  domain: testing
                  priority: %s
                capabilities:
                  primary: [testing]
                objectives:
                  - description: Do the task
                    deliverable: the task done
                tasks:
                  default:
                    - description: %s
                security:
                  sandbox: true
                  capabilities_required: [%s]
                  resource_limits:
                    max_memory: 256MB
                    max_cpu: 50%%
                    timeout: 10m
                """.formatted(name, name, priority, task, String.join(", ", capabilities));
    }

    private static List<JsonNode> events(int node, String query) throws Exception {
        List<JsonNode> all = new ArrayList<>();
        String after = null;
        do {
            HttpResponse<String> r = send(node, "GET", "/api/v1/events?limit=1000&" + query
                    + (after == null ? "" : "&after=" + after), admin(node), null);
            if (r.statusCode() != 200) {
                throw new IllegalStateException("GET /api/v1/events answered " + r.statusCode() + ": " + r.body());
            }
            JsonNode page = JSON.readTree(r.body());
            page.get("events").forEach(all::add);
            after = page.get("next").isNull() ? null : page.get("next").asText();
        } while (after != null);
        return all;
    }

    private static long toolCalls(int node, String subject, String tool) throws Exception {
        return events(node, "kind=tool.invoked&subject=" + java.net.URLEncoder.encode(subject,
                StandardCharsets.UTF_8)).stream().filter(e -> e.get("payload").get("tool").asText().equals(tool))
                .count();
    }

    /** Sends a signal (KILL, STOP, CONT) to the node's JVM; KILL waits until it is gone. */
    private static void signal(Path home, String signal) throws Exception {
        Path file = home.resolve("instances/instance.properties");
        if (!Files.exists(file)) {
            return;
        }
        Properties instances = new Properties();
        try (var in = Files.newInputStream(file)) {
            instances.load(in);
        }
        String pid = instances.getProperty("item.0.pid");
        if (pid == null || ProcessHandle.of(Long.parseLong(pid.trim())).isEmpty()) {
            return;
        }
        exitCode(home, "kill", "-" + signal, pid.trim());
        if (signal.equals("KILL")) {
            await().atMost(Duration.ofSeconds(30)).until(() ->
                    ProcessHandle.of(Long.parseLong(pid.trim())).map(p -> !p.isAlive()).orElse(true));
        }
    }

    private static JsonNode mint(int node, String subject, String... permissions) throws Exception {
        HttpResponse<String> r = send(node, "POST", "/api/v1/tokens", admin(node), "{\"subject\":\"" + subject
                + "\",\"permissions\":" + JSON.writeValueAsString(permissions) + ",\"ttlSeconds\":3600}");
        assertEquals(r.body(), 201, r.statusCode());
        return JSON.readTree(r.body());
    }

    private static JsonNode cluster(int node) throws Exception {
        HttpResponse<String> r = send(node, "GET", "/api/v1/cluster", admin(node), null);
        assertEquals(r.body(), 200, r.statusCode());
        return JSON.readTree(r.body());
    }

    private static String admin(int node) throws IOException {
        return Files.readString(HOMES.get(node - 1).resolve("data/toka/admin.token")).trim();
    }

    private static URI uri(int node, String path) {
        return URI.create("http://127.0.0.1:" + (HTTP + node) + path);
    }

    private static HttpResponse<String> send(int node, String method, String path, String token, String json)
            throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(node, path))
                .method(method, json == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(json))
                .header("Authorization", "Bearer " + token);
        if (json != null) {
            b.header("Content-Type", "application/json");
        }
        return CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Waits until the node answers /api/v1/cluster (its membership, security state and HTTP API are up). */
    private static void awaitNode(int node) {
        Path token = HOMES.get(node - 1).resolve("data/toka/admin.token");
        await().atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofMillis(250)).ignoreExceptions().until(() ->
                Files.size(token) > 0 && send(node, "GET", "/api/v1/cluster", admin(node), null).statusCode() == 200
                        && send(node, "GET", "/api/v1/tools", admin(node), null).statusCode() == 200);
    }

    private static void stop(Path home) throws Exception {
        Properties instances = new Properties();
        Path file = home.resolve("instances/instance.properties");
        if (Files.exists(file)) {
            try (var in = Files.newInputStream(file)) {
                instances.load(in);
            }
        }
        exitCode(home, home.resolve("bin/stop").toString());
        String pid = instances.getProperty("item.0.pid");
        if (pid != null) {
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() ->
                    ProcessHandle.of(Long.parseLong(pid.trim())).map(p -> !p.isAlive()).orElse(true));
        }
    }

    private static void run(Path dir, String... command) throws IOException, InterruptedException {
        int code = exitCode(dir, command);
        if (code != 0) {
            throw new IllegalStateException(String.join(" ", command) + " exited with " + code);
        }
    }

    private static int exitCode(Path dir, String... command) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("command.log").toFile()));
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        return pb.start().waitFor();
    }

    private static void replace(Path file, String from, String to) throws IOException {
        String s = Files.readString(file, StandardCharsets.ISO_8859_1);
        if (!s.contains(from)) {
            throw new IllegalStateException(file + " has no '" + from + "'");
        }
        Files.writeString(file, s.replace(from, to), StandardCharsets.ISO_8859_1);
    }

    /** Sets {@code key = value} in a .cfg file: replaces the key's line, or appends one. */
    private static void set(Path file, String key, String value) throws IOException {
        List<String> lines = new ArrayList<>(Files.readAllLines(file, StandardCharsets.ISO_8859_1));
        boolean found = false;
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).matches(java.util.regex.Pattern.quote(key) + " *=.*")) {
                lines.set(i, key + " = " + value);
                found = true;
            }
        }
        if (!found) {
            lines.add(key + " = " + value);
        }
        Files.write(file, lines, StandardCharsets.ISO_8859_1);
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
