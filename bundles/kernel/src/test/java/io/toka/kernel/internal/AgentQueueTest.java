package io.toka.kernel.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.toka.event.Event;
import io.toka.event.EventPayload;
import io.toka.event.EventStoreException;
import io.toka.event.Events;
import io.toka.kernel.InvalidOperationException;
import io.toka.kernel.Message;
import io.toka.kernel.Operation.EmitObservation;
import io.toka.kernel.Operation.ScheduleAgentTask;
import io.toka.kernel.Operation.SpawnSubAgent;
import io.toka.kernel.QueuedTask;
import io.toka.security.testing.TestTokens;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The kernel's side of agents: admission through the agent runtime, and the durable task queues. */
class AgentQueueTest {

    static final String ORIGIN = "scheduler";

    @TempDir
    Path dir;
    TestTokens tokens;
    ListEventStore store;
    KernelImpl kernel;
    AnyAgent runtime;
    String token;

    @BeforeEach
    void start() {
        tokens = new TestTokens(dir);
        store = new ListEventStore();
        kernel = new KernelImpl(tokens.service(), store);
        runtime = new AnyAgent();
        runtime.kernel = kernel;
        kernel.setAgentRuntime(runtime);
        token = tokens.issue(ORIGIN, "agent:*");
    }

    @AfterEach
    void stop() {
        kernel.deactivate();
    }

    private Event schedule(String agent, String task) throws Exception {
        return kernel.submit(new Message(ORIGIN, token, new ScheduleAgentTask(agent, task)));
    }

    /** A second kernel on the same store, as after a restart. */
    private KernelImpl restart() throws InterruptedException {
        kernel.awaitPosted(5000);
        kernel.deactivate();
        kernel = new KernelImpl(tokens.service(), store);
        kernel.setAgentRuntime(runtime);
        return kernel;
    }

    @Test
    void withoutAnAgentRuntimeSchedulesAndSpawnsAreRefusedAndNothingIsRecorded() throws Exception {
        kernel.setAgentRuntime(null);
        assertThatThrownBy(() -> schedule("worker", "do it")).isExactlyInstanceOf(InvalidOperationException.class)
                .hasMessage("no agent runtime is installed (feature toka-agents), so agent 'worker' is unknown: "
                        + "ScheduleAgentTask cannot be carried out");
        assertThatThrownBy(() -> kernel.submit(new Message(ORIGIN, token, new SpawnSubAgent("parent", "child"))))
                .isExactlyInstanceOf(InvalidOperationException.class).hasMessageContaining("agent 'parent' is unknown");
        assertThat(store.count()).isZero();
        assertThat(kernel.queuedTasks("worker")).isZero();
        assertThat(kernel.queueObjects()).isZero();
        // observations need no runtime
        kernel.submit(new Message(ORIGIN, token, new EmitObservation("worker", new byte[] {1})));
        assertThat(store.count()).isEqualTo(1);
    }

    @Test
    void anUnknownAgentIsRefusedAtSubmitTimeAndTakesNoQueueSlot() throws Exception {
        runtime.unknown = Set.of("ghost");
        for (int i = 0; i < 3; i++) {
            assertThatThrownBy(() -> schedule("ghost", "haunt")).isExactlyInstanceOf(InvalidOperationException.class)
                    .hasMessage("unknown agent 'ghost'");
        }
        assertThat(store.count()).isZero();
        assertThat(kernel.queuedTasks("ghost")).isZero();
        assertThat(kernel.queueObjects()).as("the refused reservations left nothing behind").isZero();
        assertThat(runtime.recorded).isEmpty();
    }

    @Test
    void theRuntimeActsOnlyOnceTheEventIsStoredAndTheTaskQueued() throws Exception {
        Event e = schedule("worker", " index the workspace ");
        assertThat(runtime.recorded).containsExactly(e);
        assertThat(runtime.queuedAtRecord).containsExactly(1);
        List<QueuedTask> q = kernel.queued("worker");
        assertThat(q).singleElement().satisfies(t -> {
            assertThat(t.id()).isEqualTo(e.id());
            assertThat(t.task()).isEqualTo("index the workspace");
            assertThat(t.subject()).isEqualTo(ORIGIN);
            assertThat(t.queuedAt()).isEqualTo(e.timestamp());
        });
        assertThat(Events.payload(e)).contains(new EventPayload.TaskScheduled("worker", "index the workspace",
                ORIGIN, true));
    }

    @Test
    void aStoreFailureAbandonsTheAdmissionAndQueuesNothing() {
        store.fail = true;
        assertThatThrownBy(() -> schedule("worker", "lost")).isInstanceOf(EventStoreException.class);
        assertThat(runtime.abandoned).hasSize(1);
        assertThat(runtime.recorded).isEmpty();
        assertThat(kernel.queuedTasks("worker")).isZero();
        assertThat(kernel.queueObjects()).isZero();
    }

    @Test
    void takeRecordsWhoTookTheTaskBeforeHandingItOver() throws Exception {
        Event first = schedule("worker", "one");
        schedule("worker", "two");
        QueuedTask t = kernel.take("worker", "run-42").orElseThrow();
        assertThat(t.id()).isEqualTo(first.id());
        // stored by the time take returned: the writer committed it
        assertThat(store.all()).extracting(Event::kind).containsExactly("task.scheduled", "task.scheduled",
                "task.taken");
        assertThat(Events.payload(store.all().get(2))).contains(new EventPayload.TaskTaken("worker", first.id(), "one",
                "run-42"));
        assertThat(kernel.queued("worker")).extracting(QueuedTask::task).containsExactly("two");
    }

    @Test
    void aTakeThatCannotBeRecordedLeavesTheTaskAtTheFront() throws Exception {
        schedule("worker", "one");
        schedule("worker", "two");
        store.fail = true;
        assertThat(kernel.take("worker", "run-1")).isEmpty();
        store.fail = false;
        assertThat(kernel.queued("worker")).extracting(QueuedTask::task).containsExactly("one", "two");
        assertThat(kernel.take("worker", "run-2")).map(QueuedTask::task).contains("one");
    }

    @Test
    void theQueuesSurviveARestartLessWhatWasTakenOrDropped() throws Exception {
        schedule("worker", "one");
        schedule("worker", "two");
        schedule("worker", "three");
        schedule("other", "a");
        schedule("gone", "x");
        schedule("gone", "y");
        kernel.take("worker", "run-1");
        kernel.dropTasks("gone", "agent deleted");
        // events before the queue flag (a run's own task.scheduled) never come back as queued tasks
        kernel.record(new EventPayload.TaskScheduled("worker", "a run's own task", "agent:worker"), List.of());

        restart();

        assertThat(kernel.queued("worker")).extracting(QueuedTask::task).containsExactly("two", "three");
        assertThat(kernel.queued("other")).extracting(QueuedTask::task).containsExactly("a");
        assertThat(kernel.queued("gone")).isEmpty();
        // and the restored queue keeps its bound and its order
        assertThat(kernel.take("worker", "run-2")).map(QueuedTask::task).contains("two");
        schedule("gone", "z");
        restart();
        assertThat(kernel.queued("worker")).extracting(QueuedTask::task).containsExactly("three");
        assertThat(kernel.queued("gone")).extracting(QueuedTask::task).containsExactly("z");
    }

    @Test
    void droppingAnAgentsQueueRecordsItAndFreesTheQueue() throws Exception {
        for (int i = 0; i < 5; i++) {
            schedule("doomed", "t" + i);
        }
        assertThat(kernel.dropTasks("doomed", "agent deleted")).isEqualTo(5);
        assertThat(kernel.queuedTasks("doomed")).isZero();
        assertThat(kernel.queueObjects()).isZero();
        Event last = store.all().get(store.all().size() - 1);
        assertThat(Events.payload(last)).contains(new EventPayload.TasksDropped("doomed", 5, "agent deleted"));
        assertThat(kernel.dropTasks("doomed", "again")).isZero();
        assertThat(store.count()).as("nothing to drop records nothing").isEqualTo(6);
    }

    @Test
    void anEmptiedQueueIsForgotten() throws Exception {
        for (int i = 0; i < 50; i++) {
            schedule("agent-" + i, "t");
            kernel.take("agent-" + i, "run");
        }
        assertThat(kernel.queueObjects()).isZero();
    }
}
