package io.toka.itest;

import static org.awaitility.Awaitility.await;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.editConfigurationFilePut;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import javax.servlet.Servlet;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.ServiceRegistration;

/**
 * Agents in the real distribution, end to end: the real LLM gateway talks OpenAI Chat Completions over HTTP to a
 * scripted fake provider (a servlet on Toka's own port), the agent calls real tools with a narrowed token, and the
 * REST API drives and reports it all.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class AgentsIT extends TestSupport {

    private final FakeLlmServlet fake = new FakeLlmServlet();

    @javax.inject.Inject
    org.apache.karaf.shell.api.console.SessionFactory sessionFactory;
    private ServiceRegistration<Servlet> fakeRegistration;

    @Override
    @Configuration
    public Option[] config() {
        List<Option> options = new ArrayList<>(Arrays.asList(super.config()));
        String llm = "etc/io.toka.llm.cfg";
        options.add(editConfigurationFilePut(llm, "provider", "openai"));
        options.add(editConfigurationFilePut(llm, "baseUrl", "http://127.0.0.1:" + HTTP_PORT + "/fake-llm"));
        options.add(editConfigurationFilePut(llm, "apiKey", "itest-key"));
        options.add(editConfigurationFilePut(llm, "model", "fake-model"));
        options.add(editConfigurationFilePut(llm, "retryBaseMillis", "50"));
        options.add(editConfigurationFilePut(llm, "rateLimitPerMinute", "10000"));
        options.add(editConfigurationFilePut("etc/io.toka.agents.runtime.cfg", "retryBaseMillis", "50"));
        return options.toArray(new Option[0]);
    }

    @Before
    public void fakeProvider() {
        Hashtable<String, Object> props = new Hashtable<>();
        props.put("osgi.http.whiteboard.servlet.pattern", "/fake-llm/*");
        props.put("osgi.http.whiteboard.servlet.name", "itest-fake-llm");
        fakeRegistration = bundleContext.registerService(Servlet.class, fake, props);
    }

    @After
    public void removeFake() {
        fakeRegistration.unregister();
    }

    private static String agentYaml(String name, String priority, List<String> capabilities, List<String> requires,
            String task) {
        StringBuilder deps = new StringBuilder();
        for (String r : requires) {
            deps.append("\n    - \"").append(r).append("\": \"needs its output\"");
        }
        return """
                metadata:
                  name: %s
                  version: v1.0.0
                  workstream: Itest
                spec:
                  name: %s agent
                  domain: documentation
                  priority: %s
                capabilities:
                  primary: [file-summarization]
                objectives:
                  - description: Do the task
                    deliverable: the task done
                tasks:
                  default:
                    - description: %s
                      priority: high
                dependencies:
                  required:%s
                security:
                  sandbox: true
                  capabilities_required: [%s]
                  resource_limits:
                    max_memory: 256MB
                    max_cpu: 50%%
                    timeout: 2m
                """.formatted(name, name, priority, task, requires.isEmpty() ? " {}" : deps.toString(),
                String.join(", ", capabilities));
    }

    private void define(String yaml) throws Exception {
        Response r = request("POST", "/api/v1/agents", adminToken(), "application/yaml",
                yaml.getBytes(StandardCharsets.UTF_8));
        assertEquals(String.valueOf(r.body()), 201, r.status());
    }

    private JsonNode runAndAwait(String name) throws Exception {
        Response started = postJson("/api/v1/agents/" + name + "/run", "{}");
        assertEquals(String.valueOf(started.body()), 202, started.status());
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).until(() -> {
            JsonNode s = get("/api/v1/agents/" + name).body().get("status");
            return s != null && !s.isNull() && Arrays.asList("COMPLETED", "FAILED", "TERMINATED")
                    .contains(s.get("state").asText());
        });
        return get("/api/v1/agents/" + name).body().get("status");
    }

    @Test
    public void anAgentReadsAFileAndWritesASummary() throws Exception {
        Path workspace = Path.of(System.getProperty("karaf.base"), "workspace");
        Files.createDirectories(workspace);
        Files.writeString(workspace.resolve("itest-notes.txt"), "Toka runs agents.\nAgents call tools.\n");
        define(agentYaml("summarizer-it", "medium", List.of("filesystem:read", "filesystem:write"), List.of(),
                "Read itest-notes.txt and write a summary to itest-summary.md"));
        fake.script("summarizer-it",
                FakeLlmServlet.tool("file-reader", Map.of("path", "itest-notes.txt")),
                FakeLlmServlet.tool("file-writer", Map.of("path", "itest-summary.md", "content", "Toka: agents call tools.")),
                FakeLlmServlet.text(FakeLlmServlet.verdict("success", "wrote itest-summary.md")));

        JsonNode status = runAndAwait("summarizer-it");
        assertEquals(status.toString(), "COMPLETED", status.get("state").asText());
        assertEquals("Toka: agents call tools.", Files.readString(workspace.resolve("itest-summary.md")));
        // the model saw the file's contents as the tool result, and only the tools the agent may use
        String conversation = fake.requests.get(fake.requests.size() - 1).toString();
        assertTrue(conversation, conversation.contains("Agents call tools."));
        JsonNode offered = fake.requests.get(0).get("tools");
        List<String> names = new ArrayList<>();
        offered.forEach(t -> names.add(t.get("function").get("name").asText()));
        assertTrue(names.toString(), names.contains("file-reader") && names.contains("file-writer"));
        assertTrue(names.toString(), !names.contains("run-command") && !names.contains("http-request"));

        // its progress is in the kernel's event log
        JsonNode events = get("/api/v1/events?agent=summarizer-it&limit=100").body().get("events");
        List<String> kinds = new ArrayList<>();
        events.forEach(e -> kinds.add(e.get("kind").asText()));
        assertTrue(kinds.toString(), kinds.contains("agent.spawned") && kinds.contains("task.scheduled")
                && kinds.contains("task.completed") && kinds.contains("agent.terminated"));
    }

    @Test
    public void aToolOutsideTheCapabilitiesIsRefusedAndTheAgentRecovers() throws Exception {
        Path workspace = Path.of(System.getProperty("karaf.base"), "workspace");
        Files.createDirectories(workspace);
        Files.writeString(workspace.resolve("itest-readme.txt"), "read me\n");
        define(agentYaml("reader-it", "medium", List.of("filesystem:read"), List.of(),
                "Report what itest-readme.txt says"));
        fake.script("reader-it",
                FakeLlmServlet.tool("file-writer", Map.of("path", "itest-forbidden.txt", "content", "x")),
                FakeLlmServlet.tool("file-reader", Map.of("path", "itest-readme.txt")),
                FakeLlmServlet.text(FakeLlmServlet.verdict("success", "it says read me")));
        JsonNode status = runAndAwait("reader-it");
        assertEquals(status.toString(), "COMPLETED", status.get("state").asText());
        assertTrue(Files.notExists(workspace.resolve("itest-forbidden.txt")));
        // the refusal went back to the model as a tool error
        String second = fake.requests.stream().filter(r -> r.toString().contains("reader-it")).skip(1).findFirst()
                .orElseThrow().toString();
        assertTrue(second, second.toLowerCase().contains("refused") || second.toLowerCase().contains("denied"));
    }

    @Test
    public void anAgentWorkflowRunsThroughTheRuntimeManager() throws Exception {
        String yaml = agentYaml("workflow-it", "medium", List.of("filesystem:read"), List.of(), "Say hello");
        JsonNode config = new com.fasterxml.jackson.databind.ObjectMapper(
                new com.fasterxml.jackson.dataformat.yaml.YAMLFactory()).readTree(yaml);
        fake.script("workflow-it", FakeLlmServlet.text(FakeLlmServlet.verdict("success", "hello")));
        Response r = postJson("/api/v1/executions", "{\"agent\":" + config + ",\"timeoutMs\":60000}");
        assertEquals(String.valueOf(r.body()), 200, r.status());
        assertTrue(r.body().toString(), r.body().get("success").asBoolean());
        assertEquals("agent-workflow", r.body().get("engine").asText());
        assertTrue(r.body().get("output").asText(), r.body().get("output").asText().contains("COMPLETED"));
    }

    @Test
    public void pauseAndResumeActOnTheRunningAgent() throws Exception {
        Path workspace = Path.of(System.getProperty("karaf.base"), "workspace");
        Files.createDirectories(workspace);
        Files.writeString(workspace.resolve("itest-pause.txt"), "paused data\n");
        define(agentYaml("pauser-it", "medium", List.of("filesystem:read"), List.of(), "Read itest-pause.txt"));
        java.util.concurrent.CountDownLatch arrived = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch gate = new java.util.concurrent.CountDownLatch(1);
        fake.script("pauser-it",
                FakeLlmServlet.tool("file-reader", Map.of("path", "itest-pause.txt")).held(arrived, gate),
                FakeLlmServlet.text(FakeLlmServlet.verdict("success", "read it")));
        assertEquals(202, postJson("/api/v1/agents/pauser-it/run", "{}").status());
        assertTrue("the agent never asked the model", arrived.await(30, java.util.concurrent.TimeUnit.SECONDS));

        Response paused = postJson("/api/v1/agents/pauser-it/pause", "{}");
        assertEquals(String.valueOf(paused.body()), 200, paused.status());
        assertEquals("PAUSED", paused.body().get("state").asText());
        gate.countDown();
        // paused: the model's tool call is not carried out and the model is not asked again
        long requests = fake.requests.stream().filter(r -> r.toString().contains("pauser-it")).count();
        await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(2)).until(() ->
                fake.requests.stream().filter(r -> r.toString().contains("pauser-it")).count() == requests
                        && "PAUSED".equals(get("/api/v1/agents/pauser-it").body().get("status").get("state").asText()));

        Response resumed = postJson("/api/v1/agents/pauser-it/resume", "{}");
        assertEquals(String.valueOf(resumed.body()), 200, resumed.status());
        await().atMost(Duration.ofSeconds(30)).until(() ->
                "COMPLETED".equals(get("/api/v1/agents/pauser-it").body().get("status").get("state").asText()));
        String last = fake.requests.get(fake.requests.size() - 1).toString();
        assertTrue(last, last.contains("paused data"));

        JsonNode events = get("/api/v1/events?agent=pauser-it&limit=100").body().get("events");
        List<String> kinds = new ArrayList<>();
        events.forEach(e -> kinds.add(e.get("kind").asText()));
        assertTrue(kinds.toString(), kinds.contains("agent.suspended") && kinds.contains("agent.resumed"));
    }

    @Test
    public void aRevokedCallerTokenStopsTheAgentAtItsNextStep() throws Exception {
        Path workspace = Path.of(System.getProperty("karaf.base"), "workspace");
        Files.createDirectories(workspace);
        define(agentYaml("revoked-it", "medium", List.of("filesystem:read", "filesystem:write"), List.of(),
                "Write itest-after-revoke.txt"));
        java.util.concurrent.CountDownLatch arrived = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch gate = new java.util.concurrent.CountDownLatch(1);
        fake.script("revoked-it",
                FakeLlmServlet.tool("file-writer", Map.of("path", "itest-after-revoke.txt", "content", "too late"))
                        .held(arrived, gate),
                FakeLlmServlet.text(FakeLlmServlet.verdict("success", "wrote it")));
        // the caller holds what the agent needs, and agent:run; the agent's token is delegated from it
        Response issued = postJson("/api/v1/tokens", "{\"subject\":\"revoked-it-caller\",\"permissions\":"
                + "[\"agent:run\",\"filesystem:read\",\"filesystem:write\",\"tool:invoke:file-reader\","
                + "\"tool:invoke:file-writer\"],\"ttlSeconds\":600}");
        assertEquals(String.valueOf(issued.body()), 201, issued.status());
        String token = issued.body().get("token").asText();
        String jti = issued.body().get("jti").asText();
        Response started = postJson("/api/v1/agents/revoked-it/run", "{}", token);
        assertEquals(String.valueOf(started.body()), 202, started.status());
        try {
            assertTrue("the agent never asked the model", arrived.await(30, java.util.concurrent.TimeUnit.SECONDS));
            // while the model's first turn is held, the caller's token is revoked: the agent's token with it
            Response revoked = request("DELETE", "/api/v1/tokens/" + jti, adminToken(), null, null);
            assertEquals(String.valueOf(revoked.body()), 200, revoked.status());
            assertTrue(revoked.body().toString(), revoked.body().get("cascade").size() >= 1);
        } finally {
            gate.countDown();
        }
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).until(() -> {
            JsonNode s = get("/api/v1/agents/revoked-it").body().get("status");
            return s != null && !s.isNull() && Arrays.asList("COMPLETED", "FAILED", "TERMINATED")
                    .contains(s.get("state").asText());
        });
        JsonNode status = get("/api/v1/agents/revoked-it").body().get("status");
        assertEquals(status.toString(), "FAILED", status.get("state").asText());
        assertTrue(status.toString(), status.get("message").asText().contains("token revoked"));
        // the model asked for file-writer after the revocation: it did not run, and the model was not asked again
        assertTrue(Files.notExists(workspace.resolve("itest-after-revoke.txt")));
        assertEquals(1, fake.requests.stream().filter(r -> r.toString().contains("revoked-it")).count());
        awaitPostedEvents();
        JsonNode calls = get("/api/v1/events?kind=tool.invoked&limit=1000").body().get("events");
        calls.forEach(e -> assertFalse(e.toString(), "agent:revoked-it".equals(e.get("payload").path("subject").asText())
                && "file-writer".equals(e.get("payload").path("tool").asText())));
    }

    /**
     * Waits until every event posted so far is stored: issues a token and waits for its {@code token.issued} event,
     * since the kernel stores posted events (tool calls, token events) in order, in the background.
     */
    private void awaitPostedEvents() throws Exception {
        long seq = get("/api/v1/events/store").body().get("lastSeq").asLong();
        Response barrier = postJson("/api/v1/tokens", "{\"subject\":\"barrier\",\"permissions\":[\"tool:read\"],"
                + "\"ttlSeconds\":60}");
        String jti = barrier.body().get("jti").asText();
        await().atMost(Duration.ofSeconds(20)).until(() -> get("/api/v1/events?kind=token.issued&after=" + seq
                + "&limit=1000").body().get("events").toString().contains(jti));
    }

    @Test
    public void agentFilesAreLoadedLiveAndTheShellSeesThem() throws Exception {
        // the demo agent shipped in etc/toka/agents/
        await().atMost(Duration.ofSeconds(30)).until(() -> get("/api/v1/agents/workspace-summarizer").status() == 200);
        Path file = Path.of(System.getProperty("karaf.base"), "deploy", "hot-it.agent.yaml");
        Path tmp = file.resolveSibling(".hot-it.tmp");
        Files.writeString(tmp, agentYaml("hot-it", "low", List.of("filesystem:read"), List.of(), "Nothing"));
        Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        await().atMost(Duration.ofSeconds(10)).until(() -> get("/api/v1/agents/hot-it").status() == 200);
        String source = get("/api/v1/agents/hot-it").body().get("source").asText();
        assertTrue(source, source.endsWith("deploy/hot-it.agent.yaml"));

        ShellRunner shell = new ShellRunner(sessionFactory);
        String list = shell.run("toka:agent-list");
        assertTrue(list, list.contains("hot-it") && list.contains("workspace-summarizer"));
        // the control commands reach the agent service (their references are injected through a shared base class)
        try {
            shell.run("toka:agent-pause hot-it");
            org.junit.Assert.fail("pausing an agent that never ran succeeded");
        } catch (Exception e) {
            assertTrue(String.valueOf(e.getMessage()), String.valueOf(e.getMessage()).contains("has not run"));
        }

        Files.delete(file);
        await().atMost(Duration.ofSeconds(10)).until(() -> get("/api/v1/agents/hot-it").status() == 404);
    }

    @Test
    public void aProvider429IsRetried() throws Exception {
        define(agentYaml("retry-it", "medium", List.of("filesystem:read"), List.of(), "Say hello"));
        fake.script("retry-it",
                FakeLlmServlet.status(429, Map.of("Retry-After", "1")),
                FakeLlmServlet.text(FakeLlmServlet.verdict("success", "hello")));
        JsonNode status = runAndAwait("retry-it");
        assertEquals(status.toString(), "COMPLETED", status.get("state").asText());
        long retryRequests = fake.requests.stream().filter(r -> r.toString().contains("retry-it")).count();
        assertEquals(2, retryRequests);
    }

    @Test
    public void aDependencyChainRunsInOrderAndACycleIsRejected() throws Exception {
        define(agentYaml("chain-first", "medium", List.of("filesystem:read"), List.of(), "Step one"));
        define(agentYaml("chain-second", "medium", List.of("filesystem:read"), List.of("chain-first"), "Step two"));
        define(agentYaml("chain-third", "medium", List.of("filesystem:read"), List.of("chain-second"), "Step three"));
        for (String n : List.of("chain-first", "chain-second", "chain-third")) {
            fake.script(n, FakeLlmServlet.text(FakeLlmServlet.verdict("success", n + " done")));
        }
        Response started = postJson("/api/v1/sessions", "{\"agents\":[\"chain-third\",\"chain-first\",\"chain-second\"]}");
        assertEquals(String.valueOf(started.body()), 201, started.status());
        String id = started.body().get("id").asText();
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
                .until(() -> get("/api/v1/sessions/" + id).body().get("finishedAt").isTextual());
        JsonNode session = get("/api/v1/sessions/" + id).body();
        assertEquals(session.toString(), "COMPLETED", session.get("phase").asText());
        List<String> chain = fake.agentsInOrder.stream().filter(a -> a.startsWith("chain-")).toList();
        assertEquals(List.of("chain-first", "chain-second", "chain-third"), chain);

        // a definition may only name agents that exist, so the cycle is closed by redefining the first one
        define(agentYaml("cycle-two", "medium", List.of("filesystem:read"), List.of(), "Two"));
        define(agentYaml("cycle-one", "medium", List.of("filesystem:read"), List.of("cycle-two"), "One"));
        define(agentYaml("cycle-two", "medium", List.of("filesystem:read"), List.of("cycle-one"), "Two"));
        Response cycle = postJson("/api/v1/sessions", "{\"agents\":[\"cycle-one\",\"cycle-two\"]}");
        assertEquals(400, cycle.status());
        assertTrue(cycle.body().toString(), cycle.body().get("detail").asText().contains("Circular dependencies detected"));
    }
}
