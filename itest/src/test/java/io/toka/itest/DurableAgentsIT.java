package io.toka.itest;

import static org.awaitility.Awaitility.await;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;

/**
 * Agents as kernel processes, in the real distribution (bin/start, kill -9, bin/start), with a scripted model
 * outside Toka ({@link ModelOnTheSide}) that outlives it:
 * <ul>
 *   <li>the kernel schedules a task for a defined agent (an unknown one is refused at submit), and an agent spawns a
 *       child whose token is delegated from its own and narrower;</li>
 *   <li>Toka killed with -9 while a run waits for the model, with a task queued behind it, starts again: the run
 *       resumes (same run id), no tool call that had finished runs again, and the queued task runs after it; over
 *       the SQLite store, and over PostgreSQL when {@code TOKA_PG_URL} is set (with {@code TOKA_PG_REQUIRED=1} a
 *       missing database fails the test instead of skipping that part).</li>
 * </ul>
 */
public class DurableAgentsIT {

    private static final int HTTP = Integer.getInteger("toka.durable.http.port", 28981);
    private static final int SSH = Integer.getInteger("toka.durable.ssh.port", 28901);
    private static final Duration LONG = Duration.ofSeconds(120);

    private ModelOnTheSide model;
    private Distribution toka;
    private String pgSchema;

    @Before
    public void model() throws Exception {
        model = new ModelOnTheSide();
    }

    @After
    public void stop() throws Exception {
        if (toka != null) {
            toka.stop();
        }
        model.close();
        if (pgSchema != null) {
            try (Connection c = pg(); Statement st = c.createStatement()) {
                st.execute("DROP SCHEMA " + pgSchema + " CASCADE");
            }
        }
    }

    // ---------------------------------------------------------------- set-up

    /** Unpacks a distribution that asks the side model; extra etc files as name → content. */
    private Distribution unpack(String name, Map<String, String> etc) throws Exception {
        toka = Distribution.unpack(name, HTTP, SSH);
        Path home = toka.home();
        Files.writeString(home.resolve("etc/io.toka.llm.cfg"), "provider = openai\nmodel = side-model\nbaseUrl = "
                + model.url() + "\napiKey = side-key\nrateLimitPerMinute = 100000\nretryBaseMillis = 50\n");
        Files.writeString(home.resolve("etc/io.toka.agents.runtime.cfg"), "retryBaseMillis = 50\n"
                + "resumeToolWaitSeconds = 60\n");
        Files.writeString(home.resolve("etc/io.toka.ratelimit.cfg"), "requestsPerMinute = 100000\nburst = 10000\n",
                java.nio.file.StandardOpenOption.APPEND);
        for (Map.Entry<String, String> e : etc.entrySet()) {
            Files.writeString(home.resolve("etc/" + e.getKey()), e.getValue());
        }
        Files.createDirectories(home.resolve("workspace"));
        return toka;
    }

    /** bin/start, then waits until the agents API answers (its servlet and services come up after /health). */
    private void start(Distribution d) throws Exception {
        d.start();
        await().atMost(LONG).pollInterval(Duration.ofMillis(200)).ignoreExceptions().until(() ->
                d.send("GET", "/api/v1/agents", d.adminToken(), null).statusCode() == 200
                && d.send("GET", "/api/v1/events?limit=1", d.adminToken(), null).statusCode() == 200);
    }

    private static String agentYaml(String name, List<String> capabilities, String task) {
        return """
                metadata:
                  name: %s
                  version: v1.0.0
                  workstream: Durable
                spec:
                  name: %s agent
                  domain: testing
                  priority: medium
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
                """.formatted(name, name, task, String.join(", ", capabilities));
    }

    private void define(String yaml) throws Exception {
        ObjectNode body = ModelOnTheSide.JSON.createObjectNode().put("yaml", yaml);
        HttpResponse<String> r = toka.send("POST", "/api/v1/agents", toka.adminToken(), body.toString());
        assertEquals(r.body(), 201, r.statusCode());
    }

    /** The agent's latest run, or null (also while the agents API is not up yet after a start). */
    private JsonNode status(String agent) throws Exception {
        HttpResponse<String> r = toka.send("GET", "/api/v1/agents/" + agent, toka.adminToken(), null);
        return r.statusCode() == 200 ? ModelOnTheSide.JSON.readTree(r.body()).get("status") : null;
    }

    private JsonNode awaitFinished(String agent) throws Exception {
        await().atMost(LONG).pollInterval(Duration.ofMillis(200)).ignoreExceptions().until(() -> {
            JsonNode s = status(agent);
            return s != null && !s.isNull() && s.hasNonNull("finishedAt");
        });
        return status(agent);
    }

    private HttpResponse<String> schedule(String token, String origin, String agent, String task) throws Exception {
        ObjectNode body = ModelOnTheSide.JSON.createObjectNode().put("origin", origin).put("capability", token);
        body.putObject("operation").putObject("ScheduleAgentTask").put("agent", agent).put("task", task);
        return toka.send("POST", "/api/v1/kernel/submit", toka.adminToken(), body.toString());
    }

    private List<JsonNode> events(String query) throws Exception {
        return toka.events(query);
    }

    private long toolCalls(String subject, String tool) throws Exception {
        return events("kind=tool.invoked&subject=" + URLEncoder.encode(subject, StandardCharsets.UTF_8)).stream()
                .filter(e -> e.get("payload").get("tool").asText().equals(tool)).count();
    }

    // ---------------------------------------------------------------- the kernel schedules and spawns

    @Test
    public void theKernelSchedulesTasksForDefinedAgentsAndSpawnsChildrenWithNarrowedTokens() throws Exception {
        start(unpack("durable-kernel", Map.of()));
        Files.writeString(toka.home().resolve("workspace/it-notes.txt"), "kernel scheduled\n");
        String scheduler = toka.mintToken("it-scheduler", List.of("agent:task:schedule", "filesystem:read",
                "tool:invoke:file-reader"), 3600);

        HttpResponse<String> unknown = schedule(scheduler, "it-scheduler", "it-nobody", "do nothing");
        assertEquals(unknown.body(), 400, unknown.statusCode());
        assertTrue(unknown.body(), unknown.body().contains("unknown agent 'it-nobody'"));

        define(agentYaml("it-worker", List.of("filesystem:read"), "Its own default task, not run by the queue"));
        model.agent("it-worker", ask -> ask.turn() == 0
                ? ModelOnTheSide.Reply.tool("file-reader", Map.of("path", "it-notes.txt"))
                : ModelOnTheSide.Reply.verdict("success", "read " + ask.toolResults().get(0).trim()));
        HttpResponse<String> queued = schedule(scheduler, "it-scheduler", "it-worker", "Read it-notes.txt");
        assertEquals(queued.body(), 201, queued.statusCode());
        JsonNode event = ModelOnTheSide.JSON.readTree(queued.body());
        assertEquals("task.scheduled", event.get("kind").asText());
        assertTrue(event.get("payload").get("queued").asBoolean());

        JsonNode worker = awaitFinished("it-worker");
        assertEquals(worker.toString(), "COMPLETED", worker.get("state").asText());
        assertEquals(1, worker.get("tasks").size());
        assertEquals("Read it-notes.txt", worker.get("tasks").get(0).get("task").asText());
        assertEquals("read kernel scheduled", worker.get("tasks").get(0).get("summary").asText());
        assertEquals(1, toolCalls("agent:it-worker", "file-reader"));
        assertTrue(events("kind=task.taken&agent=it-worker").stream().anyMatch(e -> e.get("payload").get("taskId")
                .asText().equals(event.get("id").asText())));
        HttpResponse<String> tasks = toka.send("GET", "/api/v1/agents/it-worker/tasks", toka.adminToken(), null);
        assertEquals(tasks.body(), 200, tasks.statusCode());
        assertEquals(0, ModelOnTheSide.JSON.readTree(tasks.body()).get("tasks").size());

        // a parent spawns a child through the kernel (the spawn_agent tool)
        define(agentYaml("it-parent", List.of("filesystem:read", "agent:spawn"), "Hand the reading to a child"));
        define(agentYaml("it-child", List.of("filesystem:read"), "Read it-notes.txt"));
        model.agent("it-parent", ask -> ask.turn() == 0
                ? ModelOnTheSide.Reply.tool("spawn_agent", Map.of("agent", "it-child"))
                : ModelOnTheSide.Reply.verdict(ask.toolResults().get(0).startsWith("spawned") ? "success" : "failure",
                        "spawn answered"));
        model.agent("it-child", ask -> ask.turn() == 0
                ? ModelOnTheSide.Reply.tool("file-reader", Map.of("path", "it-notes.txt"))
                : ModelOnTheSide.Reply.verdict("success", "the child read it"));
        HttpResponse<String> run = toka.send("POST", "/api/v1/agents/it-parent/run", toka.adminToken(), "{}");
        assertEquals(run.body(), 202, run.statusCode());

        JsonNode parent = awaitFinished("it-parent");
        assertEquals(parent.toString(), "COMPLETED", parent.get("state").asText());
        JsonNode child = awaitFinished("it-child");
        assertEquals(child.toString(), "COMPLETED", child.get("state").asText());
        assertEquals("it-parent", child.get("parent").asText());
        assertEquals(1, toolCalls("agent:it-child", "file-reader"));
        List<JsonNode> spawned = events("kind=agent.spawned&agent=it-child");
        assertEquals(spawned.toString(), 1, spawned.size());
        assertEquals("it-parent", spawned.get(0).get("payload").get("parent").asText());
        assertEquals("agent:it-parent", spawned.get(0).get("subject").asText());
        // the child's token: delegated by the parent from the parent's own token, one step deeper, without agent:spawn
        List<JsonNode> issued = events("kind=token.issued");
        JsonNode parentToken = issued.stream().filter(e -> e.get("payload").get("detail").asText()
                .contains(" sub=agent:it-parent ")).reduce((a, b) -> b).orElseThrow();
        JsonNode childToken = issued.stream().filter(e -> e.get("payload").get("detail").asText()
                .contains(" sub=agent:it-child ")).reduce((a, b) -> b).orElseThrow();
        String parentDetail = parentToken.get("payload").get("detail").asText();
        String childDetail = childToken.get("payload").get("detail").asText();
        assertEquals(childDetail, "agent:it-parent", childToken.get("subject").asText());
        assertTrue(childDetail, childDetail.contains("parent=" + parentToken.get("payload").get("jti").asText()));
        int parentDepth = depth(parentDetail);
        assertEquals(childDetail, parentDepth + 1, depth(childDetail));
        assertTrue(parentDetail, parentDetail.contains("agent:spawn"));
        assertFalse(childDetail, childDetail.contains("agent:spawn"));
    }

    private static int depth(String detail) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("depth=(\\d+)").matcher(detail);
        assertTrue(detail, m.find());
        return Integer.parseInt(m.group(1));
    }

    // ---------------------------------------------------------------- kill -9

    @Test
    public void aRunKilledMidRunResumesOnSqlite() throws Exception {
        killMidRunAndResume(unpack("durable-sqlite", Map.of()));
    }

    @Test
    public void aRunKilledMidRunResumesOnPostgresql() throws Exception {
        String url = System.getenv("TOKA_PG_URL");
        if (url == null || url.isBlank()) {
            if ("1".equals(System.getenv("TOKA_PG_REQUIRED"))) {
                fail("PostgreSQL is required (TOKA_PG_REQUIRED=1) but TOKA_PG_URL is not set");
            }
            System.out.println("DurableAgentsIT: TOKA_PG_URL is not set; the PostgreSQL kill -9 was not tried");
            return;
        }
        pgSchema = "toka_durable_it_" + UUID.randomUUID().toString().replace("-", "");
        try (Connection c = pg(); Statement st = c.createStatement()) {
            st.execute("CREATE SCHEMA " + pgSchema);
        }
        String store = "type = postgresql\npostgresqlUrl = " + url + (url.contains("?") ? "&" : "?")
                + "currentSchema=" + pgSchema + "\npostgresqlUser = " + System.getenv().getOrDefault("TOKA_PG_USER",
                        "toka") + "\npostgresqlPassword = " + System.getenv().getOrDefault("TOKA_PG_PASSWORD", "toka")
                + "\n";
        killMidRunAndResume(unpack("durable-postgresql", Map.of("io.toka.store.cfg", store)));
        HttpResponse<String> s = toka.send("GET", "/api/v1/events/store", toka.adminToken(), null);
        assertTrue(s.body(), s.body().contains("\"postgresql\""));
    }

    private static Connection pg() throws Exception {
        Class.forName("org.postgresql.Driver");
        Properties p = new Properties();
        p.setProperty("user", System.getenv().getOrDefault("TOKA_PG_USER", "toka"));
        p.setProperty("password", System.getenv().getOrDefault("TOKA_PG_PASSWORD", "toka"));
        p.setProperty("connectTimeout", "5");
        return DriverManager.getConnection(System.getenv("TOKA_PG_URL"), p);
    }

    private void killMidRunAndResume(Distribution d) throws Exception {
        start(d);
        String agent = "it-durable";
        define(agentYaml(agent, List.of("filesystem:read", "filesystem:write"), "Write then read durable-it.txt"));
        AtomicBoolean killed = new AtomicBoolean();
        CountDownLatch release = new CountDownLatch(1);
        model.agent(agent, ask -> {
            if (ask.prompt().contains("Read durable-it.txt once more")) {
                return ask.turn() == 0 ? ModelOnTheSide.Reply.tool("file-reader", Map.of("path", "durable-it.txt"))
                        : ModelOnTheSide.Reply.verdict("success", "read it again");
            }
            return switch (ask.turn()) {
                case 0 -> ModelOnTheSide.Reply.tool("file-writer", Map.of("path", "durable-it.txt",
                        "content", "written once"));
                case 1 -> ModelOnTheSide.Reply.tool("file-reader", Map.of("path", "durable-it.txt"));
                // the third turn is in flight when Toka is killed; asked again after the restart, it answers
                default -> killed.get() ? ModelOnTheSide.Reply.verdict("success", "wrote and read it")
                        : ModelOnTheSide.Reply.held(release);
            };
        });
        HttpResponse<String> run = d.send("POST", "/api/v1/agents/" + agent + "/run", d.adminToken(), "{}");
        assertEquals(run.body(), 202, run.statusCode());
        assertTrue("the run reached its third model turn", model.awaitHold(agent, 60));
        String runId = status(agent).get("runId").asText();
        String scheduler = d.mintToken("it-queue", List.of("agent:task:schedule", "filesystem:read",
                "filesystem:write", "tool:invoke:file-reader"), 3600);
        HttpResponse<String> queued = schedule(scheduler, "it-queue", agent, "Read durable-it.txt once more");
        assertEquals(queued.body(), 201, queued.statusCode());
        JsonNode tasks = ModelOnTheSide.JSON.readTree(d.send("GET", "/api/v1/agents/" + agent + "/tasks",
                d.adminToken(), null).body());
        assertEquals(tasks.toString(), 1, tasks.get("running").asInt());
        assertEquals(tasks.toString(), 1, tasks.get("queued").asInt());
        assertEquals(1, toolCalls("agent:" + agent, "file-writer"));

        kill9(d);
        killed.set(true);
        release.countDown();

        start(d);
        JsonNode s = awaitFinished(agent);
        assertEquals(s.toString(), "COMPLETED", s.get("state").asText());
        assertEquals("the same run, resumed", runId, s.get("runId").asText());
        assertNotNull(s.toString(), s.get("resumedAt").textValue());
        List<String> done = new ArrayList<>();
        s.get("tasks").forEach(t -> done.add(t.get("task").asText() + "=" + t.get("success").asBoolean()));
        assertEquals(List.of("Write then read durable-it.txt=true", "Read durable-it.txt once more=true"), done);
        // the write and the first read had finished before the kill: neither ran again
        assertEquals("file-writer ran once", 1, toolCalls("agent:" + agent, "file-writer"));
        assertEquals("file-reader: once per task", 2, toolCalls("agent:" + agent, "file-reader"));
        assertEquals("written once", Files.readString(d.home().resolve("workspace/durable-it.txt")));
        List<JsonNode> recovered = events("kind=agent.run.recovered&agent=" + agent);
        assertEquals(recovered.toString(), 1, recovered.size());
        assertEquals(0, ModelOnTheSide.JSON.readTree(d.send("GET", "/api/v1/agents/" + agent + "/tasks",
                d.adminToken(), null).body()).get("tasks").size());
        // the model was asked its third turn twice: before the kill and after
        long third = model.requestsOf(agent).stream().filter(r -> !r.toString().contains("once more"))
                .filter(r -> {
                    int n = 0;
                    for (JsonNode m : r.get("messages")) {
                        n += m.path("role").asText().equals("assistant") ? 1 : 0;
                    }
                    return n == 2;
                }).count();
        assertEquals(2, third);
    }

    /** kill -9 of Toka's JVM, and wait until it is gone. */
    private static void kill9(Distribution d) throws Exception {
        Properties instances = new Properties();
        try (var in = Files.newInputStream(d.home().resolve("instances/instance.properties"))) {
            instances.load(in);
        }
        long pid = Long.parseLong(instances.getProperty("item.0.pid").trim());
        Distribution.run(d.home(), "kill", "-9", Long.toString(pid));
        await().atMost(Duration.ofSeconds(30)).until(() -> ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true));
    }
}
