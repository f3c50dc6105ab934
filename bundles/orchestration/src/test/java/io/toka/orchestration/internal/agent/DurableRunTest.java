package io.toka.orchestration.internal.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.toka.event.Event;
import io.toka.event.EventPayload;
import io.toka.llm.ContentBlock;
import io.toka.orchestration.AgentConfig;
import io.toka.orchestration.AgentStatus;
import io.toka.orchestration.AgentStatus.State;
import io.toka.security.SecurityContext;
import io.toka.tool.Tool;
import io.toka.tool.ToolDescriptor;
import io.toka.tool.ToolInvocation;
import io.toka.tool.ToolResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Durable runs through a crash: the resume rules, paused runs, tokens revoked while Toka was down, the switch. */
class DurableRunTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String AGENT = ResumeEveryStepTest.AGENT;

    @TempDir
    Path dir;

    DurableFixture d;
    final Map<String, AtomicInteger> executions = new ConcurrentHashMap<>();

    @AfterEach
    void close() throws Exception {
        if (d != null) {
            d.close();
        }
    }

    private Tool counting(String name, boolean idempotent) {
        ToolDescriptor desc = ToolDescriptor.builder(name).description("counts its calls").idempotent(idempotent)
                .build();
        return new Tool() {
            @Override
            public ToolDescriptor descriptor() {
                return desc;
            }

            @Override
            public ToolResult invoke(ToolInvocation invocation) {
                String n = String.valueOf(invocation.arguments().get("n"));
                executions.computeIfAbsent(n, k -> new AtomicInteger()).incrementAndGet();
                return ToolResult.success(name + " did " + n);
            }
        };
    }

    private DurableFixture fixture(DurableFixture fixture) {
        d = fixture;
        d.f.register(counting("idem-tool", true));
        d.f.register(counting("once-tool", false));
        d.f.catalog.add(TestCatalog.agent(AGENT, List.of("filesystem-read"), "First", "Second"));
        d.f.llm.fallback(ResumeEveryStepTest.model());
        return d;
    }

    /** Crashes the run when a step matching {@code at} is about to be stored (after == false) or was stored. */
    private CountDownLatch crashAt(Predicate<EventPayload> at, boolean after) {
        CountDownLatch crashed = new CountDownLatch(1);
        d.agents.setJournalHooks(new RunJournal.Hooks() {
            @Override
            public void before(EventPayload p, RunJournal j) {
                if (!after && crashed.getCount() > 0 && at.test(p)) {
                    die(crashed, null);
                }
            }

            @Override
            public void after(EventPayload p, RunJournal j) {
                if (after && crashed.getCount() > 0 && at.test(p)) {
                    die(crashed, j);
                }
            }
        });
        return crashed;
    }

    private void die(CountDownLatch crashed, RunJournal journal) {
        try {
            if (journal != null) {
                journal.flush();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RunJournal.NotRecorded e) {
            throw new IllegalStateException(e);
        }
        d.freeze();
        crashed.countDown();
        throw new DurableFixture.Crash("in a test");
    }

    private static Predicate<EventPayload> returned(String tool) {
        return p -> p instanceof RunEvents.ToolReturned r && r.tool().equals(tool);
    }

    @Test
    void anInFlightCallOfAToolThatIsNotIdempotentIsNotRepeatedAndTheModelIsToldItsResultIsUnknown()
            throws Exception {
        fixture(DurableFixture.sqlite(dir)).start(2);
        // the tool ran; Toka dies before its result is stored
        CountDownLatch crashed = crashAt(returned("once-tool"), false);
        d.agents.run(AGENT, d.f.orchestrator);
        assertThat(crashed.await(30, TimeUnit.SECONDS)).isTrue();
        d.crash();
        String runId = d.journalOf(AGENT).get(0).run();

        d.restart();
        AgentStatus s = d.agents.await(AGENT, WAIT);

        assertThat(s.state()).isEqualTo(State.COMPLETED);
        assertThat(s.runId()).isEqualTo(runId);
        assertThat(s.resumedAt()).isNotNull();
        assertThat(executions.get("t1-0").get()).as("completed before the crash: never again").isEqualTo(1);
        assertThat(executions.get("t1-1").get()).as("in flight, not idempotent: not repeated").isEqualTo(1);
        assertThat(executions.get("t1-2").get()).as("the model chose to call it again").isEqualTo(1);
        List<RunEvents.RunEvent> journal = d.journalOf(AGENT);
        assertThat(journal).filteredOn(e -> e instanceof RunEvents.ToolReturned r && r.callId().equals("t1-1"))
                .singleElement().satisfies(e -> {
                    RunEvents.ToolReturned r = (RunEvents.ToolReturned) e;
                    assertThat(r.outcome()).isEqualTo("unknown");
                    assertThat(r.error()).isTrue();
                    assertThat(r.content()).isEqualTo(TaskLoop.UNKNOWN_RESULT);
                });
        assertThat(journal).filteredOn(e -> e instanceof RunEvents.Recovered).singleElement()
                .satisfies(e -> assertThat(((RunEvents.Recovered) e).detail())
                        .contains("once-tool (t1-1) was in flight", "not idempotent"));
        // the model saw the unknown result as the tool's answer
        assertThat(d.f.llm.requestsOf(AGENT)).anySatisfy(r -> assertThat(ScriptedGateway.toolResults(r))
                .anySatisfy(tr -> assertThat(tr.content()).startsWith("unknown:")));
    }

    @Test
    void anInFlightCallOfAnIdempotentToolIsRepeated() throws Exception {
        fixture(DurableFixture.sqlite(dir)).start(2);
        CountDownLatch crashed = crashAt(returned("idem-tool"), false);
        d.agents.run(AGENT, d.f.orchestrator);
        assertThat(crashed.await(30, TimeUnit.SECONDS)).isTrue();
        d.crash();

        d.restart();
        AgentStatus s = d.agents.await(AGENT, WAIT);

        assertThat(s.state()).isEqualTo(State.COMPLETED);
        assertThat(executions.get("t1-0").get()).as("in flight and idempotent: repeated").isEqualTo(2);
        assertThat(executions.get("t1-1").get()).isEqualTo(1);
        assertThat(d.journalOf(AGENT)).filteredOn(e -> e instanceof RunEvents.ToolReturned r
                && r.callId().equals("t1-0")).singleElement()
                .satisfies(e -> assertThat(((RunEvents.ToolReturned) e).outcome()).isEqualTo("success"));
        assertThat(d.journalOf(AGENT)).filteredOn(e -> e instanceof RunEvents.Recovered).singleElement()
                .satisfies(e -> assertThat(((RunEvents.Recovered) e).detail()).contains("idempotent: it is called "
                        + "again"));
    }

    @Test
    void aPausedRunStaysPausedAcrossARestartAndGoesOnWhenResumed() throws Exception {
        fixture(new DurableFixture(dir)).start(2);
        CountDownLatch inModel = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        ScriptedGateway.Step model = ResumeEveryStepTest.model();
        AtomicInteger asked = new AtomicInteger();
        d.f.llm.fallback(r -> {
            if (asked.getAndIncrement() == 0) {
                inModel.countDown();
                release.await();
            }
            return model.answer(r);
        });
        d.agents.run(AGENT, d.f.orchestrator);
        assertThat(inModel.await(10, TimeUnit.SECONDS)).isTrue();
        d.agents.pause(AGENT);
        release.countDown();
        // paused before its tool call: the model was asked once
        org.awaitility.Awaitility.await().during(Duration.ofMillis(200)).atMost(Duration.ofSeconds(5))
                .until(() -> asked.get() == 1);
        d.flush();
        d.crash();

        d.restart();
        AgentStatus paused = d.agents.status(AGENT).orElseThrow();
        assertThat(paused.state()).isEqualTo(State.PAUSED);
        assertThat(paused.resumedAt()).isNotNull();
        org.awaitility.Awaitility.await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(5))
                .until(() -> asked.get() == 1 && d.agents.status(AGENT).orElseThrow().state() == State.PAUSED);
        assertThat(executions).isEmpty();

        d.agents.resume(AGENT);
        AgentStatus s = d.agents.await(AGENT, WAIT);
        assertThat(s.state()).isEqualTo(State.COMPLETED);
        assertThat(executions.get("t1-0").get()).isEqualTo(1);
    }

    @Test
    void aRunWhoseTokenWasRevokedWhileTokaWasDownEndsFailedWithThatReason() throws Exception {
        fixture(new DurableFixture(dir)).start(2);
        SecurityContext alice = d.f.caller("alice", "*");
        CountDownLatch crashed = crashAt(returned("idem-tool"), true);
        d.agents.run(AGENT, alice);
        assertThat(crashed.await(30, TimeUnit.SECONDS)).isTrue();
        d.crash();
        int asked = d.f.llm.requestsOf(AGENT).size();
        // while Toka is down, alice's token (which the agent's was delegated from) is revoked
        d.f.tokens.revoke(alice.token().orElseThrow().jti());

        d.restart();
        AgentStatus s = d.agents.status(AGENT).orElseThrow();

        assertThat(s.state()).isEqualTo(State.FAILED);
        assertThat(s.message()).contains("the agent's token is no longer valid", "revoked");
        assertThat(d.lastRecovery.failed()).hasSize(1);
        // nothing more happened with it: no model turn, no tool call
        Thread.sleep(200);
        assertThat(d.f.llm.requestsOf(AGENT)).hasSize(asked);
        assertThat(executions.get("t1-1")).isNull();
        assertThat(d.journalOf(AGENT)).last().isInstanceOfSatisfying(RunEvents.Ended.class,
                e -> assertThat(e.message()).contains("revoked"));
        // and its token file is gone
        try (Stream<Path> files = Files.list(d.settings().stateDirectory())) {
            assertThat(files.filter(p -> p.toString().endsWith(".jwt"))).isEmpty();
        }
    }

    @Test
    void tokensAreKeptOwnerOnlyAndNeverInTheEventLog() throws Exception {
        fixture(new DurableFixture(dir)).start(2);
        CountDownLatch crashed = crashAt(returned("idem-tool"), true);
        d.agents.run(AGENT, d.f.orchestrator);
        assertThat(crashed.await(30, TimeUnit.SECONDS)).isTrue();
        Path state = d.settings().stateDirectory();
        List<Path> kept;
        try (Stream<Path> files = Files.list(state)) {
            kept = files.filter(p -> p.toString().endsWith(".jwt")).toList();
        }
        assertThat(kept).hasSize(1);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(kept.get(0)))).isEqualTo("rw-------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(state))).isEqualTo("rwx------");
        String token = Files.readString(kept.get(0)).trim();
        String signature = token.substring(token.lastIndexOf('.') + 1);
        for (Event e : d.events()) {
            assertThat(e.payload()).doesNotContain(signature);
        }
        d.crash();
        d.restart();
        assertThat(d.agents.await(AGENT, WAIT).state()).isEqualTo(State.COMPLETED);
        try (Stream<Path> files = Files.list(state)) {
            assertThat(files.filter(p -> p.toString().endsWith(".jwt"))).as("forgotten once the run ended").isEmpty();
        }
    }

    @Test
    void withDurabilitySwitchedOffNothingIsRecordedAndNothingResumes() throws Exception {
        fixture(new DurableFixture(dir)).durable(false).start(2);
        CountDownLatch inModel = new CountDownLatch(1);
        d.f.llm.fallback(r -> {
            inModel.countDown();
            new CountDownLatch(1).await();
            throw new AssertionError("not interrupted");
        });
        AgentStatus started = d.agents.run(AGENT, d.f.orchestrator);
        assertThat(started.durable()).isFalse();
        assertThat(inModel.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(d.journalOf(AGENT)).isEmpty();
        d.crash();
        d.restart();
        assertThat(d.lastRecovery.resumed()).isEmpty();
        assertThat(d.agents.status(AGENT)).isEmpty();
    }

    @Test
    void anAgentCanSwitchDurabilityOffForItself() throws Exception {
        fixture(new DurableFixture(dir)).start(2);
        AgentConfig c = TestCatalog.agent("throwaway", List.of("filesystem-read"), "Quick");
        d.f.catalog.add(new AgentConfig(c.metadata(), c.spec(), c.capabilities(), c.objectives(), c.tasks(),
                c.dependencies(), c.reporting(), c.security(), c.maxSteps(), false, c.source()));
        d.f.llm.script("throwaway", ScriptedGateway.verdict("success", "quick"));
        AgentStatus s = d.agents.run("throwaway", d.f.orchestrator);
        assertThat(s.durable()).isFalse();
        assertThat(d.agents.await("throwaway", WAIT).state()).isEqualTo(State.COMPLETED);
        assertThat(d.journalOf("throwaway")).isEmpty();
        // the other agent stays durable
        d.agents.run(AGENT, d.f.orchestrator);
        assertThat(d.agents.await(AGENT, WAIT).durable()).isTrue();
        assertThat(d.journalOf(AGENT)).isNotEmpty();
    }

    @Test
    void whileTheModelThinksTheStepsBeforeItAreStored() throws Exception {
        fixture(new DurableFixture(dir)).start(2);
        CountDownLatch thinking = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        ScriptedGateway.Step model = ResumeEveryStepTest.model();
        d.f.llm.fallback(r -> {
            if (ResumeEveryStepTest.turn(r) == 1) {
                thinking.countDown();
                release.await();
            }
            return model.answer(r);
        });
        d.agents.run(AGENT, d.f.orchestrator);
        assertThat(thinking.await(10, TimeUnit.SECONDS)).isTrue();
        try {
            // the idempotent tool's result was only posted; a slow model call hands it to the writer meanwhile
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> d.journalOf(AGENT).stream()
                    .anyMatch(e -> e instanceof RunEvents.ToolReturned r && r.callId().equals("t1-0")));
        } finally {
            release.countDown();
        }
        assertThat(d.agents.await(AGENT, WAIT).state()).isEqualTo(State.COMPLETED);
    }

    @Test
    void theJournalReadsBackTheConversation() throws Exception {
        fixture(new DurableFixture(dir)).start(2);
        d.agents.run(AGENT, d.f.orchestrator);
        assertThat(d.agents.await(AGENT, WAIT).state()).isEqualTo(State.COMPLETED);
        List<RunEvents.RunEvent> journal = d.journalOf(AGENT);
        RunEvents.Started st = (RunEvents.Started) journal.get(0);
        assertThat(st.config()).isEqualTo(d.f.catalog.get(AGENT).orElseThrow());
        assertThat(st.ownToken()).isTrue();
        RunEvents.ModelTurn first = (RunEvents.ModelTurn) journal.stream()
                .filter(e -> e instanceof RunEvents.ModelTurn).findFirst().orElseThrow();
        assertThat(RunEvents.Block.toContent(first.content())).containsExactly(new ContentBlock.Text("calling idem-tool"),
                new ContentBlock.ToolUse("t1-0", "idem-tool", Map.of("n", "t1-0")));
        RunEvents.TaskStarted task = (RunEvents.TaskStarted) journal.get(1);
        assertThat(task.tools()).contains("idem-tool", "once-tool").doesNotContain("report_verdict");
        assertThat(task.prompt()).startsWith("Task 1 of 2: First").contains("report_verdict");
    }
}
