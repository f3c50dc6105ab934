package io.toka.orchestration.internal.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.toka.event.EventPayload;
import io.toka.llm.ContentBlock;
import io.toka.llm.LlmMessage;
import io.toka.llm.LlmRequest;
import io.toka.orchestration.AgentStatus;
import io.toka.orchestration.AgentStatus.State;
import io.toka.tool.Tool;
import io.toka.tool.ToolDescriptor;
import io.toka.tool.ToolInvocation;
import io.toka.tool.ToolResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The property: a run interrupted at any step boundary and rebuilt from its journal reaches the same verdict as a run
 * that was never interrupted, and no tool call whose result was recorded is made again. The crash is simulated at
 * every recorded step in turn, twice: right after the step is stored (before Toka acts on it), and right before it
 * is recorded (after the action that produced it: the model answered, the tool ran), when steps that were handed to
 * the writer but not yet committed may be lost too. Each time the kernel, the agent
 * service and all their memory are thrown away and new ones rebuild the run from the store.
 *
 * <p>The model is scripted as a deterministic function of the conversation (a real model asked the same thing
 * again may answer differently; this one answers the same), so a request in flight at the crash gets the same
 * answer when it is sent again. It uses an idempotent tool, a tool that is not, the report_verdict tool, and, in its
 * second task, forgets the verdict once (the reminder turn).
 */
class ResumeEveryStepTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    static final String AGENT = "resumer";

    @TempDir
    Path dir;

    /** Tool executions per call nonce ("n"), across crashes. */
    final Map<String, AtomicInteger> executions = new ConcurrentHashMap<>();
    /** The index of the run's last step (agent.run.ended). */
    private int lastStep;

    private Tool counting(String name, boolean idempotent) {
        ToolDescriptor d = ToolDescriptor.builder(name).description("counts its calls").idempotent(idempotent)
                .build();
        return new Tool() {
            @Override
            public ToolDescriptor descriptor() {
                return d;
            }

            @Override
            public ToolResult invoke(ToolInvocation invocation) {
                String n = String.valueOf(invocation.arguments().get("n"));
                executions.computeIfAbsent(n, k -> new AtomicInteger()).incrementAndGet();
                return ToolResult.success(name + " did " + n);
            }
        };
    }

    /** The model: a function of the conversation. */
    static ScriptedGateway.Step model() {
        return r -> {
            String prompt = ((ContentBlock.Text) r.messages().get(0).content().get(0)).text();
            int turn = (int) r.messages().stream().filter(m -> m.role() == LlmMessage.Role.ASSISTANT).count();
            if (prompt.startsWith("Task 1 of")) {
                if (turn == 0) {
                    return use("t1-0", "idem-tool", "t1-0");
                }
                if (turn == 1) {
                    return use("t1-1", "once-tool", "t1-1");
                }
                boolean unknown = ScriptedGateway.toolResults(r).stream()
                        .anyMatch(x -> x.content().startsWith("unknown:"));
                if (unknown) {
                    // told that its call may or may not have happened: this model simply makes it again
                    return use("t1-" + turn, "once-tool", "t1-" + turn);
                }
                return ScriptedGateway.reply(List.of(new ContentBlock.ToolUse("v-" + turn, "report_verdict",
                        Map.of("verdict", "success", "summary", "did both"))));
            }
            if (turn == 0) {
                return ScriptedGateway.reply(List.of(new ContentBlock.Text("All done.")));
            }
            return ScriptedGateway.verdict("success", "task two").answer(r);
        };
    }

    private static io.toka.llm.LlmResponse use(String id, String tool, String n) {
        return ScriptedGateway.reply(List.of(new ContentBlock.Text("calling " + tool),
                new ContentBlock.ToolUse(id, tool, Map.of("n", n))));
    }

    /** What a run ended with: its state, and each task's success and summary. */
    record Verdict(State state, List<String> tasks) {
        static Verdict of(AgentStatus s) {
            return new Verdict(s.state(), s.tasks().stream().map(t -> t.success() + ":" + t.summary()).toList());
        }
    }

    private DurableFixture fixture(String name) throws Exception {
        DurableFixture d = new DurableFixture(Files.createDirectories(dir.resolve(name)));
        d.f.register(counting("idem-tool", true));
        d.f.register(counting("once-tool", false));
        d.f.catalog.add(TestCatalog.agent(AGENT, List.of("filesystem-read"), "First", "Second"));
        d.f.llm.fallback(model());
        return d;
    }

    @Test
    void aRunInterruptedAtEveryStepBoundaryReachesTheSameVerdict() throws Exception {
        Verdict expected;
        List<String> kinds;
        try (DurableFixture d = fixture("baseline")) {
            AgentServiceImpl agents = d.start(2);
            agents.run(AGENT, d.f.orchestrator);
            AgentStatus s = agents.await(AGENT, WAIT);
            expected = Verdict.of(s);
            kinds = d.journalOf(AGENT).stream().map(EventPayload::kind).toList();
        }
        assertThat(expected.state()).isEqualTo(State.COMPLETED);
        assertThat(expected.tasks()).containsExactly("true:did both", "true:task two");
        // the journal has every kind of step: the model's turns, both tools, the reminder, the verdicts
        assertThat(kinds).contains("agent.run.started", "agent.run.task_started", "agent.run.model_requested",
                "agent.run.model_turn", "agent.run.tool_called", "agent.run.tool_returned", "agent.run.reminded",
                "agent.run.task_ended", "agent.run.ended");
        executions.clear();

        lastStep = kinds.size() - 1;
        int boundaries = 0;
        // step 0 is agent.run.started, recorded before run() returns: a crash there means the run was never accepted
        for (int k = 1; k < kinds.size(); k++) {
            for (boolean afterRecord : new boolean[] {true, false}) {
                String where = (afterRecord ? "after" : "before") + " step " + k + " (" + kinds.get(k) + ")";
                executions.clear();
                crashAndResume(where, k, afterRecord, expected);
                boundaries++;
            }
        }
        assertThat(boundaries).isEqualTo(2 * (kinds.size() - 1));
    }

    private void crashAndResume(String where, int k, boolean afterRecord, Verdict expected) throws Exception {
        try (DurableFixture d = fixture("crash-" + k + "-" + afterRecord)) {
            CountDownLatch crashed = new CountDownLatch(1);
            AtomicInteger seen = new AtomicInteger();
            d.start(2);
            d.agents.setJournalHooks(new RunJournal.Hooks() {
                @Override
                public void before(EventPayload p, RunJournal j) {
                    if (!afterRecord && seen.get() == k) {
                        // whatever was posted and not yet committed may be lost, as in a real crash
                        die(d, null, crashed, where);
                    }
                }

                @Override
                public void after(EventPayload p, RunJournal j) {
                    int n = seen.getAndIncrement();
                    if (afterRecord && n == k) {
                        // step k is stored (a posted step is flushed first), nothing after it
                        die(d, j, crashed, where);
                    }
                }
            });
            d.agents.run(AGENT, d.f.orchestrator);
            assertThat(crashed.await(WAIT.toSeconds(), TimeUnit.SECONDS)).as("crashed " + where).isTrue();
            d.crash();
            // the calls whose results were stored before the crash must never run again
            Set<String> completed = completedCalls(d);

            d.restart();
            if (afterRecord && k == lastStep) {
                // the run's end was stored: there is nothing to resume, and the log holds the verdict
                assertThat(d.lastRecovery.resumed()).as(where).isEmpty();
                assertThat(d.journalOf(AGENT)).filteredOn(e -> e instanceof RunEvents.Ended).singleElement()
                        .satisfies(e -> assertThat(((RunEvents.Ended) e).state()).isEqualTo(expected.state().name()));
                assertThat(executions.values()).allSatisfy(n -> assertThat(n.get()).isEqualTo(1));
                return;
            }
            assertThat(d.lastRecovery.resumed()).as(where).hasSize(1);
            AgentStatus s = d.agents.await(AGENT, WAIT);
            assertThat(s.finishedAt()).as("finished after resuming " + where).isNotNull();
            assertThat(Verdict.of(s)).as("verdict after a crash " + where).isEqualTo(expected);
            assertThat(s.resumedAt()).as(where).isNotNull();
            for (String n : completed) {
                assertThat(executions.get(n).get()).as("call " + n + " completed before the crash " + where
                        + " ran again").isEqualTo(1);
            }
            // every call of the run has a recorded result in the end, and the run is recorded as ended once
            List<RunEvents.RunEvent> journal = d.journalOf(AGENT);
            assertThat(journal).filteredOn(e -> e instanceof RunEvents.Ended).hasSize(1);
            assertThat(journal).filteredOn(e -> e instanceof RunEvents.Recovered).hasSize(1);
            assertThat(journal.stream().map(RunEvents.RunEvent::run).collect(Collectors.toSet())).hasSize(1);
        }
    }

    /** The tool-call nonces whose results are stored. */
    private static Set<String> completedCalls(DurableFixture d) {
        List<RunEvents.RunEvent> journal = d.journalOf(AGENT);
        Map<String, String> nonceOf = new ConcurrentHashMap<>();
        List<String> done = new ArrayList<>();
        for (RunEvents.RunEvent e : journal) {
            if (e instanceof RunEvents.ToolCalled c) {
                nonceOf.put(c.callId(), String.valueOf(c.input().get("n")));
            } else if (e instanceof RunEvents.ToolReturned r && !r.outcome().equals("unknown")
                    && nonceOf.containsKey(r.callId())) {
                done.add(nonceOf.get(r.callId()));
            }
        }
        return Set.copyOf(done);
    }

    /** Stores what was posted, stops the store, and unwinds the run thread. */
    private static void die(DurableFixture d, RunJournal flush, CountDownLatch crashed, String where) {
        try {
            if (flush != null) {
                flush.flush();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RunJournal.NotRecorded e) {
            throw new IllegalStateException(e);
        }
        d.freeze();
        crashed.countDown();
        throw new DurableFixture.Crash(where);
    }

    /** A request's turn number, for readers of this test. */
    static int turn(LlmRequest r) {
        return (int) r.messages().stream().filter(m -> m.role() == LlmMessage.Role.ASSISTANT).count();
    }
}
