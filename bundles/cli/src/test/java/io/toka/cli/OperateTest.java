package io.toka.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ServerSocket;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@code toka orchestration health}, {@code agents}, {@code events tail} and {@code tokens issue}. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class OperateTest {

    static final String RUNNING = "{\"agent\":\"indexer\",\"runId\":\"r-1\",\"state\":\"RUNNING\",\"currentTask\":0,"
            + "\"totalTasks\":2,\"progress\":0.0,\"message\":\"queued\",\"startedAt\":\"2026-12-05T08:00:00Z\","
            + "\"finishedAt\":null,\"tasks\":[],\"verdict\":null}";

    final ObjectMapper mapper = new ObjectMapper();
    FakeToka toka;

    @BeforeEach
    void start() throws IOException {
        toka = new FakeToka();
        toka.on("GET", "/health", r -> FakeToka.json(200, ("Bearer " + toka.token).equals(r.header("Authorization"))
                ? "{\"status\":\"UP\",\"version\":\"0.1.0-SNAPSHOT\",\"uptimeSeconds\":12,\"tools\":7,"
                + "\"sandbox\":{\"level\":\"FULL\",\"namespaces\":true,\"network\":false,\"rlimits\":true,"
                + "\"cgroup\":false,\"notes\":[\"no cgroup v2\"]}}"
                : "{\"status\":\"UP\"}"));
        toka.on("GET", "/status", FakeToka.json(200, "{\"agents\":2,\"running\":1,\"sessions\":0,"
                + "\"llm\":{\"provider\":\"ollama\",\"model\":\"qwen3\",\"baseUrl\":\"http://127.0.0.1:11434\"},"
                + "\"usage\":{},\"llmMetrics\":{}}"));
        toka.on("GET", "/events/store", FakeToka.json(200, "{\"type\":\"h2\",\"count\":41,\"lastSeq\":41}"));
    }

    @AfterEach
    void stop() {
        toka.close();
    }

    @Test
    void healthIsUpWithDetailsAndStatus() throws Exception {
        Cli r = Cli.run(Cli.env(toka), "orchestration", "health");
        assertThat(r.status()).isZero();
        assertThat(r.out()).contains("status:   UP", "version:  0.1.0-SNAPSHOT", "tools:    7", "sandbox:  FULL",
                "agents:   2 defined, 1 running", "llm:      ollama qwen3");
        Cli json = Cli.run(Cli.env(toka), "orchestration", "health", "--json");
        assertThat(mapper.readTree(json.out()).path("status").path("running").asInt()).isEqualTo(1);
    }

    @Test
    void healthNeedsNoTokenAndSaysWhatIsMissing() {
        Cli r = Cli.run(Map.of("TOKA_URL", toka.url()), "orchestration", "health");
        assertThat(r.status()).isZero();
        assertThat(r.out()).isEqualTo("status:   UP\n");
        assertThat(r.err()).contains("no token, so only the status is shown");
        toka.on("GET", "/status", FakeToka.problem(403, "Forbidden", "permission denied: agent.status requires "
                + "agent:read"));
        Cli narrow = Cli.run(Cli.env(toka), "orchestration", "health");
        assertThat(narrow.status()).isZero();
        assertThat(narrow.err()).contains("orchestration status not shown", "requires agent:read");
    }

    @Test
    void healthExits1WhenTokaIsNotUpOrNotThere() throws IOException {
        toka.on("GET", "/health", FakeToka.json(200, "{\"status\":\"DOWN\"}"));
        Cli down = Cli.run(Cli.env(toka), "orchestration", "health");
        assertThat(down.status()).isEqualTo(1);
        assertThat(down.out()).contains("status:   DOWN");
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Cli gone = Cli.run(Cli.env(toka, "TOKA_URL", "http://127.0.0.1:" + port), "orchestration", "health");
        assertThat(gone.status()).isEqualTo(1);
        assertThat(gone.out()).isEqualTo("status:   DOWN\n");
        assertThat(gone.err()).contains("connection refused");
    }

    @Test
    void listsAgents() {
        toka.on("GET", "/agents", FakeToka.json(200, "{\"agents\":[{\"name\":\"indexer\",\"version\":\"1.0\","
                + "\"workstream\":\"w\",\"domain\":\"d\",\"priority\":\"high\",\"capabilitiesRequired\":[],"
                + "\"dependencies\":[],\"tasks\":2,\"source\":\"api\",\"status\":" + RUNNING.replace("0.0", "0.5")
                + "},{\"name\":\"idle\",\"version\":\"0.1\",\"tasks\":1,\"source\":\"/opt/toka/agents/idle.yaml\","
                + "\"status\":null}]}"));
        Cli r = Cli.run(Cli.env(toka), "agents", "list");
        assertThat(r.status()).isZero();
        assertThat(r.out()).containsPattern("indexer +1\\.0 +RUNNING +50% +2 +api")
                .containsPattern("idle +0\\.1 +- +- +1 +/opt/toka/agents/idle.yaml");
    }

    @Test
    void runsAnAgent() throws Exception {
        toka.on("POST", "/agents/indexer/run", FakeToka.json(202, RUNNING));
        Cli r = Cli.run(Cli.env(toka), "agents", "run", "indexer");
        assertThat(r.status()).isZero();
        assertThat(r.out()).isEqualTo("started run r-1 of agent 'indexer': RUNNING\n");
        toka.on("POST", "/agents/ghost/run", FakeToka.problem(404, "Not found", "unknown agent 'ghost'"));
        Cli ghost = Cli.run(Cli.env(toka), "agents", "run", "ghost");
        assertThat(ghost.status()).isEqualTo(1);
        assertThat(ghost.err()).isEqualTo("toka: unknown agent 'ghost' (HTTP 404)\n");
        toka.on("POST", "/agents/indexer/run", FakeToka.problem(409, "Conflict", "agent 'indexer' is already running"));
        assertThat(Cli.run(Cli.env(toka), "agents", "run", "indexer").err()).contains("already running (HTTP 409)");
    }

    @Test
    void followsARunUntilItEndsFromTheEventsStoredBeforeIt() {
        toka.on("POST", "/agents/indexer/run", FakeToka.json(202, RUNNING));
        toka.on("GET", "/agents/indexer/events", FakeToka.sse(List.of(
                FakeToka.event(42, "agent.spawned", "indexer", "{\"name\":\"indexer\"}"),
                ": keep-alive\n\n",
                FakeToka.event(43, "observation.emitted", "indexer", "{\"agent\":\"indexer\",\"data\":\""
                        + java.util.Base64.getEncoder().encodeToString("{\"progress\":0.5}".getBytes(
                        java.nio.charset.StandardCharsets.UTF_8)) + "\"}"),
                FakeToka.event(44, "agent.terminated", "indexer", "{\"reason\":\"all 2 task(s) succeeded\",\"exitCode\":0}"),
                FakeToka.event(45, "should.not.print", "indexer", "{}")), true));
        toka.on("GET", "/agents/indexer", FakeToka.json(200, "{\"name\":\"indexer\",\"status\":"
                + RUNNING.replace("RUNNING", "COMPLETED").replace("\"verdict\":null", "\"verdict\":\"success\"")
                .replace("queued", "all 2 task(s) succeeded") + "}"));
        Cli r = Cli.run(Cli.env(toka), "agents", "run", "indexer", "--follow");
        assertThat(r.err()).isEmpty();
        assertThat(r.status()).isZero();
        assertThat(r.out().lines().toList()).hasSize(5);
        assertThat(r.out()).contains("#42  2026-12-05T08:00:02Z  agent.spawned  agent=indexer  subject=admin  "
                        + "{\"name\":\"indexer\"}", "{\"agent\":\"indexer\",\"data\":\"{\\\"progress\\\":0.5}\"}",
                        "agent.terminated", "run r-1 COMPLETED (success): all 2 task(s) succeeded")
                .doesNotContain("should.not.print");
        assertThat(toka.requests("GET", "/agents/indexer/events").get(0).header("Last-Event-ID")).isEqualTo("41");
        // the events were asked for before the run was started, so none of the run's can be missed
        assertThat(toka.requests.stream().map(FakeToka.Request::path).toList())
                .containsSubsequence("/api/v1/events/store", "/api/v1/agents/indexer/run", "/api/v1/agents/indexer/events");

        toka.on("GET", "/agents/indexer", FakeToka.json(200, "{\"name\":\"indexer\",\"status\":"
                + RUNNING.replace("RUNNING", "FAILED").replace("\"verdict\":null", "\"verdict\":\"failure\"") + "}"));
        Cli failed = Cli.run(Cli.env(toka), "agents", "run", "indexer", "-f");
        assertThat(failed.status()).isEqualTo(1);
        assertThat(failed.out()).contains("run r-1 FAILED (failure)");
    }

    @Test
    void aFollowedStreamThatEndsEarlyOrIsRevokedIsAFailure() {
        toka.on("POST", "/agents/indexer/run", FakeToka.json(202, RUNNING));
        toka.on("GET", "/agents/indexer/events", FakeToka.sse(List.of(
                FakeToka.event(42, "agent.spawned", "indexer", "{}")), false));
        Cli early = Cli.run(Cli.env(toka), "agents", "run", "indexer", "--follow");
        assertThat(early.status()).isEqualTo(1);
        assertThat(early.err()).contains("ended before its run did");
        toka.on("GET", "/agents/indexer/events", FakeToka.sse(List.of(
                "event: error\ndata: {\"error\":\"token revoked\"}\n\n"), true));
        Cli revoked = Cli.run(Cli.env(toka), "agents", "run", "indexer", "--follow");
        assertThat(revoked.status()).isEqualTo(3);
        assertThat(revoked.err()).isEqualTo("toka: Toka ended the event stream: token revoked\n");
    }

    @Test
    void tailsEventsOfAKindAndStopsAfterCount() throws Exception {
        toka.on("GET", "/events/stream", FakeToka.sse(List.of(
                FakeToka.event(42, "tool.invoked", null, "{\"tool\":\"hello\"}"),
                FakeToka.event(43, "tool.invoked", null, "{\"tool\":\"word-count\"}"),
                FakeToka.event(44, "tool.invoked", null, "{\"tool\":\"third\"}")), true));
        Cli r = Cli.run(Cli.env(toka), "events", "tail", "--kind", "tool.invoked", "--count", "2");
        assertThat(r.err()).isEmpty();
        assertThat(r.status()).isZero();
        assertThat(r.out().lines().toList()).containsExactly(
                "#42  2026-12-05T08:00:02Z  tool.invoked  subject=admin  {\"tool\":\"hello\"}",
                "#43  2026-12-05T08:00:03Z  tool.invoked  subject=admin  {\"tool\":\"word-count\"}");
        FakeToka.Request req = toka.requests("GET", "/events/stream").get(0);
        assertThat(req.query()).isEqualTo("kind=tool.invoked");
        assertThat(req.header("Last-Event-ID")).isEqualTo("41");
        assertThat(req.header("Accept")).isEqualTo("text/event-stream");
        // the client hung up: the server's next keep-alive fails
        assertThat(toka.streamClosed.await(30, TimeUnit.SECONDS)).isTrue();

        Cli json = Cli.run(Cli.env(toka), "events", "tail", "-n", "1", "--after", "0", "--json");
        assertThat(mapper.readTree(json.out()).path("payload").path("tool").asText()).isEqualTo("hello");
        assertThat(toka.requests("GET", "/events/stream").get(1).header("Last-Event-ID")).isEqualTo("0");
    }

    @Test
    void tailReportsRefusalsRevocationAndAStreamThatIsNotOne() {
        toka.on("GET", "/events/stream", FakeToka.problem(403, "Forbidden", "permission denied: event.stream "
                + "requires event:read"));
        Cli refused = Cli.run(Cli.env(toka), "events", "tail");
        assertThat(refused.status()).isEqualTo(3);
        assertThat(refused.err()).contains("HTTP 403", "requires event:read");
        toka.on("GET", "/events/stream", FakeToka.sse(List.of("event: error\ndata: {\"error\":\"token expired\"}\n\n"),
                true));
        Cli revoked = Cli.run(Cli.env(toka), "events", "tail");
        assertThat(revoked.status()).isEqualTo(3);
        assertThat(revoked.err()).contains("token expired");
        toka.on("GET", "/events/stream", FakeToka.json(200, "{\"events\":[]}"));
        Cli notStream = Cli.run(Cli.env(toka), "events", "tail");
        assertThat(notStream.status()).isEqualTo(1);
        assertThat(notStream.err()).contains("is not an event stream");
        toka.on("GET", "/events/stream", FakeToka.sse(List.of("data: not json\n\n"), true));
        Cli garbage = Cli.run(Cli.env(toka), "events", "tail");
        assertThat(garbage.status()).isEqualTo(1);
        assertThat(garbage.err()).contains("an event that is not a JSON object");
        Cli badCount = Cli.run(Cli.env(toka), "events", "tail", "--count", "0");
        assertThat(badCount.status()).isEqualTo(2);
    }

    @Test
    void issuesATokenPrintingOnlyTheToken() throws Exception {
        toka.on("POST", "/tokens", FakeToka.json(201, "{\"token\":\"tk-new\",\"jti\":\"j-1\",\"subject\":\"agent-1\","
                + "\"vault\":null,\"permissions\":[\"tool:invoke:hello\"],\"issuedAt\":\"2026-12-05T08:00:00Z\","
                + "\"expiresAt\":\"2026-12-05T10:00:00Z\",\"issuer\":\"admin\",\"chain\":[],\"restrictions\":{}}"));
        Cli r = Cli.run(Cli.env(toka), "tokens", "issue", "agent-1", "tool:invoke:hello", "filesystem:read",
                "--ttl", "2h");
        assertThat(r.status()).isZero();
        assertThat(r.out()).isEqualTo("tk-new\n");
        assertThat(r.err()).contains("issued token j-1 for 'agent-1', expires 2026-12-05T10:00:00Z");
        assertThat(mapper.readTree(toka.requests("POST", "/tokens").get(0).body())).isEqualTo(mapper.readTree(
                "{\"subject\":\"agent-1\",\"permissions\":[\"tool:invoke:hello\",\"filesystem:read\"],\"ttlSeconds\":7200}"));
        assertThat(Cli.run(Cli.env(toka), "tokens", "issue", "agent-1").status()).isEqualTo(2);
        assertThat(Cli.run(Cli.env(toka), "tokens", "issue", "a", "p", "--ttl", "soon").err())
                .contains("--ttl must be a positive duration");
        toka.on("POST", "/tokens", FakeToka.problem(403, "Forbidden", "cannot grant a permission you do not hold: "
                + "key:rotate"));
        Cli refused = Cli.run(Cli.env(toka), "tokens", "issue", "a", "key:rotate");
        assertThat(refused.status()).isEqualTo(3);
        assertThat(refused.err()).contains("key:rotate");
    }
}
