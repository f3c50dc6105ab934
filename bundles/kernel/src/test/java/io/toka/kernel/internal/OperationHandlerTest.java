package io.toka.kernel.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.toka.event.Event;
import io.toka.event.EventPayload;
import io.toka.event.Events;
import io.toka.kernel.InvalidOperationException;
import io.toka.kernel.Kernel;
import io.toka.kernel.Message;
import io.toka.kernel.Operation;
import io.toka.kernel.OperationHandler;
import io.toka.security.SecurityContext;
import io.toka.security.testing.TestTokens;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OperationHandlerTest {

    static final String ORIGIN = "agent-1";

    @TempDir
    Path dir;
    TestTokens tokens;
    ListEventStore store;
    KernelImpl kernel;
    Recorder published;
    String token;
    /** Names of the handlers in the order they were asked. */
    final List<String> asked = new CopyOnWriteArrayList<>();
    final List<SecurityContext> callers = new CopyOnWriteArrayList<>();
    final List<Operation> operations = new CopyOnWriteArrayList<>();

    @BeforeEach
    void start() {
        tokens = new TestTokens(dir);
        store = new ListEventStore();
        kernel = new KernelImpl(tokens.service(), store);
        kernel.setAgentRuntime(new AnyAgent());
        published = new Recorder();
        kernel.subscribe(published, 1024);
        token = tokens.issue(ORIGIN, "agent:*");
    }

    @AfterEach
    void stop() {
        kernel.deactivate();
    }

    /** A handler that records being asked, then answers. */
    interface Answer {
        Optional<EventPayload> apply(Operation op, SecurityContext caller) throws InvalidOperationException;
    }

    private void handler(String name, long id, int ranking, Answer answer) {
        kernel.addHandlerForTest(new TestRef(id, ranking), (op, caller) -> {
            asked.add(name);
            callers.add(caller);
            operations.add(op);
            return answer.apply(op, caller);
        });
    }

    private void passing(String name, long id, int ranking) {
        handler(name, id, ranking, (op, caller) -> Optional.empty());
    }

    private Message schedule(String agent, String task) {
        return new Message(ORIGIN, token, new Operation.ScheduleAgentTask(agent, task));
    }

    @Test
    void testRefFollowsTheOsgiOrder() {
        List<TestRef> refs = new ArrayList<>(List.of(new TestRef(1, 0), new TestRef(2, 10), new TestRef(3, 10),
                new TestRef(4, -1)));
        refs.sort(null);
        // natural order: lowest ranking first; for equal rankings, the highest id first
        assertThat(refs).extracting(r -> r.id).containsExactly(4L, 1L, 3L, 2L);
    }

    @Test
    void handlersAreAskedByRankingThenServiceId() throws Exception {
        passing("r0-id1", 1, 0);
        passing("r10-id5", 5, 10);
        passing("rminus5-id2", 2, -5);
        passing("r10-id3", 3, 10);
        passing("r0-id4", 4, 0);
        Event e = kernel.submit(new Message(ORIGIN, token, new Operation.SpawnSubAgent("p", "c")));
        assertThat(asked).containsExactly("r10-id3", "r10-id5", "r0-id1", "r0-id4", "rminus5-id2");
        // every one passed: the kernel's own event
        assertThat(Events.payload(e)).contains(new EventPayload.AgentSpawned("p", "c", ORIGIN));
    }

    @Test
    void handlersGetTheCheckedOperationAndTheAuthenticatedCaller() throws Exception {
        passing("only", 1, 0);
        Operation op = new Operation.EmitObservation("a", new byte[] {7});
        kernel.submit(new Message(ORIGIN, token, op));
        assertThat(operations).containsExactly(op);
        assertThat(callers).singleElement().satisfies(c -> {
            assertThat(c.subject()).isEqualTo(ORIGIN);
            assertThat(c.isPermitted("agent:observe")).isTrue();
        });
    }

    @Test
    void handlersAreNotAskedForRefusedMessages() {
        passing("only", 1, 0);
        assertThatThrownBy(() -> kernel.submit(new Message(ORIGIN, "garbage", new Operation.SpawnSubAgent("p", "c"))))
                .hasMessage("capability denied");
        assertThatThrownBy(() -> kernel.submit(new Message(ORIGIN, token, new Operation.SpawnSubAgent("p", " "))))
                .hasMessage("Agent name cannot be empty");
        assertThat(asked).isEmpty();
    }

    @Test
    void firstNonEmptyWins() throws Exception {
        EventPayload mine = new EventPayload.AgentSuspended("p", "handled by r5");
        passing("r10", 1, 10);
        handler("r5", 2, 5, (op, caller) -> Optional.of(mine));
        handler("r5-later", 3, 5, (op, caller) -> Optional.of(new EventPayload.AgentResumed("never")));
        passing("r0", 4, 0);
        Event e = kernel.submit(new Message(ORIGIN, token, new Operation.SpawnSubAgent("p", "c")));
        assertThat(asked).containsExactly("r10", "r5");
        assertThat(e.kind()).isEqualTo("agent.suspended");
        assertThat(Events.payload(e)).contains(mine);
        assertThat(store.all()).containsExactly(e);
        await().atMost(Duration.ofSeconds(5)).until(() -> published.events.size() == 1);
        assertThat(published.events).containsExactly(e);
    }

    @Test
    void nullIsTreatedAsEmpty() throws Exception {
        handler("null", 1, 10, (op, caller) -> null);
        passing("empty", 2, 0);
        Event e = kernel.submit(new Message(ORIGIN, token, new Operation.SpawnSubAgent("p", "c")));
        assertThat(asked).containsExactly("null", "empty");
        assertThat(e.kind()).isEqualTo("agent.spawned");
    }

    @Test
    void aRefusingHandlerRefusesTheMessageWithNothingStored() throws Exception {
        passing("r10", 1, 10);
        handler("refuser", 2, 5, (op, caller) -> {
            if (op instanceof Operation.SpawnSubAgent) {
                throw new InvalidOperationException("no spawning on Sundays");
            }
            return Optional.empty();
        });
        passing("r0", 3, 0);
        assertThatThrownBy(() -> kernel.submit(new Message(ORIGIN, token, new Operation.SpawnSubAgent("p", "c"))))
                .isExactlyInstanceOf(InvalidOperationException.class).hasMessage("no spawning on Sundays");
        assertThat(asked).containsExactly("r10", "refuser");
        assertThat(store.count()).isZero();

        Event next = kernel.submit(new Message(ORIGIN, token, new Operation.EmitObservation("a", new byte[1])));
        await().atMost(Duration.ofSeconds(5)).until(() -> !published.events.isEmpty());
        assertThat(published.events).first().isEqualTo(next);
    }

    @Test
    void aRefusedTaskFreesItsQueueSlot() throws Exception {
        handler("refuser", 1, 0, (op, caller) -> {
            if (op instanceof Operation.ScheduleAgentTask s && s.task().equals("refuse me")) {
                throw new InvalidOperationException("refused");
            }
            return Optional.empty();
        });
        for (int i = 0; i < Kernel.MAX_QUEUED_TASKS - 1; i++) {
            kernel.submit(schedule("a", "task " + i));
        }
        for (int i = 0; i < 3; i++) {
            assertThatThrownBy(() -> kernel.submit(schedule("a", "refuse me"))).hasMessage("refused");
        }
        assertThat(kernel.queuedTasks("a")).isEqualTo(9_999);
        kernel.submit(schedule("a", "the last one"));
        assertThatThrownBy(() -> kernel.submit(schedule("a", "too many"))).hasMessageStartingWith("task queue full");
    }

    @Test
    void aHandledTaskIsNotEnqueued() throws Exception {
        handler("runner", 1, 0, (op, caller) -> op instanceof Operation.ScheduleAgentTask s
                ? Optional.of(new EventPayload.TaskCompleted(s.agent(), s.task(), "done at once", 0))
                : Optional.empty());
        Event e = kernel.submit(schedule("a", "quick"));
        assertThat(e.kind()).isEqualTo("task.completed");
        assertThat(Events.payload(e)).contains(new EventPayload.TaskCompleted("a", "quick", "done at once", 0));
        assertThat(kernel.queuedTasks("a")).isZero();
        assertThat(kernel.takeTask("a")).isEmpty();
        // and it took no slot: a full queue of built-in tasks still fits beside it
        asked.clear();
        kernel.addHandlerForTest(new TestRef(1, 0), (op, caller) -> Optional.empty());
        for (int i = 0; i < Kernel.MAX_QUEUED_TASKS; i++) {
            kernel.submit(schedule("a", "task " + i));
        }
        assertThat(kernel.queuedTasks("a")).isEqualTo(Kernel.MAX_QUEUED_TASKS);
    }

    @Test
    void aHandlerForOneOperationPassesOthersToTheKernel() throws Exception {
        handler("spawner", 1, 0, (op, caller) -> op instanceof Operation.SpawnSubAgent s
                ? Optional.of(new EventPayload.AgentSpawned(s.parent(), "handled-" + s.name(), caller.subject()))
                : Optional.empty());
        Event spawned = kernel.submit(new Message(ORIGIN, token, new Operation.SpawnSubAgent("p", "c")));
        Event task = kernel.submit(schedule("a", "t"));
        assertThat(spawned.agent()).isEqualTo("handled-c");
        assertThat(Events.payload(task)).contains(new EventPayload.TaskScheduled("a", "t", ORIGIN, true));
        assertThat(kernel.takeTask("a")).contains("t");
    }
}
