package io.toka.kernel.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.toka.event.Event;
import io.toka.event.EventPayload;
import io.toka.event.Events;
import io.toka.security.AuditEvent;
import io.toka.security.SecurityContext;
import io.toka.security.TokenService;
import io.toka.security.testing.TestTokens;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.service.event.EventAdmin;

class KernelRecordingTest {

    static final Duration WAIT = Duration.ofSeconds(10);

    @TempDir
    Path dir;
    TestTokens tokens;
    ListEventStore store;
    KernelImpl kernel;
    Recorder published;

    @BeforeEach
    void start() {
        tokens = new TestTokens(dir);
        store = new ListEventStore();
        kernel = new KernelImpl(tokens.service(), store);
        kernel.setAgentRuntime(new AnyAgent());
        published = new Recorder();
        kernel.subscribe(published, 10_000);
    }

    @AfterEach
    void stop() {
        CountDownLatch g = store.gate;
        if (g != null) {
            g.countDown();
        }
        kernel.deactivate();
    }

    private static EventPayload payload(int i) {
        return new EventPayload.ToolInvoked("tool-" + i, "1.0.0", "s", true, i);
    }

    private static int number(Event e) {
        return (int) ((EventPayload.ToolInvoked) Events.payload(e).orElseThrow()).durationMs();
    }

    // ---------------------------------------------------------------- record and post

    @Test
    void recordStoresThenPublishesWithParents() {
        Event parent = kernel.record(new EventPayload.AgentResumed("a"), null);
        Event child = kernel.record(new EventPayload.AgentSuspended("a", "pause"), List.of(parent));
        assertThat(store.all()).containsExactly(parent, child);
        assertThat(parent.seq()).isEqualTo(1);
        assertThat(child.seq()).isEqualTo(2);
        assertThat(child.parents()).containsExactly(parent.id());
        assertThat(child.digest()).isEqualTo(Events.digest(child.payload(), List.of(parent.digest())));
        await().atMost(WAIT).until(() -> published.events.size() == 2);
        assertThat(published.events).containsExactly(parent, child);
    }

    @Test
    void postAndAwaitReturnsOnceItsBatchIsStoredWithEverythingPostedBefore() throws Exception {
        for (int i = 0; i < 100; i++) {
            kernel.post(new EventPayload.AuditRecorded("authorize", "allowed", "s" + i, null, null));
        }
        boolean stored = kernel.postAndAwait(new EventPayload.ToolInvoked("t", "1", "s", true, 1), Duration.ofSeconds(10));

        assertThat(stored).isTrue();
        // no waiting here: the call's event and every event posted before it are already in the store, in order
        assertThat(store.count()).isEqualTo(101);
        assertThat(store.all().get(100).kind()).isEqualTo("tool.invoked");
        assertThat(store.all().get(0).subject()).isEqualTo("s0");
    }

    @Test
    void anInvalidPostedEventIsDroppedOnThePostersThreadAndTheOthersAreStoredInOrder() throws Exception {
        String huge = "x".repeat(Events.MAX_PAYLOAD_BYTES + 1);
        kernel.post(new EventPayload.AuditRecorded("authorize", "allowed", "before", null, null));
        kernel.post(new EventPayload.AuditRecorded("authorize", "allowed", "too big", null, huge));
        boolean invalid = kernel.postAndAwait(new EventPayload.ToolInvoked(huge, "1", "s", true, 1),
                Duration.ofSeconds(10));
        boolean stored = kernel.postAndAwait(new EventPayload.ToolInvoked("t", "1", "after", true, 1),
                Duration.ofSeconds(10));

        assertThat(invalid).as("an event that cannot be built is not stored").isFalse();
        assertThat(stored).isTrue();
        assertThat(store.all()).extracting(Event::subject).containsExactly("before", "after");
    }

    @Test
    void postAndAwaitReportsAStoreFailureAtOnce() throws Exception {
        store.fail = true;
        long t0 = System.nanoTime();
        boolean stored = kernel.postAndAwait(new EventPayload.ToolInvoked("t", "1", "s", true, 1), Duration.ofSeconds(30));
        assertThat(stored).isFalse();
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(10));
    }

    @Test
    void postedEventsAreStoredInTheBackgroundAndPublished() throws Exception {
        for (int i = 0; i < 100; i++) {
            kernel.post(payload(i));
        }
        await().atMost(WAIT).until(() -> store.count() == 100);
        assertThat(kernel.awaitPosted(5000)).isTrue();
        assertThat(store.all()).extracting(KernelRecordingTest::number).isSorted().hasSize(100);
        await().atMost(WAIT).until(() -> published.events.size() == 100);
        assertThat(published.events).containsExactlyElementsOf(store.all());
        assertThat(store.batchSizes()).allMatch(n -> n >= 1 && n <= KernelImpl.POST_BATCH);
    }

    @Test
    void postedEventsAreStoredInBatches() throws Exception {
        store.gate = new CountDownLatch(1);
        kernel.post(payload(0));
        // the writer is now holding event 0 at the store; the rest pile up behind it
        assertThat(store.atGate.await(10, TimeUnit.SECONDS)).isTrue();
        for (int i = 1; i <= 1000; i++) {
            kernel.post(payload(i));
        }
        assertThat(store.count()).isZero();
        store.gate.countDown();
        await().atMost(WAIT).until(() -> store.count() == 1001);
        assertThat(store.batchSizes()).containsExactly(1, KernelImpl.POST_BATCH, 1000 - KernelImpl.POST_BATCH);
        assertThat(store.all()).extracting(KernelRecordingTest::number).containsExactlyElementsOf(range(0, 1000));
        await().atMost(WAIT).until(() -> published.events.size() == 1001);
        assertThat(published.events).containsExactlyElementsOf(store.all());
        assertThat(published.events).extracting(Event::seq).isSorted();
    }

    private static List<Integer> range(int from, int to) {
        List<Integer> out = new ArrayList<>();
        for (int i = from; i <= to; i++) {
            out.add(i);
        }
        return out;
    }

    @Test
    void postDoesNotWaitForTheStore() {
        store.gate = new CountDownLatch(1);
        long start = System.nanoTime();
        for (int i = 0; i < 2000; i++) {
            kernel.post(payload(i));
        }
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
        assertThat(store.count()).isZero();
        store.gate.countDown();
        await().atMost(WAIT).until(() -> store.count() == 2000);
    }

    @Test
    void anInvalidPostedEventIsDroppedAndTheRestStored() {
        store.gate = new CountDownLatch(1);
        kernel.post(payload(0));
        kernel.post(new EventPayload() {
            @Override
            public String kind() {
                return "Not A Kind";
            }
        });
        kernel.post(payload(1));
        store.gate.countDown();
        await().atMost(WAIT).until(() -> store.count() == 2);
        kernel.post(payload(2));
        await().atMost(WAIT).until(() -> store.count() == 3);
        assertThat(store.all()).extracting(KernelRecordingTest::number).containsExactly(0, 1, 2);
    }

    @Test
    void storeStatisticsCountEventsAppendsFailuresAndWhatIsPending() {
        assertThat(kernel.storeStatistics()).isEqualTo(new io.toka.kernel.Kernel.StoreStatistics(0, 0, 0, 0, 0));
        kernel.record(payload(0), List.of());
        io.toka.kernel.Kernel.StoreStatistics one = kernel.storeStatistics();
        assertThat(one.events()).isEqualTo(1);
        assertThat(one.appends()).isEqualTo(1);
        assertThat(one.appendNanos()).isPositive();

        store.gate = new CountDownLatch(1);
        for (int i = 1; i <= 5; i++) {
            kernel.post(payload(i));
        }
        await().atMost(WAIT).until(() -> kernel.storeStatistics().pending() == 5);
        store.gate.countDown();
        await().atMost(WAIT).until(() -> kernel.storeStatistics().events() == 6);
        io.toka.kernel.Kernel.StoreStatistics six = kernel.storeStatistics();
        assertThat(six.pending()).isZero();
        assertThat(six.appends()).isBetween(2L, 6L); // the writer batches what was queued behind the gate
        assertThat(six.failures()).isZero();

        store.fail = true;
        kernel.post(payload(7));
        await().atMost(WAIT).until(() -> kernel.storeStatistics().failures() == 1);
        assertThat(kernel.storeStatistics().events()).isEqualTo(6);
        assertThat(kernel.storeStatistics().pending()).isZero();
    }

    @Test
    void theWriterSurvivesAStoreFailure() {
        store.fail = true;
        kernel.post(payload(0));
        await().atMost(WAIT).until(() -> store.appends.get() >= 1);
        store.fail = false;
        kernel.post(payload(1));
        await().atMost(WAIT).until(() -> store.count() == 1);
        assertThat(store.all()).extracting(KernelRecordingTest::number).containsExactly(1);
    }

    @Test
    void theWriterSurvivesAnUnexpectedStoreException() {
        store.crash = new IllegalStateException("a bug in the store");
        kernel.post(payload(0));
        await().atMost(WAIT).until(() -> store.appends.get() >= 1);
        store.crash = null;
        kernel.post(payload(1));
        await().atMost(WAIT).until(() -> store.count() == 1);
        assertThat(store.all()).extracting(KernelRecordingTest::number).containsExactly(1);
    }

    @Test
    void awaitPostedWaitsUntilTheEventsAreStored() throws Exception {
        assertThat(kernel.awaitPosted(0)).isTrue();
        store.gate = new CountDownLatch(1);
        kernel.post(payload(0));
        kernel.post(payload(1));
        // the writer has taken event 0 off the queue but not stored it: not done yet
        assertThat(store.atGate.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(kernel.awaitPosted(100)).isFalse();
        store.gate.countDown();
        assertThat(kernel.awaitPosted(10_000)).isTrue();
        assertThat(store.count()).isEqualTo(2);
    }

    @Test
    void awaitPostedCountsFailedAndInvalidEventsAsDone() throws Exception {
        store.fail = true;
        kernel.post(payload(0));
        assertThat(kernel.awaitPosted(10_000)).isTrue();
        store.fail = false;
        kernel.post(() -> "Not A Kind");
        assertThat(kernel.awaitPosted(10_000)).isTrue();
        assertThat(store.count()).isZero();
    }

    @Test
    void deactivateStoresWhatWasPosted() {
        for (int i = 0; i < 3000; i++) {
            kernel.post(payload(i));
        }
        kernel.deactivate();
        assertThat(store.count()).isEqualTo(3000);
        assertThat(store.all()).extracting(KernelRecordingTest::number).containsExactlyElementsOf(range(0, 2999));
    }

    // ---------------------------------------------------------------- audit

    private static AuditEvent audit(String action, String outcome, String subject, String jti, String detail) {
        return new AuditEvent(Instant.now(), action, outcome, subject, jti, detail);
    }

    @Test
    void auditEventsBeforeTheKernelArrivesAreHeldThenRecorded() {
        AuditEventRecorder recorder = new AuditEventRecorder();
        recorder.onAudit(audit("token.issue", "success", "system", "boot", "bootstrap admin token"));
        recorder.onAudit(audit("authenticate", "failure", null, null, "bad signature"));
        assertThat(store.count()).isZero();

        recorder.setKernel(kernel);
        await().atMost(WAIT).until(() -> store.count() == 3);
        assertThat(store.all()).extracting(Event::kind)
                .containsExactly("audit.recorded", "token.issued", "audit.recorded");
        assertThat(Events.payload(store.all().get(1)).orElseThrow())
                .isEqualTo(new EventPayload.TokenIssued("boot", "system", "token.issue: bootstrap admin token"));
        recorder.unsetKernel(kernel);
        recorder.onAudit(audit("key.rotate", "success", "admin", null, "k2"));
        recorder.setKernel(kernel);
        await().atMost(WAIT).until(() -> store.count() == 5);
    }

    @Test
    void auditEventsBecomeTokenAndKeyEvents() {
        AuditEventRecorder recorder = new AuditEventRecorder();
        recorder.setKernel(kernel);
        recorder.onAudit(audit("token.issue", "success", "admin", "j1", "sub=bob"));
        recorder.onAudit(audit("token.delegate", "success", "bob", "j2", "sub=carol"));
        recorder.onAudit(audit("token.revoke", "success", "admin", "j1", "revoked 2"));
        recorder.onAudit(audit("key.rotate", "success", "admin", null, "new key k2"));
        // refusals, failures and other actions are stored as audit records only
        recorder.onAudit(audit("token.issue", "failure", "admin", null, "bad ttl"));
        recorder.onAudit(audit("token.issue", "denied", "eve", null, "no token:issue"));
        recorder.onAudit(audit("token.revoke", "denied", "eve", "j1", "not hers"));
        recorder.onAudit(audit("token.delegate", "failure", "bob", null, "too deep"));
        recorder.onAudit(audit("key.rotate", "denied", "eve", null, "no key:rotate"));
        recorder.onAudit(audit("authenticate", "failure", null, null, "bad signature"));
        recorder.onAudit(audit("authorize", "allowed", "bob", "j2", "tool.invoke:x"));
        recorder.onAudit(audit("authorize", "denied", "bob", "j2", "tool.invoke:y"));
        recorder.onAudit(audit("key.generate", "success", "system", null, "k1"));
        kernel.post(new EventPayload.SystemError("test", "sentinel"));

        await().atMost(WAIT).until(() -> store.count() == 18);
        List<Event> typed = store.all().stream().filter(e -> !e.kind().equals("audit.recorded")).toList();
        List<EventPayload> payloads = typed.stream().map(e -> Events.payload(e).orElseThrow()).toList();
        assertThat(payloads).containsExactly(
                new EventPayload.TokenIssued("j1", "admin", "token.issue: sub=bob"),
                new EventPayload.TokenIssued("j2", "bob", "token.delegate: sub=carol"),
                new EventPayload.TokenRevoked("j1", "admin", "revoked 2"),
                new EventPayload.KeyRotated("admin", "new key k2"),
                new EventPayload.SystemError("test", "sentinel"));
        assertThat(typed).extracting(Event::kind).containsExactly("token.issued", "token.issued",
                "token.revoked", "key.rotated", "system.error");
        assertThat(typed.get(0).subject()).isEqualTo("admin");
        // every decision, allowed or refused, is an audit record in the store, in order, queryable by subject
        List<EventPayload.AuditRecorded> records = store.all().stream().filter(e -> e.kind().equals("audit.recorded"))
                .map(e -> (EventPayload.AuditRecorded) Events.payload(e).orElseThrow()).toList();
        assertThat(records).hasSize(13);
        assertThat(records.get(10)).isEqualTo(new EventPayload.AuditRecorded("authorize", "allowed", "bob", "j2",
                "tool.invoke:x"));
        assertThat(records).extracting(EventPayload.AuditRecorded::outcome).contains("denied", "failure");
        assertThat(store.all().stream().filter(e -> e.kind().equals("audit.recorded") && "eve".equals(e.subject())))
                .hasSize(3);
    }

    @Test
    void theRealAuthorityIsAuditedIntoEvents() throws Exception {
        TokenService service = tokens.service();
        tokens.audit.clear();
        String bobs = tokens.issue("bob", "agent:*");
        SecurityContext bob = service.authenticate(bobs);
        AuditEventRecorder recorder = new AuditEventRecorder();
        recorder.setKernel(kernel);
        for (AuditEvent e : tokens.audit) {
            recorder.onAudit(e);
        }
        await().atMost(WAIT).until(() -> store.all().stream().anyMatch(e -> e.kind().equals("token.issued")));
        Event issued = store.all().stream().filter(e -> e.kind().equals("token.issued")).findFirst().orElseThrow();
        assertThat(issued.kind()).isEqualTo("token.issued");
        EventPayload.TokenIssued p = (EventPayload.TokenIssued) Events.payload(issued).orElseThrow();
        assertThat(p.jti()).isEqualTo(bob.token().orElseThrow().jti());
        assertThat(p.subject()).isEqualTo("test-admin");
        assertThat(p.detail()).startsWith("token.issue: sub=bob");
    }

    // ---------------------------------------------------------------- EventAdmin

    @Test
    void onlyHandlersWhoseTopicsCanMatchMakeTheBridgePost() {
        assertThat(EventAdminBridge.matchesToka("*")).isTrue();
        assertThat(EventAdminBridge.matchesToka("toka/*")).isTrue();
        assertThat(EventAdminBridge.matchesToka("toka/event/*")).isTrue();
        assertThat(EventAdminBridge.matchesToka(new String[] {"org/osgi/*", "toka/event/tool/invoked"})).isTrue();
        assertThat(EventAdminBridge.matchesToka("org/osgi/service/log/*")).isFalse();
        assertThat(EventAdminBridge.matchesToka(new String[] {"org/ops4j/pax/logging/*"})).isFalse();
        assertThat(EventAdminBridge.matchesToka(null)).isFalse();
    }

    @Test
    void topicOfAKind() {
        assertThat(EventAdminBridge.topic("agent.spawned")).isEqualTo("toka/event/agent/spawned");
        assertThat(EventAdminBridge.topic("a.b.c")).isEqualTo("toka/event/a/b/c");
        assertThat(EventAdminBridge.TOPIC_PREFIX).isEqualTo("toka/event/");
    }

    @Test
    void theBridgeSendsEveryEventOnEventAdminFromItsOwnThread() {
        List<org.osgi.service.event.Event> posted = new CopyOnWriteArrayList<>();
        List<Thread> senders = new CopyOnWriteArrayList<>();
        EventAdmin admin = new EventAdmin() {
            @Override
            public void postEvent(org.osgi.service.event.Event event) {
                throw new AssertionError("the bridge has a delivery thread of its own: it sends, EventAdmin must not queue");
            }

            @Override
            public void sendEvent(org.osgi.service.event.Event event) {
                senders.add(Thread.currentThread());
                posted.add(event);
            }
        };
        EventAdminBridge bridge = new EventAdminBridge(admin, kernel);
        // nobody listens yet: nothing is posted
        bridge.onEvent(io.toka.event.Events.create(new EventPayload.KeyRotated("admin", "unheard"), List.of()));
        assertThat(posted).isEmpty();
        java.util.Map<String, Object> handler = new java.util.HashMap<>();
        handler.put(org.osgi.framework.Constants.SERVICE_ID, 42L);
        handler.put(org.osgi.service.event.EventConstants.EVENT_TOPIC, "toka/event/*");
        bridge.bindHandler(handler);
        Event spawned = kernel.record(new EventPayload.AgentSpawned("p", "c", "alice"), List.of());
        Event error = kernel.record(new EventPayload.SystemError("store", "disk full"), List.of());
        await().atMost(WAIT).until(() -> posted.size() == 2);
        assertThat(senders).as("delivered off the recording thread").doesNotContain(Thread.currentThread());
        org.osgi.service.event.Event first = posted.get(0);
        assertThat(first.getTopic()).isEqualTo("toka/event/agent/spawned");
        assertThat(first.getProperty("id")).isEqualTo(spawned.id());
        assertThat(first.getProperty("seq")).isEqualTo(spawned.seq());
        assertThat(first.getProperty("kind")).isEqualTo("agent.spawned");
        assertThat(first.getProperty("version")).isEqualTo(1);
        assertThat(first.getProperty("timestamp")).isEqualTo(spawned.timestamp().toEpochMilli());
        assertThat(first.getProperty("digest")).isEqualTo(spawned.digest());
        assertThat(first.getProperty("payload")).isEqualTo(spawned.payload());
        assertThat(first.getProperty("agent")).isEqualTo("c");
        assertThat(first.getProperty("subject")).isEqualTo("alice");
        org.osgi.service.event.Event second = posted.get(1);
        assertThat(second.getTopic()).isEqualTo("toka/event/system/error");
        assertThat(second.getProperty("id")).isEqualTo(error.id());
        assertThat(second.containsProperty("agent")).isFalse();
        assertThat(second.containsProperty("subject")).isFalse();

        bridge.deactivate();
        kernel.record(new EventPayload.AgentResumed("c"), List.of());
        await().atMost(WAIT).until(() -> published.events.size() == 3);
        assertThat(posted).hasSize(2);
    }
}
