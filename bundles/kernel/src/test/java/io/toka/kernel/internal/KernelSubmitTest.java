package io.toka.kernel.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.toka.event.Event;
import io.toka.event.EventPayload;
import io.toka.event.EventStoreException;
import io.toka.event.Events;
import io.toka.kernel.CapabilityDeniedException;
import io.toka.kernel.InvalidOperationException;
import io.toka.kernel.Kernel;
import io.toka.kernel.Message;
import io.toka.kernel.Operation;
import io.toka.kernel.Operation.EmitObservation;
import io.toka.kernel.Operation.ScheduleAgentTask;
import io.toka.kernel.Operation.SpawnSubAgent;
import io.toka.security.testing.TestTokens;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullSource;
import org.junit.jupiter.params.provider.ValueSource;

class KernelSubmitTest {

    static final String ORIGIN = "agent-1";
    static final String ALL = "agent:*";

    @TempDir
    Path dir;
    TestTokens tokens;
    ListEventStore store;
    KernelImpl kernel;
    Recorder published;
    String token;

    @BeforeEach
    void start() {
        tokens = new TestTokens(dir);
        store = new ListEventStore();
        kernel = new KernelImpl(tokens.service(), store);
        kernel.setAgentRuntime(new AnyAgent());
        published = new Recorder();
        kernel.subscribe(published, 4096);
        token = tokens.issue(ORIGIN, ALL);
    }

    @AfterEach
    void stop() {
        kernel.deactivate();
    }

    private static String chars(int n) {
        return "x".repeat(n);
    }

    private Message schedule(String agent, String task) {
        return new Message(ORIGIN, token, new ScheduleAgentTask(agent, task));
    }

    private void assertInvalid(Message m, String message) {
        assertThatThrownBy(() -> kernel.submit(m)).isExactlyInstanceOf(InvalidOperationException.class)
                .hasMessage(message);
        assertThat(store.count()).isZero();
    }

    private void assertDenied(Message m, String message) {
        assertThatThrownBy(() -> kernel.submit(m)).isExactlyInstanceOf(CapabilityDeniedException.class)
                .hasMessage(message);
        assertThat(store.count()).isZero();
    }

    /** After a refused message, the next thing published is the next accepted event: nothing was published. */
    private void assertNothingPublishedBefore(Event accepted) {
        await().atMost(Duration.ofSeconds(5)).until(() -> !published.events.isEmpty());
        assertThat(published.events).first().isEqualTo(accepted);
    }

    // ---------------------------------------------------------------- step 1: well-formed

    @Test
    void nullMessage() {
        assertInvalid(null, "message is required");
    }

    @ParameterizedTest
    @NullSource
    @ValueSource(strings = {"", "   ", "\t\n"})
    void blankOrigin(String origin) {
        assertInvalid(new Message(origin, token, new ScheduleAgentTask("a", "t")), "Origin cannot be empty");
    }

    @Test
    void originTooLong() {
        assertInvalid(new Message(chars(257), token, new ScheduleAgentTask("a", "t")), "Origin too long: 257 > 256");
    }

    @Test
    void originOf256IsAccepted() throws Exception {
        String origin = chars(256);
        Event e = kernel.submit(new Message(origin, tokens.issue(origin, ALL), new ScheduleAgentTask("a", "t")));
        assertThat(e.subject()).isEqualTo(origin);
    }

    @ParameterizedTest
    @NullSource
    @ValueSource(strings = {"", "  "})
    void blankToken(String capability) {
        assertInvalid(new Message(ORIGIN, capability, new ScheduleAgentTask("a", "t")),
                "Capability token cannot be empty");
    }

    @Test
    void tokenTooLong() {
        assertInvalid(new Message(ORIGIN, chars(8193), new ScheduleAgentTask("a", "t")),
                "Capability token too long: 8193 > 8192");
    }

    @Test
    void tokenOf8192CharsIsWellFormedButDenied() {
        assertDenied(new Message(ORIGIN, chars(8192), new ScheduleAgentTask("a", "t")), "capability denied");
    }

    @Test
    void nullOperation() {
        assertInvalid(new Message(ORIGIN, token, null),
                "operation is required: ScheduleAgentTask, SpawnSubAgent or EmitObservation");
    }

    @ParameterizedTest
    @NullSource
    @ValueSource(strings = {"", " "})
    void scheduleBlankAgent(String agent) {
        assertInvalid(schedule(agent, "t"), "Agent id cannot be empty");
    }

    @Test
    void scheduleAgentTooLong() {
        assertInvalid(schedule(chars(257), "t"), "Agent id too long: 257 > 256");
    }

    @ParameterizedTest
    @NullSource
    @ValueSource(strings = {"", "   ", " \t\n "})
    void scheduleBlankTask(String task) {
        assertInvalid(schedule("a", task), "Task description cannot be empty");
    }

    @Test
    void scheduleTaskTooLongAfterTrim() {
        assertInvalid(schedule("a", "  " + chars(4097) + "  "), "Task description too long: 4097 > 4096");
    }

    @Test
    void scheduleTaskOf4096AfterTrimIsAcceptedAndStoredTrimmed() throws Exception {
        String task = "t" + chars(4094) + "t";
        Event e = kernel.submit(schedule("a", "   " + task + "\n"));
        assertThat(Events.payload(e)).contains(new EventPayload.TaskScheduled("a", task, ORIGIN, true));
        assertThat(kernel.takeTask("a")).contains(task);
    }

    @ParameterizedTest
    @NullSource
    @ValueSource(strings = {"", " "})
    void spawnBlankParent(String parent) {
        assertInvalid(new Message(ORIGIN, token, new SpawnSubAgent(parent, "child")), "Parent agent id cannot be empty");
    }

    @Test
    void spawnParentTooLong() {
        assertInvalid(new Message(ORIGIN, token, new SpawnSubAgent(chars(257), "child")),
                "Parent agent id too long: 257 > 256");
    }

    @ParameterizedTest
    @NullSource
    @ValueSource(strings = {"", "  "})
    void spawnBlankName(String name) {
        assertInvalid(new Message(ORIGIN, token, new SpawnSubAgent("p", name)), "Agent name cannot be empty");
    }

    @Test
    void spawnNameTooLong() {
        assertInvalid(new Message(ORIGIN, token, new SpawnSubAgent("p", chars(257))), "Agent name too long: 257 > 256");
    }

    @Test
    void spawnNameOf256IsAccepted() throws Exception {
        Event e = kernel.submit(new Message(ORIGIN, token, new SpawnSubAgent("p", chars(256))));
        assertThat(Events.payload(e)).contains(new EventPayload.AgentSpawned("p", chars(256), ORIGIN));
    }

    @ParameterizedTest
    @NullSource
    @ValueSource(strings = {"", " "})
    void observationBlankAgent(String agent) {
        assertInvalid(new Message(ORIGIN, token, new EmitObservation(agent, new byte[1])), "Agent id cannot be empty");
    }

    @Test
    void observationTooLarge() {
        assertInvalid(new Message(ORIGIN, token, new EmitObservation("a", new byte[1_048_577])),
                "Observation data too large: 1048577 > 1048576");
    }

    @Test
    void observationOfOneMebibyteIsAccepted() throws Exception {
        byte[] data = new byte[Operation.MAX_OBSERVATION_BYTES];
        Arrays.fill(data, (byte) 0x5a);
        data[0] = 1;
        Event e = kernel.submit(new Message(ORIGIN, token, new EmitObservation("a", data)));
        assertThat(Events.payload(e)).contains(new EventPayload.ObservationEmitted("a",
                Base64.getEncoder().encodeToString(data), 1_048_576, ORIGIN));
    }

    @Test
    void emptyObservationIsAccepted() throws Exception {
        Event e = kernel.submit(new Message(ORIGIN, token, new EmitObservation("a", new byte[0])));
        assertThat(Events.payload(e)).contains(new EventPayload.ObservationEmitted("a", "", 0, ORIGIN));
    }

    @Test
    void validateIsStaticAndReturnsTheOperation() throws Exception {
        Operation op = new SpawnSubAgent("p", "c");
        assertThat(KernelImpl.validate(new Message("o", "any-token", op))).isSameAs(op);
    }

    // ---------------------------------------------------------------- order of the checks

    @Test
    void malformedPartIsReportedBeforeAnInvalidToken() {
        assertInvalid(new Message(ORIGIN, "garbage", new ScheduleAgentTask("a", "  ")), "Task description cannot be empty");
        assertInvalid(new Message(ORIGIN, "garbage", new EmitObservation("a", new byte[1_048_577])),
                "Observation data too large: 1048577 > 1048576");
        assertInvalid(new Message(ORIGIN, "garbage", new SpawnSubAgent("p", " ")), "Agent name cannot be empty");
    }

    @Test
    void wellFormednessIsCheckedInFieldOrder() {
        assertInvalid(new Message(" ", " ", new ScheduleAgentTask(" ", " ")), "Origin cannot be empty");
        assertInvalid(new Message(ORIGIN, " ", new ScheduleAgentTask(" ", " ")), "Capability token cannot be empty");
        assertInvalid(new Message(ORIGIN, "t", new ScheduleAgentTask(" ", " ")), "Agent id cannot be empty");
        assertInvalid(new Message(ORIGIN, "t", new SpawnSubAgent(" ", " ")), "Parent agent id cannot be empty");
    }

    @Test
    void invalidTokenIsReportedBeforeTheOriginMismatchAndPermission() {
        // an invalid token with an origin nobody holds: the token is what is reported, with no detail
        assertDenied(new Message("someone-else", "garbage", new ScheduleAgentTask("a", "t")), "capability denied");
    }

    @Test
    void originIsCheckedBeforeThePermission() {
        String noPerms = tokens.issue("bob", "tool:read");
        assertDenied(new Message("alice", noPerms, new ScheduleAgentTask("a", "t")),
                "capability denied: the token's subject is not the origin 'alice'");
    }

    @Test
    void permissionIsCheckedBeforeTheQueue() throws Exception {
        fill("a", Kernel.MAX_QUEUED_TASKS);
        String observeOnly = tokens.issue(ORIGIN, "agent:observe");
        assertDenied2(new Message(ORIGIN, observeOnly, new ScheduleAgentTask("a", "t")),
                "capability denied: ScheduleAgentTask needs permission 'agent:task:schedule'");
    }

    private void assertDenied2(Message m, String message) {
        assertThatThrownBy(() -> kernel.submit(m)).isExactlyInstanceOf(CapabilityDeniedException.class)
                .hasMessage(message);
    }

    // ---------------------------------------------------------------- steps 2-4: token, origin, permission

    @ParameterizedTest
    @ValueSource(strings = {"garbage", "a.b.c", "eyJhbGciOiJIUzI1NiJ9.e30.AAAA"})
    void invalidTokenIsDeniedAndNothingRecorded(String capability) throws Exception {
        assertDenied(new Message(ORIGIN, capability, new ScheduleAgentTask("a", "t")), "capability denied");
        assertThat(kernel.queuedTasks("a")).isZero();
        Event next = kernel.submit(new Message(ORIGIN, token, new SpawnSubAgent("p", "c")));
        assertNothingPublishedBefore(next);
    }

    @Test
    void tamperedTokenIsDenied() {
        String tampered = token.substring(0, token.length() - 2) + (token.endsWith("AA") ? "BB" : "AA");
        assertDenied(new Message(ORIGIN, tampered, new SpawnSubAgent("p", "c")), "capability denied");
    }

    @Test
    void tokenOfAnotherSubjectIsDenied() throws Exception {
        String bobs = tokens.issue("bob", ALL);
        assertDenied(new Message(ORIGIN, bobs, new ScheduleAgentTask("a", "t")),
                "capability denied: the token's subject is not the origin 'agent-1'");
        assertThat(kernel.queuedTasks("a")).isZero();
        Event next = kernel.submit(new Message("bob", bobs, new ScheduleAgentTask("a", "t")));
        assertThat(next.subject()).isEqualTo("bob");
        assertNothingPublishedBefore(next);
    }

    @Test
    void scheduleNeedsItsPermission() {
        String t = tokens.issue(ORIGIN, "agent:spawn", "agent:observe", "tool:*");
        assertDenied(new Message(ORIGIN, t, new ScheduleAgentTask("a", "t")),
                "capability denied: ScheduleAgentTask needs permission 'agent:task:schedule'");
        assertThat(kernel.queuedTasks("a")).isZero();
    }

    @Test
    void spawnNeedsItsPermission() {
        String t = tokens.issue(ORIGIN, "agent:task:schedule", "agent:observe");
        assertDenied(new Message(ORIGIN, t, new SpawnSubAgent("p", "c")),
                "capability denied: SpawnSubAgent needs permission 'agent:spawn'");
    }

    @Test
    void observeNeedsItsPermission() {
        String t = tokens.issue(ORIGIN, "agent:task:schedule", "agent:spawn");
        assertDenied(new Message(ORIGIN, t, new EmitObservation("a", new byte[3])),
                "capability denied: EmitObservation needs permission 'agent:observe'");
    }

    @Test
    void exactPermissionsAllowTheirOperations() throws Exception {
        kernel.submit(new Message(ORIGIN, tokens.issue(ORIGIN, "agent:task:schedule"), new ScheduleAgentTask("a", "t")));
        kernel.submit(new Message(ORIGIN, tokens.issue(ORIGIN, "agent:spawn"), new SpawnSubAgent("p", "c")));
        kernel.submit(new Message(ORIGIN, tokens.issue(ORIGIN, "agent:observe"), new EmitObservation("a", new byte[1])));
        assertThat(store.count()).isEqualTo(3);
    }

    @Test
    void wildcardAllowsAllThree() throws Exception {
        String t = tokens.issue(ORIGIN, "agent:*");
        kernel.submit(new Message(ORIGIN, t, new ScheduleAgentTask("a", "t")));
        kernel.submit(new Message(ORIGIN, t, new SpawnSubAgent("p", "c")));
        kernel.submit(new Message(ORIGIN, t, new EmitObservation("a", new byte[1])));
        assertThat(store.all()).extracting(Event::kind)
                .containsExactly("task.scheduled", "agent.spawned", "observation.emitted");
    }

    // ---------------------------------------------------------------- step 5: the queue

    private void fill(String agent, int n) throws Exception {
        for (int i = 0; i < n; i++) {
            kernel.submit(schedule(agent, "task " + i));
        }
    }

    @Test
    void fullQueueRefusesAndTakeTaskFreesASlot() throws Exception {
        String t = tokens.issue(ORIGIN, "agent:task:schedule");
        for (int i = 0; i < Kernel.MAX_QUEUED_TASKS; i++) {
            kernel.submit(new Message(ORIGIN, t, new ScheduleAgentTask("a", "task " + i)));
        }
        assertThat(kernel.queuedTasks("a")).isEqualTo(10_000);
        assertThatThrownBy(() -> kernel.submit(new Message(ORIGIN, t, new ScheduleAgentTask("a", "one more"))))
                .isExactlyInstanceOf(InvalidOperationException.class)
                .hasMessage("task queue full: agent 'a' already has 10000 queued tasks");
        assertThat(store.count()).isEqualTo(10_000);
        // other agents have queues of their own
        kernel.submit(new Message(ORIGIN, t, new ScheduleAgentTask("b", "elsewhere")));

        assertThat(kernel.takeTask("a")).contains("task 0");
        assertThat(kernel.queuedTasks("a")).isEqualTo(9_999);
        kernel.submit(new Message(ORIGIN, t, new ScheduleAgentTask("a", "one more")));
        assertThat(kernel.queuedTasks("a")).isEqualTo(10_000);
        assertThatThrownBy(() -> kernel.submit(new Message(ORIGIN, t, new ScheduleAgentTask("a", "too many"))))
                .hasMessageStartingWith("task queue full");
    }

    @Test
    void tasksAreTakenOldestFirst() throws Exception {
        assertThat(kernel.takeTask("nobody")).isEmpty();
        assertThat(kernel.queuedTasks("nobody")).isZero();
        kernel.submit(schedule("a", " first "));
        kernel.submit(schedule("a", "second"));
        assertThat(kernel.queuedTasks("a")).isEqualTo(2);
        assertThat(kernel.takeTask("a")).contains("first");
        assertThat(kernel.takeTask("a")).contains("second");
        assertThat(kernel.takeTask("a")).isEmpty();
        assertThat(kernel.queuedTasks("a")).isZero();
    }

    @Test
    void failedSubmitStoresNothingAndFreesItsReservation() throws Exception {
        fill("a", Kernel.MAX_QUEUED_TASKS - 1);
        store.fail = true;
        for (int i = 0; i < 3; i++) {
            assertThatThrownBy(() -> kernel.submit(schedule("a", "lost"))).isInstanceOf(EventStoreException.class);
        }
        assertThat(kernel.queuedTasks("a")).isEqualTo(9_999);
        store.fail = false;
        assertThat(store.count()).isEqualTo(9_999);
        // the failed submits left their slot: exactly one more fits
        kernel.submit(schedule("a", "last"));
        assertThatThrownBy(() -> kernel.submit(schedule("a", "too many")))
                .isExactlyInstanceOf(InvalidOperationException.class).hasMessageStartingWith("task queue full");
        assertThat(store.count()).isEqualTo(10_000);
        assertThat(kernel.takeTask("a")).contains("task 0");
    }

    @Test
    void refusedSubmitsDoNotTakeQueueSlots() throws Exception {
        fill("a", Kernel.MAX_QUEUED_TASKS - 1);
        String noPerm = tokens.issue(ORIGIN, "agent:spawn");
        for (int i = 0; i < 5; i++) {
            assertThatThrownBy(() -> kernel.submit(new Message(ORIGIN, noPerm, new ScheduleAgentTask("a", "x"))))
                    .isInstanceOf(CapabilityDeniedException.class);
            assertThatThrownBy(() -> kernel.submit(new Message(ORIGIN, "garbage", new ScheduleAgentTask("a", "x"))))
                    .isInstanceOf(CapabilityDeniedException.class);
        }
        kernel.submit(schedule("a", "last"));
        assertThat(kernel.queuedTasks("a")).isEqualTo(10_000);
    }

    // ---------------------------------------------------------------- the event

    @Test
    void scheduleRecordsAndPublishesExactlyOneEvent() throws Exception {
        Event e = kernel.submit(schedule("worker", "  do it  "));
        assertThat(e.seq()).isEqualTo(1);
        assertThat(e.kind()).isEqualTo("task.scheduled");
        assertThat(e.agent()).isEqualTo("worker");
        assertThat(e.subject()).isEqualTo(ORIGIN);
        assertThat(e.parents()).isEmpty();
        assertThat(Events.payload(e)).contains(new EventPayload.TaskScheduled("worker", "do it", ORIGIN, true));
        assertThat(store.all()).containsExactly(e);
        await().atMost(Duration.ofSeconds(5)).until(() -> published.events.size() == 1);
        assertThat(published.events).containsExactly(e);
        assertThat(kernel.queuedTasks("worker")).isEqualTo(1);
    }

    @Test
    void spawnRecordsAndPublishesExactlyOneEvent() throws Exception {
        Event e = kernel.submit(new Message(ORIGIN, token, new SpawnSubAgent("parent", "child")));
        assertThat(e.kind()).isEqualTo("agent.spawned");
        assertThat(e.agent()).isEqualTo("child");
        assertThat(e.subject()).isEqualTo(ORIGIN);
        Optional<EventPayload> p = Events.payload(e);
        assertThat(p).contains(new EventPayload.AgentSpawned("parent", "child", ORIGIN));
        assertThat(store.all()).containsExactly(e);
        await().atMost(Duration.ofSeconds(5)).until(() -> published.events.size() == 1);
        assertThat(published.events).containsExactly(e);
    }

    @Test
    void observationRecordsAndPublishesExactlyOneEvent() throws Exception {
        byte[] data = {0, 1, 2, (byte) 0xff};
        Event e = kernel.submit(new Message(ORIGIN, token, new EmitObservation("watcher", data)));
        assertThat(e.kind()).isEqualTo("observation.emitted");
        assertThat(e.agent()).isEqualTo("watcher");
        assertThat(e.subject()).isEqualTo(ORIGIN);
        EventPayload.ObservationEmitted p = (EventPayload.ObservationEmitted) Events.payload(e).orElseThrow();
        assertThat(Base64.getDecoder().decode(p.data())).containsExactly(data);
        assertThat(p.size()).isEqualTo(4);
        assertThat(store.all()).containsExactly(e);
        await().atMost(Duration.ofSeconds(5)).until(() -> published.events.size() == 1);
        assertThat(published.events).containsExactly(e);
        assertThat(kernel.queuedTasks("watcher")).isZero();
    }

    @Test
    void everySubmitIsOneEventInOrder() throws Exception {
        for (int i = 0; i < 50; i++) {
            kernel.submit(schedule("a", "t" + i));
        }
        assertThat(store.count()).isEqualTo(50);
        assertThat(store.batchSizes()).allMatch(n -> n == 1).hasSize(50);
        await().atMost(Duration.ofSeconds(5)).until(() -> published.events.size() == 50);
        assertThat(published.events).containsExactlyElementsOf(store.all());
        assertThat(published.events).extracting(Event::seq).isSorted();
        List<String> tasks = published.events.stream()
                .map(ev -> ((EventPayload.TaskScheduled) Events.payload(ev).orElseThrow()).task()).toList();
        assertThat(tasks).startsWith("t0", "t1").endsWith("t49");
    }
}
