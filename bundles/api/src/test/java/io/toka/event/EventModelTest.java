package io.toka.event;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoField;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class EventModelTest {

    static final Set<String> KINDS = Set.of("task.scheduled", "agent.spawned", "observation.emitted",
            "agent.terminated", "agent.suspended", "agent.resumed", "task.completed", "task.failed", "task.timeout",
            "tool.invoked", "token.issued", "token.revoked", "key.rotated", "system.error", "audit.recorded", "task.taken",
            "tasks.dropped");

    /** One instance of every built-in payload. */
    static Stream<EventPayload> builtIns() {
        return Stream.of(
                new EventPayload.TaskScheduled("a", "do it", "alice", true),
                new EventPayload.TaskTaken("a", "0190-id", "do it", "run-1"),
                new EventPayload.TasksDropped("a", 3, "agent deleted"),
                new EventPayload.AgentSpawned("p", "c", "alice"),
                new EventPayload.ObservationEmitted("a", "AAEC", 3, "alice"),
                new EventPayload.AgentTerminated("a", "done", -128),
                new EventPayload.AgentSuspended("a", null),
                new EventPayload.AgentResumed("a"),
                new EventPayload.TaskCompleted("a", "t", "ok \"quoted\" ü", 42),
                new EventPayload.TaskFailed("a", "t", "boom"),
                new EventPayload.TaskTimeout("a", "t", 30_000),
                new EventPayload.ToolInvoked("file-reader", "1.0.0", "alice", true, 7),
                new EventPayload.TokenIssued("jti-1", "admin", "token.issue: sub=bob"),
                new EventPayload.TokenRevoked("jti-1", "admin", null),
                new EventPayload.KeyRotated(null, null),
                new EventPayload.SystemError("store", "disk full"),
                new EventPayload.AuditRecorded("authorize", "allowed", "alice", "jti-1", "tool.invoke:file-reader"));
    }

    /** A payload defined outside the kernel. */
    record Custom(String kind, String value) implements EventPayload {
    }

    private static String sha256(String s) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    }

    // ---------------------------------------------------------------- digest

    @Test
    void digestIsOrderIndependentOverParents() {
        String a = "a".repeat(64);
        String b = "b".repeat(64);
        String c = "c".repeat(64);
        String d1 = Events.digest("{}", List.of(a, b, c));
        assertThat(Events.digest("{}", List.of(c, a, b))).isEqualTo(d1);
        assertThat(Events.digest("{}", List.of(b, c, a))).isEqualTo(d1);
        assertThat(d1).matches("[0-9a-f]{64}");
    }

    @Test
    void digestChangesWithPayloadOrParentSet() throws Exception {
        String a = "a".repeat(64);
        String b = "b".repeat(64);
        String base = Events.digest("{\"x\":1}", List.of(a, b));
        assertThat(Events.digest("{\"x\":2}", List.of(a, b))).isNotEqualTo(base);
        assertThat(Events.digest("{\"x\":1}", List.of(a))).isNotEqualTo(base);
        assertThat(Events.digest("{\"x\":1}", List.of(a, b, "c".repeat(64)))).isNotEqualTo(base);
        assertThat(Events.digest("{\"x\":1}", List.of())).isNotEqualTo(base).isEqualTo(sha256("{\"x\":1}"));
        // the parent boundary counts: (ab) is not (a, b)
        assertThat(Events.digest("p", List.of("ab"))).isNotEqualTo(Events.digest("p", List.of("a", "b")));
    }

    @Test
    void createdEventsChainTheirParents() {
        Event p1 = Events.create(new EventPayload.AgentResumed("a"), List.of());
        Event p2 = Events.create(new EventPayload.AgentResumed("b"), List.of());
        EventPayload payload = new EventPayload.TaskFailed("a", "t", "e");
        Event x = Events.create(payload, List.of(p1, p2));
        Event y = Events.create(payload, List.of(p2, p1));
        assertThat(x.parents()).containsExactly(p1.id(), p2.id());
        assertThat(y.parents()).containsExactly(p2.id(), p1.id());
        assertThat(x.digest()).isEqualTo(y.digest())
                .isEqualTo(Events.digest(x.payload(), List.of(p1.digest(), p2.digest())));
        assertThat(x.id()).isNotEqualTo(y.id());
        assertThat(Events.create(payload, List.of(p1)).digest()).isNotEqualTo(x.digest());
        assertThat(Events.create(payload, List.of()).digest()).isNotEqualTo(x.digest());
        assertThat(Events.create(new EventPayload.TaskFailed("a", "t", "f"), List.of(p1, p2)).digest())
                .isNotEqualTo(x.digest());
    }

    @Test
    void createFillsTheFields() {
        Instant now = Instant.now();
        Event e = Events.create(new EventPayload.TaskScheduled("worker", "t", "alice"), List.of(),
                now.with(ChronoField.NANO_OF_SECOND, 123_456_789).minusSeconds(1));
        assertThat(e.seq()).isZero();
        assertThat(e.id()).matches("[0-9a-f-]{36}");
        assertThat(e.kind()).isEqualTo("task.scheduled");
        assertThat(e.version()).isEqualTo(1);
        assertThat(e.timestamp().getNano() % 1000).isZero();
        assertThat(e.timestamp().getNano()).isEqualTo(123_456_000);
        assertThat(e.agent()).isEqualTo("worker");
        assertThat(e.subject()).isEqualTo("alice");
        assertThat(e.payload()).isEqualTo("{\"agent\":\"worker\",\"queued\":false,\"subject\":\"alice\",\"task\":\"t\"}");
        assertThat(e.withSeq(9).seq()).isEqualTo(9);
    }

    @Test
    void aTaskScheduledStoredBeforeTheQueueFlagReadsAsNotQueued() {
        Event old = new Event(7, "id-1", "task.scheduled", 1, Instant.now(), List.of(), "d", "worker", "alice",
                "{\"agent\":\"worker\",\"subject\":\"alice\",\"task\":\"t\"}");
        assertThat(Events.payload(old)).contains(new EventPayload.TaskScheduled("worker", "t", "alice", false));
    }

    // ---------------------------------------------------------------- rejections

    @Test
    void timestampMoreThanADayAwayIsRejected() {
        EventPayload p = new EventPayload.AgentResumed("a");
        Instant now = Instant.now();
        assertThatThrownBy(() -> Events.create(p, List.of(), now.plus(Duration.ofHours(24)).plusSeconds(60)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("more than 24 h from now");
        assertThatThrownBy(() -> Events.create(p, List.of(), now.minus(Duration.ofHours(24)).minusSeconds(60)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("more than 24 h from now");
        assertThatCode(() -> Events.create(p, List.of(), now.plus(Duration.ofHours(23)))).doesNotThrowAnyException();
        assertThatCode(() -> Events.create(p, List.of(), now.minus(Duration.ofHours(23)))).doesNotThrowAnyException();
    }

    @Test
    void oversizePayloadIsRejectedAndTheLimitAccepted() {
        String empty = Events.toJson(new EventPayload.SystemError("c", "m"));
        int overhead = empty.length() - 2; // {"component":"c","message":"m"} without c and m
        String fits = "m".repeat(Events.MAX_PAYLOAD_BYTES - overhead - 1);
        Event e = Events.create(new EventPayload.SystemError("c", fits), List.of());
        assertThat(e.payload().getBytes(StandardCharsets.UTF_8)).hasSize(Events.MAX_PAYLOAD_BYTES);
        assertThatThrownBy(() -> Events.create(new EventPayload.SystemError("c", fits + "m"), List.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("event payload is " + (Events.MAX_PAYLOAD_BYTES + 1) + " bytes; the limit is "
                        + Events.MAX_PAYLOAD_BYTES);
    }

    @Test
    void payloadSizeCountsUtf8Bytes() {
        String empty = Events.toJson(new EventPayload.SystemError("c", "m"));
        int overhead = empty.length() - 2;
        // 2-byte characters: half as many characters reach the limit
        String twoByte = "é".repeat((Events.MAX_PAYLOAD_BYTES - overhead - 1) / 2 + 1);
        assertThatThrownBy(() -> Events.create(new EventPayload.SystemError("c", twoByte), List.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("the limit is");
    }

    @ParameterizedTest
    @ValueSource(strings = {"nodots", "Task.scheduled", "task.", ".task", "task..x", "1task.x", "task.x y", "task/x",
            ""})
    void malformedKindIsRejected(String kind) {
        assertThatThrownBy(() -> Events.create(new Custom(kind, "v"), List.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("is not dotted lower-case words");
    }

    @Test
    void nullKindIsRejected() {
        assertThatThrownBy(() -> Events.create(new Custom(null, "v"), List.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("is not dotted lower-case words");
    }

    @ParameterizedTest
    @ValueSource(strings = {"a.b", "plugin.thing-happened", "my_bundle.x.y2"})
    void wellFormedCustomKindsAreAccepted(String kind) {
        Event e = Events.create(new Custom(kind, "v"), List.of());
        assertThat(e.kind()).isEqualTo(kind);
        assertThat(Events.payload(e)).isEmpty();
    }

    @Test
    void exitCodeRange() {
        assertThatThrownBy(() -> new EventPayload.AgentTerminated("a", "r", -129))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("exit_code must be in [-128, 127], not -129");
        assertThatThrownBy(() -> new EventPayload.AgentTerminated("a", "r", 128))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("exit_code must be in [-128, 127], not 128");
        assertThat(new EventPayload.AgentTerminated("a", "r", -128).exitCode()).isEqualTo(-128);
        assertThat(new EventPayload.AgentTerminated("a", "r", 127).exitCode()).isEqualTo(127);
        assertThat(new EventPayload.AgentTerminated("a", "r", 0).exitCode()).isZero();
    }

    @Test
    void negativeDurationsAndSizesAreRejected() {
        assertThatThrownBy(() -> new EventPayload.TaskCompleted("a", "t", "r", -1))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("durationMs must not be negative, not -1");
        assertThatThrownBy(() -> new EventPayload.ToolInvoked("tool", "1", "s", true, -5))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("durationMs must not be negative, not -5");
        assertThatThrownBy(() -> new EventPayload.TaskTimeout("a", "t", -1))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("timeoutMs must not be negative, not -1");
        assertThatThrownBy(() -> new EventPayload.ObservationEmitted("a", "", -1, "s"))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("size must not be negative, not -1");
        assertThat(new EventPayload.TaskCompleted("a", "t", null, 0).durationMs()).isZero();
    }

    @Test
    void requiredFieldsAreRequired() {
        assertThatThrownBy(() -> new EventPayload.TaskScheduled(" ", "t", null)).hasMessage("agent must not be blank");
        assertThatThrownBy(() -> new EventPayload.TaskScheduled("a", null, null)).hasMessage("task must not be blank");
        assertThatThrownBy(() -> new EventPayload.AgentSpawned(null, "c", null)).hasMessage("parent must not be blank");
        assertThatThrownBy(() -> new EventPayload.TaskFailed("a", "t", "")).hasMessage("error must not be blank");
        assertThatThrownBy(() -> new EventPayload.TokenIssued(null, "s", "d")).hasMessage("jti must not be blank");
        assertThatThrownBy(() -> new EventPayload.ObservationEmitted("a", null, 0, null))
                .isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> new EventPayload.SystemError("c", " ")).hasMessage("message must not be blank");
    }

    // ---------------------------------------------------------------- reading back

    @ParameterizedTest
    @MethodSource("builtIns")
    void everyBuiltInKindRoundTrips(EventPayload payload) {
        Event e = Events.create(payload, List.of());
        assertThat(e.kind()).isEqualTo(payload.kind());
        assertThat(e.version()).isEqualTo(payload.schemaVersion());
        assertThat(e.agent()).isEqualTo(payload.agent());
        assertThat(e.subject()).isEqualTo(payload.subject());
        assertThat(e.payload()).doesNotContain("\"kind\"").doesNotContain("schemaVersion");
        assertThat(Events.payload(e)).contains(payload);
        // a stored copy (new seq) reads the same
        assertThat(Events.payload(e.withSeq(5))).contains(payload);
    }

    @Test
    void builtInsCoverEveryNestedRecord() {
        Set<Class<?>> nested = Arrays.stream(EventPayload.class.getDeclaredClasses())
                .filter(c -> c.isRecord() && EventPayload.class.isAssignableFrom(c)).collect(Collectors.toSet());
        assertThat(builtIns().map(Object::getClass).collect(Collectors.toSet())).isEqualTo(nested);
        assertThat(nested).hasSize(17);
    }

    @Test
    void builtInKindsAreTheSeventeenKindsAndMatchEachRecord() {
        assertThat(Events.builtInKinds()).isEqualTo(KINDS);
        assertThat(builtIns().map(EventPayload::kind).collect(Collectors.toSet())).isEqualTo(KINDS);
        // the kind derived from the class name reads back the class whose kind() it is
        builtIns().forEach(p -> assertThat(Events.payload(Events.create(p, List.of())).orElseThrow())
                .isInstanceOf(p.getClass()));
    }

    @Test
    void payloadJsonIsCanonical() {
        assertThat(Events.toJson(new EventPayload.ToolInvoked("t", "1.0", "s", false, 3)))
                .isEqualTo("{\"durationMs\":3,\"outcome\":\"failure\",\"subject\":\"s\",\"success\":false,\"tool\":\"t\","
                        + "\"version\":\"1.0\"}");
        // an event stored before the outcome existed reads as success or failure
        Event old = new Event(1, "e1", "tool.invoked", 1, java.time.Instant.now(), List.of(), "d", null, "s",
                "{\"durationMs\":3,\"subject\":\"s\",\"success\":true,\"tool\":\"t\",\"version\":\"1.0\"}");
        assertThat(((EventPayload.ToolInvoked) Events.payload(old).orElseThrow()).outcome()).isEqualTo("success");
        assertThat(new EventPayload.ToolInvoked("t", "1.0", "s", false, 3, "cancelled").outcome()).isEqualTo("cancelled");
        assertThat(Events.toJson(new EventPayload.AgentTerminated("a", "r", -1)))
                .isEqualTo("{\"agent\":\"a\",\"exitCode\":-1,\"reason\":\"r\"}");
    }

    @Test
    void unreadableStoredPayloadIsReported() {
        Event good = Events.create(new EventPayload.AgentResumed("a"), List.of());
        Event broken = new Event(1, good.id(), good.kind(), 1, good.timestamp(), List.of(), good.digest(), "a", null,
                "{not json");
        assertThatThrownBy(() -> Events.payload(broken)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("has an unreadable payload");
        Event invalid = new Event(1, good.id(), "agent.terminated", 1, good.timestamp(), List.of(), good.digest(), "a",
                null, "{\"agent\":\"a\",\"reason\":\"r\",\"exitCode\":999}");
        assertThatThrownBy(() -> Events.payload(invalid)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void eventCopiesParentsAndRequiresItsFields() {
        List<String> parents = new java.util.ArrayList<>(List.of("p"));
        Event e = new Event(0, "id", "a.b", 1, Instant.now(), parents, "d", null, null, "{}");
        parents.add("q");
        assertThat(e.parents()).containsExactly("p");
        assertThat(new Event(0, "id", "a.b", 1, Instant.now(), null, "d", null, null, "{}").parents()).isEmpty();
        assertThatThrownBy(() -> new Event(0, null, "a.b", 1, Instant.now(), null, "d", null, null, "{}"))
                .isInstanceOf(NullPointerException.class);
    }

    @Test
    void queryLimits() {
        assertThatThrownBy(() -> EventQuery.after(0, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> EventQuery.after(0, EventQuery.MAX_LIMIT + 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> EventQuery.after(-1, 10)).isInstanceOf(IllegalArgumentException.class);
        assertThat(EventQuery.after(5, EventQuery.MAX_LIMIT).after()).isEqualTo(5);
    }

    @Test
    void idsAreTimeOrderedVersion7UuidsWithRandomBits() {
        Instant t = Instant.now();
        Set<String> ids = new java.util.HashSet<>();
        for (int i = 0; i < 1000; i++) {
            String id = Events.newId(t);
            java.util.UUID u = java.util.UUID.fromString(id);
            assertThat(u.version()).isEqualTo(7);
            assertThat(u.variant()).isEqualTo(2);
            assertThat(u.getMostSignificantBits() >>> 16).as("the time in ms").isEqualTo(t.toEpochMilli());
            ids.add(id);
        }
        assertThat(ids).as("the random bits tell ids of one millisecond apart").hasSize(1000);
        String earlier = Events.newId(t);
        String later = Events.newId(t.plusMillis(1));
        assertThat(later.compareTo(earlier)).as("a later id sorts after, as text").isPositive();
        Event e = Events.create(new EventPayload.AgentResumed("a"), List.of(), t);
        assertThat(java.util.UUID.fromString(e.id()).getMostSignificantBits() >>> 16).isEqualTo(t.toEpochMilli());
    }

    @Test
    void idsFromManyThreadsInOneMillisecondAreDistinct() throws Exception {
        Instant t = Instant.now();
        Set<String> ids = java.util.concurrent.ConcurrentHashMap.newKeySet();
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(8);
        try {
            List<java.util.concurrent.Future<?>> done = new java.util.ArrayList<>();
            for (int n = 0; n < 8; n++) {
                done.add(pool.submit(() -> {
                    for (int i = 0; i < 2000; i++) {
                        ids.add(Events.newId(t));
                    }
                }));
            }
            for (java.util.concurrent.Future<?> f : done) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(ids).as("each thread's generator is seeded on its own").hasSize(16000);
    }
}
