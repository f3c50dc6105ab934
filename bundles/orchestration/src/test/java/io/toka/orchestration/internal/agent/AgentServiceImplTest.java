package io.toka.orchestration.internal.agent;

import io.toka.security.AccessDeniedException;
import io.toka.security.SecurityContext;
import static io.toka.orchestration.internal.agent.ScriptedGateway.failing;
import static io.toka.orchestration.internal.agent.ScriptedGateway.text;
import static io.toka.orchestration.internal.agent.ScriptedGateway.toolResults;
import static io.toka.orchestration.internal.agent.ScriptedGateway.verdict;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.toka.event.EventPayload;
import io.toka.llm.ContentBlock;
import io.toka.llm.LlmException.Reason;
import io.toka.llm.LlmRequest;
import io.toka.llm.LlmTool;
import io.toka.orchestration.AgentConfig.Priority;
import io.toka.orchestration.AgentStatus;
import io.toka.orchestration.AgentStatus.State;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AgentServiceImplTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final List<String> READ_WRITE = List.of("filesystem-read", "filesystem-write");

    @TempDir
    Path tempDir;

    AgentFixture f;
    AgentServiceImpl agents;

    @BeforeEach
    void setUp() throws Exception {
        f = new AgentFixture(tempDir);
        agents = f.start(10);
    }

    @AfterEach
    void tearDown() throws Exception {
        f.close();
    }

    private AgentStatus runToEnd(String name) throws InterruptedException {
        agents.run(name, f.orchestrator);
        AgentStatus s = agents.await(name, WAIT);
        assertThat(s.finishedAt()).as("finished").isNotNull();
        return s;
    }

    @Test
    void readsAFileWritesASummaryAndSucceeds() throws Exception {
        Files.writeString(f.workspace.resolve("notes.txt"), "Toka runs agents. Agents call tools.");
        f.catalog.add(TestCatalog.agent("summarizer", READ_WRITE, "Summarise notes.txt into summary.txt"));
        f.llm.script("summarizer",
                f.llm.tool("file-reader", "path", "notes.txt"),
                f.llm.tool("file-writer", "path", "summary.txt", "content", "Agents run and call tools."),
                verdict("success", "wrote summary.txt"));

        AgentStatus s = runToEnd("summarizer");

        assertThat(s.state()).isEqualTo(State.COMPLETED);
        assertThat(s.verdict()).isEqualTo("success");
        assertThat(s.progress()).isEqualTo(1.0);
        assertThat(s.tasks()).singleElement().satisfies(t -> {
            assertThat(t.success()).isTrue();
            assertThat(t.summary()).isEqualTo("wrote summary.txt");
            assertThat(t.steps()).isEqualTo(3);
            assertThat(t.toolCalls()).isEqualTo(2);
        });
        assertThat(Files.readString(f.workspace.resolve("summary.txt"))).isEqualTo("Agents run and call tools.");

        List<LlmRequest> requests = f.llm.requestsOf("summarizer");
        assertThat(requests).hasSize(3);
        LlmRequest first = requests.get(0);
        assertThat(first.system()).contains("summarizer", "Domain: testing", "Workstream: Testing",
                "Summarise the notes", "Deliverable: summary.txt");
        String prompt = ((ContentBlock.Text) first.messages().get(0).content().get(0)).text();
        assertThat(prompt).contains("Task 1 of 1: Summarise notes.txt into summary.txt", "Working rules",
                "{\"verdict\":\"success\"");
        assertThat(first.maxTokens()).isEqualTo(4096);
        assertThat(toolResults(requests.get(1))).singleElement().satisfies(r -> {
            assertThat(r.isError()).isFalse();
            assertThat(r.content()).contains("Toka runs agents.");
        });
        assertThat(toolResults(requests.get(2))).singleElement().extracting(ContentBlock.ToolResult::isError)
                .isEqualTo(false);
    }

    @Test
    void aToolOutsideTheCapabilitiesIsRefusedAsAToolErrorAndTheAgentRecovers() throws Exception {
        Files.writeString(f.workspace.resolve("notes.txt"), "read me");
        f.catalog.add(TestCatalog.agent("reader", List.of("filesystem:read"), "Read notes.txt"));
        f.llm.script("reader",
                f.llm.tool("file-writer", "path", "out.txt", "content", "x"),
                f.llm.tool("file-reader", "path", "notes.txt"),
                verdict("success", "read it instead"));

        AgentStatus s = runToEnd("reader");

        assertThat(s.state()).isEqualTo(State.COMPLETED);
        assertThat(s.tasks().get(0).toolCalls()).isEqualTo(2);
        ContentBlock.ToolResult refusal = toolResults(f.llm.requestsOf("reader").get(1)).get(0);
        assertThat(refusal.isError()).isTrue();
        assertThat(refusal.content()).startsWith("refused: ").contains("file-writer");
        assertThat(toolResults(f.llm.requestsOf("reader").get(2)).get(0).content()).isEqualTo("read me");
        assertThat(f.workspace.resolve("out.txt")).doesNotExist();
    }

    @Test
    void onlyToolsTheAgentTokenMayCallAreOffered() throws Exception {
        f.register(AgentFixture.simpleTool("secret-tool", false, "secrets:read"));
        f.register(AgentFixture.simpleTool("free-tool", false));
        f.catalog.add(TestCatalog.agent("reader", List.of("filesystem-read"), "Look around"));
        f.llm.script("reader", verdict("success", "looked"));

        runToEnd("reader");

        LlmRequest r = f.llm.requestsOf("reader").get(0);
        assertThat(r.tools()).extracting(LlmTool::name).containsExactly("file-reader", "free-tool", "report_verdict");
        assertThat(r.tools().get(0).inputSchema()).contains("\"path\"");
        // the verdict tool comes with its JSON Schema; no spawn_agent without a kernel and agent:spawn
        assertThat(r.tools().get(2).inputSchema()).contains("\"enum\":[\"success\",\"failure\"]",
                "\"required\":[\"verdict\",\"summary\"]");
    }

    @Test
    void maxStepsEndsTheTaskAsAFailure() throws Exception {
        Files.writeString(f.workspace.resolve("notes.txt"), "again");
        f.catalog.add(TestCatalog.agent("looper", Priority.MEDIUM, READ_WRITE, "2h", 3, List.of(), "Loop"));
        f.llm.fallback(f.llm.tool("file-reader", "path", "notes.txt"));

        AgentStatus s = runToEnd("looper");

        assertThat(s.state()).isEqualTo(State.FAILED);
        assertThat(s.tasks().get(0).summary()).isEqualTo("max_steps (3) reached without a final answer");
        assertThat(f.llm.requestsOf("looper")).hasSize(3);
    }

    @Test
    void aFinalAnswerWithoutAVerdictGetsOneReminderThenFails() throws Exception {
        f.catalog.add(TestCatalog.agent("vague", READ_WRITE, "Do something"));
        f.llm.script("vague", text("All done, everything went well."), text("Really, it is done."));

        AgentStatus s = runToEnd("vague");

        assertThat(s.state()).isEqualTo(State.FAILED);
        assertThat(s.verdict()).isEqualTo("failure");
        assertThat(s.tasks().get(0).summary()).startsWith("no verdict");
        assertThat(s.tasks().get(0).steps()).isEqualTo(2);
        assertThat(s.message()).contains("1 of 1 task(s) failed");
        List<LlmRequest> requests = f.llm.requestsOf("vague");
        assertThat(requests).hasSize(2);
        String reminder = ((ContentBlock.Text) requests.get(1).messages().get(2).content().get(0)).text();
        assertThat(reminder).contains("reported no verdict", "report_verdict", "only reminder");
    }

    @Test
    void theReminderTurnCanStillReportTheVerdict() throws Exception {
        f.catalog.add(TestCatalog.agent("forgetful", READ_WRITE, "Do something"));
        f.llm.script("forgetful", text("Finished the work."), verdict("success", "finished after the reminder"));

        AgentStatus s = runToEnd("forgetful");

        assertThat(s.state()).isEqualTo(State.COMPLETED);
        assertThat(s.tasks().get(0).summary()).isEqualTo("finished after the reminder");
    }

    @Test
    void theVerdictToolDecidesAndItsOtherCallsRunFirst() throws Exception {
        Files.writeString(f.workspace.resolve("notes.txt"), "content");
        f.catalog.add(TestCatalog.agent("tooled", READ_WRITE, "Read and report"));
        f.llm.script("tooled", r -> ScriptedGateway.reply(List.of(
                new ContentBlock.ToolUse("c1", "file-reader", java.util.Map.of("path", "notes.txt")),
                new ContentBlock.ToolUse("v1", "report_verdict",
                        java.util.Map.of("verdict", "success", "summary", "read notes.txt")))));

        AgentStatus s = runToEnd("tooled");

        assertThat(s.state()).isEqualTo(State.COMPLETED);
        assertThat(s.tasks().get(0).summary()).isEqualTo("read notes.txt");
        assertThat(s.tasks().get(0).toolCalls()).isEqualTo(1);
        assertThat(f.llm.requestsOf("tooled")).hasSize(1);
    }

    @Test
    void anInvalidVerdictIsRefusedToTheModelWhichTriesAgain() throws Exception {
        f.catalog.add(TestCatalog.agent("sloppy", READ_WRITE, "Report"));
        f.llm.script("sloppy",
                r -> ScriptedGateway.reply(List.of(new ContentBlock.ToolUse("v1", "report_verdict",
                        java.util.Map.of("verdict", "probably", "summary", "hmm")))),
                r -> ScriptedGateway.reply(List.of(new ContentBlock.ToolUse("v2", "report_verdict",
                        java.util.Map.of("verdict", "failure", "summary", "could not do it")))));

        AgentStatus s = runToEnd("sloppy");

        assertThat(s.state()).isEqualTo(State.FAILED);
        assertThat(s.tasks().get(0).summary()).isEqualTo("could not do it");
        ContentBlock.ToolResult refusal = toolResults(f.llm.requestsOf("sloppy").get(1)).get(0);
        assertThat(refusal.toolUseId()).isEqualTo("v1");
        assertThat(refusal.isError()).isTrue();
        assertThat(refusal.content()).contains("invalid verdict", "'probably'");
    }

    @Test
    void aSuccessReportedWithTheToolIsStillDowngradedByAnUnrecoveredToolFailure() throws Exception {
        f.register(AgentFixture.simpleTool("flaky", true));
        f.catalog.add(TestCatalog.agent("claims", READ_WRITE, "Use flaky"));
        f.llm.script("claims", f.llm.tool("flaky"), r -> ScriptedGateway.reply(List.of(new ContentBlock.ToolUse(
                "v1", "report_verdict", java.util.Map.of("verdict", "success", "summary", "fine")))));

        AgentStatus s = runToEnd("claims");

        assertThat(s.state()).isEqualTo(State.FAILED);
        assertThat(s.tasks().get(0).summary()).contains("last call of tool 'flaky' failed");
    }

    @Test
    void theVerdictDecidesNotWordsInTheText() throws Exception {
        f.catalog.add(TestCatalog.agent("honest", READ_WRITE, "Fix it"));
        f.llm.script("honest", text("The first attempt failed with an error, which I fixed.\n"
                + "{\"verdict\":\"success\",\"summary\":\"fixed\",\"details\":{\"errors\":0}}"));

        assertThat(runToEnd("honest").state()).isEqualTo(State.COMPLETED);
    }

    @Test
    void aSuccessVerdictAfterAnUnrecoveredToolFailureIsDowngraded() throws Exception {
        f.register(AgentFixture.simpleTool("flaky", true));
        f.catalog.add(TestCatalog.agent("optimist", READ_WRITE, "Use flaky"));
        f.llm.script("optimist", f.llm.tool("flaky"), verdict("success", "all good"));

        AgentStatus s = runToEnd("optimist");

        assertThat(s.state()).isEqualTo(State.FAILED);
        assertThat(toolResults(f.llm.requestsOf("optimist").get(1)).get(0))
                .satisfies(r -> assertThat(r.isError()).isTrue())
                .satisfies(r -> assertThat(r.content()).isEqualTo("failed: flaky broke"));
        assertThat(s.tasks().get(0).summary()).contains("last call of tool 'flaky' failed: flaky broke");
    }

    @Test
    void aRateLimitedTurnIsRetriedWithBackoffAndSucceeds() throws Exception {
        agents.deactivate();
        agents = new AgentServiceImpl(f.catalog, f.llm, f.registry, f.authority, AgentFixture.config(10, 40, 60, 3));
        f.agents = agents;
        f.catalog.add(TestCatalog.agent("patient", READ_WRITE, "Wait your turn"));
        f.llm.script("patient", failing(Reason.RATE_LIMITED), failing(Reason.RATE_LIMITED),
                verdict("success", "got through"));

        long t0 = System.nanoTime();
        AgentStatus s = runToEnd("patient");
        long ms = (System.nanoTime() - t0) / 1_000_000;

        assertThat(s.state()).isEqualTo(State.COMPLETED);
        assertThat(s.tasks().get(0).attempts()).isEqualTo(3);
        assertThat(f.llm.requestsOf("patient")).hasSize(3);
        assertThat(ms).as("40 ms then min(80, 60) ms of backoff").isGreaterThanOrEqualTo(100);
    }

    @Test
    void retriesEndAfterMaxRetriesAndUnretryableReasonsFailAtOnce() throws Exception {
        f.catalog.add(TestCatalog.agent("unlucky", READ_WRITE, "Try"));
        f.catalog.add(TestCatalog.agent("blocked", READ_WRITE, "Try"));
        f.llm.script("unlucky", failing(Reason.PROVIDER), failing(Reason.PROVIDER), failing(Reason.TIMEOUT),
                failing(Reason.PROVIDER), verdict("success", "too late"));
        f.llm.script("blocked", failing(Reason.BLOCKED), verdict("success", "too late"));

        AgentStatus unlucky = runToEnd("unlucky");
        AgentStatus blocked = runToEnd("blocked");

        assertThat(unlucky.state()).isEqualTo(State.FAILED);
        assertThat(unlucky.tasks().get(0).summary()).isEqualTo("LLM PROVIDER: scripted PROVIDER (after 3 retries)");
        assertThat(f.llm.requestsOf("unlucky")).hasSize(4);
        assertThat(blocked.tasks().get(0).summary()).isEqualTo("LLM BLOCKED: scripted BLOCKED");
        assertThat(f.llm.requestsOf("blocked")).hasSize(1);
    }

    @Test
    void pauseHoldsTheRunningAgentBeforeItsNextCallAndResumeContinues() throws Exception {
        Files.writeString(f.workspace.resolve("notes.txt"), "paused content");
        CountDownLatch inModel = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        ScriptedGateway.Step toolTurn = f.llm.tool("file-reader", "path", "notes.txt");
        f.catalog.add(TestCatalog.agent("sleepy", READ_WRITE, "Read while paused"));
        f.llm.script("sleepy", r -> {
            inModel.countDown();
            release.await();
            return toolTurn.answer(r);
        }, verdict("success", "resumed and read"));

        agents.run("sleepy", f.orchestrator);
        assertThat(inModel.await(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        assertThat(agents.pause("sleepy").state()).isEqualTo(State.PAUSED);
        release.countDown();

        // the model asked for a tool call; paused, the agent neither calls it nor asks the model again
        await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2))
                .until(() -> f.llm.requestsOf("sleepy").size() == 1
                        && agents.status("sleepy").orElseThrow().state() == State.PAUSED);
        assertThat(agents.status("sleepy").orElseThrow().tasks()).isEmpty();

        assertThat(agents.resume("sleepy").state()).isEqualTo(State.RUNNING);
        AgentStatus s = agents.await("sleepy", WAIT);
        assertThat(s.state()).isEqualTo(State.COMPLETED);
        assertThat(toolResults(f.llm.requestsOf("sleepy").get(1)).get(0).content()).isEqualTo("paused content");
        assertThat(f.kernel.kindsOf("sleepy")).containsSubsequence("agent.suspended", "agent.resumed");
    }

    @Test
    void revokingTheCallersTokenMidRunStopsTheAgentAtItsNextStep() throws Exception {
        Files.writeString(f.workspace.resolve("notes.txt"), "secret plans");
        SecurityContext caller = f.caller("alice", "*");
        CountDownLatch inModel = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        ScriptedGateway.Step toolTurn = f.llm.tool("file-reader", "path", "notes.txt");
        f.catalog.add(TestCatalog.agent("revokee", READ_WRITE, "Read notes.txt", "Then more"));
        f.llm.script("revokee", r -> {
            inModel.countDown();
            release.await();
            return toolTurn.answer(r);
        }, verdict("success", "read it"), verdict("success", "more"));

        agents.run("revokee", caller);
        assertThat(inModel.await(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        // the agent's token is a child of alice's: revoking alice's token must stop the agent, although the
        // agent signed in before the revocation
        f.tokens.revoke(caller.token().orElseThrow().jti());
        release.countDown();
        AgentStatus s = agents.await("revokee", WAIT);

        assertThat(s.state()).isEqualTo(State.FAILED);
        assertThat(s.message()).contains("token revoked");
        // the tool call the model asked for after the revocation never ran, and no further model turn was asked
        assertThat(f.llm.requestsOf("revokee")).hasSize(1);
        assertThat(f.kernel.posted).filteredOn(p -> p instanceof EventPayload.ToolInvoked).isEmpty();
        assertThat(s.tasks()).singleElement().satisfies(t -> assertThat(t.summary()).contains("token revoked"));
    }

    @Test
    void aRevocationDuringAModelTurnStopsTheRunBeforeTheNextTask() throws Exception {
        f.catalog.add(TestCatalog.agent("between-tasks", READ_WRITE, "One", "Two"));
        SecurityContext caller = f.caller("bob", "*");
        CountDownLatch inModel = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        f.llm.script("between-tasks", r -> {
            inModel.countDown();
            release.await();
            return verdict("success", "one").answer(r);
        }, verdict("success", "two"));

        agents.run("between-tasks", caller);
        assertThat(inModel.await(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        f.tokens.revoke(caller.token().orElseThrow().jti());
        release.countDown();
        AgentStatus s = agents.await("between-tasks", WAIT);

        assertThat(s.state()).isEqualTo(State.FAILED);
        assertThat(s.message()).contains("token revoked");
        assertThat(f.llm.requestsOf("between-tasks")).hasSize(1);
    }

    @Test
    void definingNeedsAgentDefineAndRunningNeedsAgentRun() throws Exception {
        SecurityContext runner = f.caller("runner", "agent:run", "tool:invoke:*", "filesystem:*");
        assertThatThrownBy(() -> agents.define("metadata: {name: sneaky}\nspec: {}\ntasks:\n  default:\n"
                + "    - description: x\n", "api", runner)).isInstanceOf(AccessDeniedException.class)
                .hasMessageContaining("agent:define");
        assertThat(agents.agent("sneaky")).isEmpty();
        f.catalog.add(TestCatalog.agent("runnable", READ_WRITE, "Do"));
        SecurityContext definer = f.caller("definer", "agent:define");
        assertThatThrownBy(() -> agents.run("runnable", definer)).isInstanceOf(AccessDeniedException.class)
                .hasMessageContaining("agent:run");
        assertThatThrownBy(() -> agents.remove("runnable", runner)).isInstanceOf(AccessDeniedException.class);
        assertThat(agents.agent("runnable")).isPresent();
    }

    @Test
    void terminateInterruptsTheRunningAgent() throws Exception {
        CountDownLatch inModel = new CountDownLatch(1);
        f.catalog.add(TestCatalog.agent("stuck", READ_WRITE, "Hang", "Never reached"));
        f.llm.script("stuck", r -> {
            inModel.countDown();
            new CountDownLatch(1).await();
            throw new AssertionError("not interrupted");
        });

        agents.run("stuck", f.orchestrator);
        assertThat(inModel.await(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        agents.terminate("stuck");
        AgentStatus s = agents.await("stuck", WAIT);

        assertThat(s.state()).isEqualTo(State.TERMINATED);
        assertThat(s.verdict()).isEqualTo("terminated");
        assertThat(s.tasks()).singleElement().satisfies(t -> assertThat(t.summary()).isEqualTo("terminated on request"));
        assertThat(f.kernel.posted).filteredOn(p -> p instanceof EventPayload.AgentTerminated)
                .singleElement().satisfies(p -> assertThat(((EventPayload.AgentTerminated) p).exitCode()).isEqualTo(2));
        assertThatThrownBy(() -> agents.pause("stuck")).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("not running");
    }

    @Test
    void theTimeoutIsEnforced() throws Exception {
        f.catalog.add(TestCatalog.agent("slow", Priority.MEDIUM, READ_WRITE, "200ms", 10, List.of(), "Take ages"));
        f.llm.script("slow", r -> {
            new CountDownLatch(1).await();
            throw new AssertionError("not interrupted");
        });

        long t0 = System.nanoTime();
        agents.run("slow", f.orchestrator);
        AgentStatus s = agents.await("slow", WAIT);
        long ms = (System.nanoTime() - t0) / 1_000_000;

        assertThat(s.state()).isEqualTo(State.FAILED);
        assertThat(s.message()).isEqualTo("timeout of 200ms exceeded");
        assertThat(ms).isBetween(200L, 5_000L);
        assertThat(f.kernel.kindsOf("slow")).contains("task.timeout", "task.failed", "agent.terminated");
    }

    @Test
    void eventsArePostedInOrder() throws Exception {
        f.catalog.add(TestCatalog.agent("reporter", READ_WRITE, "First", "Second"));
        f.llm.script("reporter", verdict("success", "one"), text("no verdict here"), text("none again"));

        AgentStatus s = runToEnd("reporter");

        assertThat(s.state()).isEqualTo(State.FAILED);
        assertThat(f.kernel.kindsOf("reporter")).containsExactly(
                "agent.spawned", "observation.emitted",
                "task.scheduled", "observation.emitted", "task.completed", "observation.emitted",
                "task.scheduled", "observation.emitted", "task.failed", "observation.emitted",
                "observation.emitted", "agent.terminated");
        EventPayload.AgentSpawned spawned = (EventPayload.AgentSpawned) f.kernel.posted.get(0);
        assertThat(spawned.parent()).isEqualTo("orchestrator");
        String progress = new String(java.util.Base64.getDecoder().decode(
                ((EventPayload.ObservationEmitted) f.kernel.posted.get(3)).data()));
        assertThat(progress).contains("\"agent\":\"reporter\"", "task 1/2: First");
        String first = new String(java.util.Base64.getDecoder().decode(
                ((EventPayload.ObservationEmitted) f.kernel.posted.get(1)).data()));
        assertThat(first).contains("timeout 2h enforced",
                "max_memory 512MB and max_cpu 75% not enforced: the agent runs in the JVM");
        assertThat(f.kernel.posted).filteredOn(p -> p instanceof EventPayload.TaskScheduled)
                .allSatisfy(p -> assertThat(p.subject()).isEqualTo("agent:reporter"));
        EventPayload.AgentTerminated end = (EventPayload.AgentTerminated) f.kernel.posted
                .get(f.kernel.posted.size() - 1);
        assertThat(end.exitCode()).isEqualTo(1);
        assertThat(end.reason()).isEqualTo("1 of 2 task(s) failed; task 2: " + s.tasks().get(1).summary());
    }

    @Test
    void aCallerWithoutTheCapabilitiesCannotRunTheAgent() throws Exception {
        f.catalog.add(TestCatalog.agent("writer", READ_WRITE, "Write"));

        AgentStatus s = agents.run("writer", f.caller("limited", "agent:run", "filesystem:read", "tool:invoke:*"));

        assertThat(s.state()).isEqualTo(State.FAILED);
        assertThat(s.message()).contains("cannot delegate", "filesystem:write");
        assertThat(f.llm.requests).isEmpty();
    }

    @Test
    void unknownAndAlreadyRunningAgentsAreRefused() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        f.catalog.add(TestCatalog.agent("busy", READ_WRITE, "Hold"));
        f.llm.script("busy", r -> {
            release.await();
            return verdict("success", "done").answer(r);
        });

        assertThatThrownBy(() -> agents.run("nobody", f.orchestrator))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("unknown agent 'nobody'");
        agents.run("busy", f.orchestrator);
        assertThatThrownBy(() -> agents.run("busy", f.orchestrator))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("already running");
        release.countDown();
        assertThat(agents.await("busy", WAIT).state()).isEqualTo(State.COMPLETED);
        assertThat(agents.statuses()).extracting(AgentStatus::agent).containsExactly("busy");
    }
}
