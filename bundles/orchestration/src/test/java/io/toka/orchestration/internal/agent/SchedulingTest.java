package io.toka.orchestration.internal.agent;

import static io.toka.orchestration.internal.agent.ScriptedGateway.verdict;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.toka.event.Event;
import io.toka.event.EventPayload;
import io.toka.event.Events;
import io.toka.kernel.CapabilityDeniedException;
import io.toka.kernel.InvalidOperationException;
import io.toka.kernel.Message;
import io.toka.kernel.Operation;
import io.toka.kernel.QueuedTask;
import io.toka.llm.ContentBlock;
import io.toka.llm.LlmRequest;
import io.toka.orchestration.AgentStatus;
import io.toka.orchestration.AgentStatus.State;
import io.toka.orchestration.AgentTask;
import io.toka.security.SecurityContext;
import io.toka.security.TokenClaims;
import io.toka.tool.Tool;
import io.toka.tool.ToolDescriptor;
import io.toka.tool.ToolInvocation;
import io.toka.tool.ToolResult;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The kernel schedules and spawns: ScheduleAgentTask reaches a defined agent (started when idle, after its current
 * task when running), with a token narrowed from the submitter's; SpawnSubAgent starts a child whose token narrows
 * its parent's. Over the real kernel, tokens, registry and store. Hostile cases included.
 */
class SchedulingTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final List<String> READ = List.of("filesystem-read");

    @TempDir
    Path dir;

    DurableFixture d;
    /** The subject and token id of every call of the "whoami" tool, in order. */
    final List<String> callers = new CopyOnWriteArrayList<>();

    @BeforeEach
    void setUp() throws Exception {
        d = new DurableFixture(dir);
        d.f.register(new Tool() {
            final ToolDescriptor desc = ToolDescriptor.builder("whoami").description("tells who calls").build();

            @Override
            public ToolDescriptor descriptor() {
                return desc;
            }

            @Override
            public ToolResult invoke(ToolInvocation invocation) {
                callers.add(invocation.caller());
                return ToolResult.success(invocation.caller());
            }
        });
        d.start(8);
    }

    @AfterEach
    void tearDown() throws Exception {
        d.close();
    }

    private Event schedule(SecurityContext who, String raw, String agent, String task) throws Exception {
        return d.kernel.submit(new Message(who.subject(), raw, new Operation.ScheduleAgentTask(agent, task)));
    }

    private static String prompt(LlmRequest r) {
        return ((ContentBlock.Text) r.messages().get(0).content().get(0)).text();
    }

    // ---------------------------------------------------------------- tasks

    @Test
    void anUnknownAgentIsRefusedAtSubmitTimeAndNothingIsRecorded() throws Exception {
        String raw = d.f.tokens.issue("bob", "agent:task:schedule", "filesystem:read");
        SecurityContext bob = d.f.authority.authenticate(raw);
        long before = d.backing.count();
        assertThatThrownBy(() -> schedule(bob, raw, "ghost", "haunt the workspace"))
                .isInstanceOf(InvalidOperationException.class)
                .hasMessageStartingWith("unknown agent 'ghost': define it first");
        assertThat(d.backing.count()).isEqualTo(before);
        assertThat(d.kernel.queuedTasks("ghost")).isZero();
    }

    @Test
    void aTaskForAnIdleAgentStartsItWithATokenNarrowedFromTheSubmitters() throws Exception {
        d.f.catalog.add(TestCatalog.agent("worker", READ, "Default work that a queued run does not do"));
        d.f.llm.script("worker", d.f.llm.tool("whoami"), verdict("success", "knows who it is"));
        String raw = d.f.tokens.issue("bob", "agent:task:schedule", "filesystem:read", "tool:invoke:whoami");
        SecurityContext bob = d.f.authority.authenticate(raw);

        Event e = schedule(bob, raw, "worker", "Find out who you are");
        AgentStatus s = d.agents.await("worker", WAIT);

        assertThat(s.state()).isEqualTo(State.COMPLETED);
        assertThat(s.tasks()).extracting(AgentStatus.TaskOutcome::task).containsExactly("Find out who you are");
        assertThat(prompt(d.f.llm.requestsOf("worker").get(0))).startsWith("Task 1 of 1: Find out who you are");
        assertThat(callers).containsExactly("agent:worker");
        // the task ran with its own token, delegated from bob's: it was taken by the run, recorded in the kernel
        RunEvents.TaskStarted started = (RunEvents.TaskStarted) d.journalOf("worker").stream()
                .filter(x -> x instanceof RunEvents.TaskStarted).findFirst().orElseThrow();
        assertThat(started.taskId()).isEqualTo(e.id());
        assertThat(d.events()).filteredOn(x -> x.kind().equals("task.taken")).singleElement()
                .satisfies(x -> assertThat(((EventPayload.TaskTaken) Events.payload(x).orElseThrow()).by())
                        .isEqualTo(s.runId()));
        assertThat(d.kernel.queuedTasks("worker")).isZero();
        // no token of bob's grants more than bob has: the tool list it was offered is bob's intersection
        assertThat(d.f.llm.requestsOf("worker").get(0).tools()).extracting(t -> t.name())
                .containsExactly("whoami", "report_verdict");
    }

    @Test
    void aRunningAgentTakesAQueuedTaskAfterItsCurrentTask() throws Exception {
        d.f.catalog.add(TestCatalog.agent("busy", READ, "First", "Second"));
        CountDownLatch inFirst = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        d.f.llm.script("busy", r -> {
            inFirst.countDown();
            release.await();
            return verdict("success", "first").answer(r);
        });
        d.f.llm.fallback(verdict("success", "done"));
        d.agents.run("busy", d.f.orchestrator);
        assertThat(inFirst.await(10, TimeUnit.SECONDS)).isTrue();
        String raw = d.f.tokens.issue("carol", "agent:task:schedule", "filesystem:read");
        Event e = schedule(d.f.authority.authenticate(raw), raw, "busy", "Urgent");

        List<AgentTask> tasks = d.agents.tasks("busy");
        assertThat(tasks).extracting(AgentTask::state, AgentTask::task)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("RUNNING", "First"),
                        org.assertj.core.groups.Tuple.tuple("QUEUED", "Urgent"));
        assertThat(tasks.get(1).id()).isEqualTo(e.id());
        assertThat(tasks.get(1).subject()).isEqualTo("carol");
        release.countDown();
        AgentStatus s = d.agents.await("busy", WAIT);

        assertThat(s.state()).isEqualTo(State.COMPLETED);
        assertThat(s.tasks()).extracting(AgentStatus.TaskOutcome::task).containsExactly("First", "Urgent", "Second");
        assertThat(d.agents.tasks("busy")).isEmpty();
    }

    @Test
    void aSubmitterWithoutTheAgentsCapabilitiesIsRefused() throws Exception {
        d.f.catalog.add(TestCatalog.agent("writer", List.of("filesystem-read", "filesystem-write"), "Write"));
        String raw = d.f.tokens.issue("eve", "agent:task:schedule", "filesystem:read");
        assertThatThrownBy(() -> schedule(d.f.authority.authenticate(raw), raw, "writer", "Overwrite everything"))
                .isInstanceOf(CapabilityDeniedException.class).hasMessageContaining("'filesystem:write'");
        assertThat(d.kernel.queuedTasks("writer")).isZero();
        assertThat(d.agents.status("writer")).isEmpty();
    }

    @Test
    void revokingTheSubmittersTokenStopsItsTaskButNotTheAgentsOtherWork() throws Exception {
        d.f.catalog.add(TestCatalog.agent("shared", READ, "Own work"));
        CountDownLatch inOwn = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        d.f.llm.script("shared", r -> {
            inOwn.countDown();
            release.await();
            return verdict("success", "own").answer(r);
        });
        d.f.llm.fallback(verdict("success", "done"));
        d.agents.run("shared", d.f.orchestrator);
        assertThat(inOwn.await(10, TimeUnit.SECONDS)).isTrue();
        String malloryRaw = d.f.tokens.issue("mallory", "agent:task:schedule", "filesystem:read");
        SecurityContext mallory = d.f.authority.authenticate(malloryRaw);
        schedule(mallory, malloryRaw, "shared", "Sneaky");
        String bobRaw = d.f.tokens.issue("bob", "agent:task:schedule", "filesystem:read");
        schedule(d.f.authority.authenticate(bobRaw), bobRaw, "shared", "Honest");
        d.f.tokens.revoke(mallory.token().orElseThrow().jti());
        release.countDown();

        AgentStatus s = d.agents.await("shared", WAIT);
        assertThat(s.tasks()).extracting(AgentStatus.TaskOutcome::task).containsExactly("Own work", "Sneaky", "Honest");
        assertThat(s.tasks().get(1).success()).isFalse();
        assertThat(s.tasks().get(1).summary()).contains("no longer valid", "revoked");
        assertThat(s.tasks().get(2).success()).isTrue();
        assertThat(d.f.llm.requestsOf("shared")).extracting(SchedulingTest::prompt).noneMatch(p -> p.contains("Sneaky"));
    }

    @Test
    void aScheduledTaskSurvivesARestart() throws Exception {
        d.f.catalog.add(TestCatalog.agent("steady", READ, "Long work"));
        CountDownLatch inLong = new CountDownLatch(1);
        d.f.llm.script("steady", r -> {
            inLong.countDown();
            new CountDownLatch(1).await();
            throw new AssertionError("not interrupted");
        });
        d.agents.run("steady", d.f.orchestrator);
        assertThat(inLong.await(10, TimeUnit.SECONDS)).isTrue();
        String raw = d.f.tokens.issue("bob", "agent:task:schedule", "filesystem:read");
        Event queued = schedule(d.f.authority.authenticate(raw), raw, "steady", "After the restart");
        d.crash();

        d.f.llm.fallback(r -> verdict("success", "done").answer(r));
        d.restart();
        assertThat(d.kernel.queued("steady")).extracting(QueuedTask::id).containsExactly(queued.id());
        AgentStatus s = d.agents.await("steady", WAIT);

        assertThat(s.state()).isEqualTo(State.COMPLETED);
        assertThat(s.tasks()).extracting(AgentStatus.TaskOutcome::task).containsExactly("Long work",
                "After the restart");
        assertThat(d.kernel.queuedTasks("steady")).isZero();
    }

    @Test
    void queuedTasksGetARunAfterARestartEvenWhenTheRunAheadOfThemCannotResume() throws Exception {
        d.f.catalog.add(TestCatalog.agent("blocked", READ, "Long work"));
        CountDownLatch inLong = new CountDownLatch(1);
        d.f.llm.script("blocked", r -> {
            inLong.countDown();
            new CountDownLatch(1).await();
            throw new AssertionError("not interrupted");
        });
        SecurityContext alice = d.f.caller("alice", "*");
        d.agents.run("blocked", alice);
        assertThat(inLong.await(10, TimeUnit.SECONDS)).isTrue();
        String raw = d.f.tokens.issue("bob", "agent:task:schedule", "filesystem:read");
        schedule(d.f.authority.authenticate(raw), raw, "blocked", "Waiting in the queue");
        d.crash();
        // alice's token (the run's) is revoked while Toka is down; bob's (the queued task's) is not
        d.f.tokens.revoke(alice.token().orElseThrow().jti());
        d.f.llm.fallback(verdict("success", "done"));

        d.restart();
        assertThat(d.lastRecovery.failed()).hasSize(1);
        assertThat(d.lastRecovery.queuesStarted()).containsExactly("blocked");
        await().atMost(WAIT).until(() -> d.agents.status("blocked").map(AgentStatus::finishedAt).isPresent()
                && d.agents.status("blocked").get().tasks().size() == 1);
        AgentStatus s = d.agents.await("blocked", WAIT);
        assertThat(s.state()).isEqualTo(State.COMPLETED);
        assertThat(s.tasks()).extracting(AgentStatus.TaskOutcome::task).containsExactly("Waiting in the queue");
    }

    @Test
    void deletingAnAgentDropsItsQueue() throws Exception {
        d.f.catalog.add(TestCatalog.agent("doomed", READ, "Hold"));
        CountDownLatch inHold = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        d.f.llm.script("doomed", r -> {
            inHold.countDown();
            release.await();
            return verdict("success", "held").answer(r);
        });
        d.agents.run("doomed", d.f.orchestrator);
        assertThat(inHold.await(10, TimeUnit.SECONDS)).isTrue();
        String raw = d.f.tokens.issue("bob", "agent:task:schedule", "filesystem:read");
        for (int i = 0; i < 3; i++) {
            schedule(d.f.authority.authenticate(raw), raw, "doomed", "Queued " + i);
        }
        assertThat(d.kernel.queuedTasks("doomed")).isEqualTo(3);

        assertThat(d.agents.remove("doomed", d.f.orchestrator)).isTrue();
        release.countDown();
        AgentStatus s = d.agents.await("doomed", WAIT);

        assertThat(d.kernel.queuedTasks("doomed")).isZero();
        assertThat(s.tasks()).extracting(AgentStatus.TaskOutcome::task).containsExactly("Hold");
        assertThat(d.events()).filteredOn(e -> e.kind().equals("tasks.dropped")).singleElement()
                .satisfies(e -> assertThat(e.payload()).contains("\"count\":3", "was deleted"));
        try (var files = java.nio.file.Files.list(d.settings().stateDirectory())) {
            assertThat(files.filter(p -> p.toString().endsWith(".jwt"))).as("the tasks' tokens are forgotten")
                    .isEmpty();
        }
    }

    // ---------------------------------------------------------------- spawns

    private static ScriptedGateway.Step spawnThenDone(String child) {
        return r -> {
            if (r.messages().size() == 1) {
                return ScriptedGateway.reply(List.of(new ContentBlock.ToolUse("s1", "spawn_agent",
                        Map.of("agent", child))));
            }
            return verdict("success", ScriptedGateway.toolResults(r).get(0).content()).answer(r);
        };
    }

    private TokenClaims claimsOfRun(String runId) throws Exception {
        String raw = d.agents.vault.get(runId).orElseThrow();
        return d.f.authority.authenticate(raw).token().orElseThrow();
    }

    @Test
    void aSpawnedChildRunsWithATokenNarrowedFromItsParents() throws Exception {
        d.f.catalog.add(TestCatalog.agent("parent", List.of("filesystem-read", "agent:spawn"), "Delegate"));
        d.f.catalog.add(TestCatalog.agent("child", READ, "Help"));
        CountDownLatch childAsked = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        d.f.llm.script("parent", spawnThenDone("child"), r -> {
            release.await();
            return spawnThenDone("child").answer(r);
        });
        d.f.llm.script("child", d.f.llm.tool("whoami"), r -> {
            childAsked.countDown();
            release.await();
            return verdict("success", "helped").answer(r);
        });

        d.agents.run("parent", d.f.orchestrator);
        assertThat(childAsked.await(10, TimeUnit.SECONDS)).isTrue();
        AgentStatus child = d.agents.status("child").orElseThrow();
        AgentStatus parent = d.agents.status("parent").orElseThrow();
        TokenClaims parentToken = claimsOfRun(parent.runId());
        TokenClaims childToken = claimsOfRun(child.runId());
        release.countDown();

        assertThat(d.agents.await("child", WAIT).state()).isEqualTo(State.COMPLETED);
        assertThat(d.agents.await("parent", WAIT).state()).isEqualTo(State.COMPLETED);
        assertThat(child.parent()).isEqualTo("parent");
        assertThat(callers).containsExactly("agent:child");
        // delegated from the parent's token, one step deeper, narrowed: no agent:spawn, nothing the parent lacks
        assertThat(childToken.chain()).endsWith(parentToken.jti());
        assertThat(childToken.depth()).isEqualTo(parentToken.depth() + 1);
        assertThat(childToken.permissions()).contains("filesystem:read").doesNotContain("agent:spawn", "*");
        assertThat(parentToken.permissions()).contains("agent:spawn");
        // its events name the parent
        assertThat(d.events()).filteredOn(e -> e.kind().equals("agent.spawned") && "child".equals(e.agent()))
                .singleElement().satisfies(e -> {
                    assertThat(e.payload()).contains("\"parent\":\"parent\"");
                    assertThat(e.subject()).isEqualTo("agent:parent");
                });
        RunEvents.Started started = (RunEvents.Started) d.journalOf("child").get(0);
        assertThat(started.parentAgent()).isEqualTo("parent");
        assertThat(started.parentRun()).isEqualTo(parent.runId());
        assertThat(d.f.llm.requestsOf("parent").get(1)).satisfies(r -> assertThat(ScriptedGateway.toolResults(r)
                .get(0).content()).startsWith("spawned agent 'child'"));
    }

    @Test
    void aChildAskingForMoreThanItsParentIsRefused() throws Exception {
        d.f.catalog.add(TestCatalog.agent("modest", List.of("filesystem-read", "agent:spawn"), "Delegate"));
        d.f.catalog.add(TestCatalog.agent("greedy", List.of("filesystem-read", "filesystem-write"), "Take more"));
        d.f.llm.script("modest", spawnThenDone("greedy"), spawnThenDone("greedy"));

        AgentStatus s = d.agents.run("modest", d.f.caller("root", "agent:run", "filesystem:*", "agent:spawn",
                "tool:invoke:*"));
        assertThat(d.agents.await("modest", WAIT).state()).isEqualTo(State.COMPLETED);

        assertThat(d.agents.status("greedy")).isEmpty();
        assertThat(d.f.llm.requestsOf("greedy")).isEmpty();
        String refusal = ScriptedGateway.toolResults(d.f.llm.requestsOf("modest").get(1)).get(0).content();
        assertThat(refusal).startsWith("refused: capability denied: child 'greedy' asks for 'filesystem:write', "
                + "which its parent 'modest' does not hold");
        assertThat(s.runId()).isNotNull();
    }

    @Test
    void spawnsNestNoDeeperThanTheDelegationDepth() throws Exception {
        // the caller's token is a root (depth 0); a0 runs at depth 1, a1 at 2 ... a4 at 5, the limit
        for (int i = 0; i <= 5; i++) {
            d.f.catalog.add(TestCatalog.agent("a" + i, List.of("filesystem-read", "agent:spawn"), "Go deeper"));
            d.f.llm.script("a" + i, spawnThenDone("a" + (i + 1)), spawnThenDone("a" + (i + 1)));
        }
        d.agents.run("a0", d.f.orchestrator);
        await().atMost(WAIT).until(() -> d.agents.status("a4").map(AgentStatus::finishedAt).isPresent()
                && d.agents.status("a4").get().finishedAt() != null);

        assertThat(d.agents.status("a5")).as("a sixth delegation step is refused").isEmpty();
        String refusal = ScriptedGateway.toolResults(d.f.llm.requestsOf("a4").get(1)).get(0).content();
        assertThat(refusal).startsWith("refused: spawn too deep: agent 'a4' cannot spawn 'a5'")
                .contains("the limit is 5");
        for (int i = 0; i <= 4; i++) {
            assertThat(d.agents.await("a" + i, WAIT).state()).as("a" + i).isEqualTo(State.COMPLETED);
        }
    }

    @Test
    void terminatingTheParentTerminatesItsChildren() throws Exception {
        d.f.catalog.add(TestCatalog.agent("boss", List.of("filesystem-read", "agent:spawn"), "Delegate"));
        d.f.catalog.add(TestCatalog.agent("minion", READ, "Work forever"));
        CountDownLatch bossWaits = new CountDownLatch(1);
        d.f.llm.script("boss", r -> ScriptedGateway.reply(List.of(new ContentBlock.ToolUse("s1", "spawn_agent",
                Map.of("agent", "minion")))), r -> {
                    bossWaits.countDown();
                    new CountDownLatch(1).await();
                    throw new AssertionError("not interrupted");
                });
        CountDownLatch minionWorks = new CountDownLatch(1);
        d.f.llm.script("minion", r -> {
            minionWorks.countDown();
            new CountDownLatch(1).await();
            throw new AssertionError("not interrupted");
        });
        d.agents.run("boss", d.f.orchestrator);
        assertThat(bossWaits.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(minionWorks.await(10, TimeUnit.SECONDS)).isTrue();

        d.agents.terminate("boss");

        assertThat(d.agents.await("boss", WAIT).state()).isEqualTo(State.TERMINATED);
        assertThat(d.agents.await("minion", WAIT).state()).isEqualTo(State.TERMINATED);
    }

    @Test
    void onlyTheParentItselfSpawnsWithTheTokenItRunsWith() throws Exception {
        d.f.catalog.add(TestCatalog.agent("host", List.of("filesystem-read", "agent:spawn"), "Hold"));
        d.f.catalog.add(TestCatalog.agent("guest", READ, "Help"));
        CountDownLatch inHold = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        d.f.llm.script("host", r -> {
            inHold.countDown();
            release.await();
            return verdict("success", "held").answer(r);
        });
        d.agents.run("host", d.f.orchestrator);
        assertThat(inHold.await(10, TimeUnit.SECONDS)).isTrue();
        try {
            // someone else, with agent:spawn
            String mallory = d.f.tokens.issue("mallory", "agent:spawn", "filesystem:read");
            assertThatThrownBy(() -> d.kernel.submit(new Message("mallory", mallory,
                    new Operation.SpawnSubAgent("host", "guest")))).isInstanceOf(CapabilityDeniedException.class)
                    .hasMessageContaining("only agent 'host' itself spawns its children");
            // a token that merely names the agent as its subject is not the one the agent runs with
            String forged = d.f.tokens.issue("agent:host", "agent:spawn", "filesystem:read");
            assertThatThrownBy(() -> d.kernel.submit(new Message("agent:host", forged,
                    new Operation.SpawnSubAgent("host", "guest")))).isInstanceOf(CapabilityDeniedException.class);
            // a parent that is not running spawns nothing
            assertThatThrownBy(() -> d.kernel.submit(new Message("mallory", mallory,
                    new Operation.SpawnSubAgent("guest", "host")))).isInstanceOf(InvalidOperationException.class)
                    .hasMessageContaining("is not running");
            assertThat(d.agents.status("guest")).isEmpty();
        } finally {
            release.countDown();
        }
        assertThat(d.agents.await("host", WAIT).state()).isEqualTo(State.COMPLETED);
    }
}
