package io.toka.orchestration.internal.session;

import static io.toka.orchestration.internal.agent.ScriptedGateway.text;
import static io.toka.orchestration.internal.agent.ScriptedGateway.verdict;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.toka.llm.LlmRequest;
import io.toka.orchestration.AgentConfig.Priority;
import io.toka.orchestration.AgentStatus;
import io.toka.orchestration.AgentStatus.State;
import io.toka.orchestration.SessionStatus;
import io.toka.orchestration.internal.agent.AgentFixture;
import io.toka.orchestration.internal.agent.ScriptedGateway;
import io.toka.orchestration.internal.agent.TestCatalog;
import java.lang.annotation.Annotation;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Sessions over the real agent service, tool registry and token authority, with a scripted gateway. */
class SessionServiceImplTest {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final List<String> CAPS = List.of("filesystem-read");

    @TempDir
    Path tempDir;

    AgentFixture f;
    SessionServiceImpl sessions;

    @BeforeEach
    void setUp() throws Exception {
        f = new AgentFixture(tempDir);
        f.start(10);
    }

    @AfterEach
    void tearDown() throws Exception {
        if (sessions != null) {
            sessions.deactivate();
        }
        f.close();
    }

    private SessionServiceImpl start(int maxConcurrent) {
        sessions = new SessionServiceImpl(f.agents, f.catalog, config(maxConcurrent));
        return sessions;
    }

    private void add(String name, Priority p, String... requires) {
        f.catalog.add(TestCatalog.agent(name, p, CAPS, "2h", 10, List.of(requires), "Work as " + name));
    }

    private List<String> firstRequestOrder() {
        return f.llm.requests.stream().map(LlmRequest::agent).distinct().toList();
    }

    @Test
    void aDependencyChainRunsInOrder() throws Exception {
        add("c", Priority.MEDIUM, "b");
        add("b", Priority.MEDIUM, "a");
        add("a", Priority.MEDIUM);
        f.llm.fallback(verdict("success", "done"));

        SessionStatus started = start(10).start(List.of("c", "b", "a"), f.orchestrator);
        SessionStatus s = sessions.await(started.id(), WAIT);

        assertThat(s.phase()).isEqualTo("COMPLETED");
        assertThat(s.progress()).isEqualTo(1.0);
        assertThat(s.error()).isNull();
        assertThat(s.agents()).containsExactly("a", "b", "c");
        assertThat(firstRequestOrder()).containsExactly("a", "b", "c");
        assertThat(s.summary()).extracting(AgentStatus::state).containsOnly(State.COMPLETED);
        assertThat(sessions.session(s.id())).isPresent();
    }

    @Test
    void aFailedDependencyFailsItsDependantsWithoutRunningThem() throws Exception {
        add("c", Priority.MEDIUM, "b");
        add("b", Priority.HIGH, "a");
        add("a", Priority.HIGH);
        add("free", Priority.LOW);
        f.llm.script("a", text("no verdict"), text("still no verdict after the reminder"));
        f.llm.fallback(verdict("success", "done"));

        SessionStatus s = sessions(start(10).start(List.of("a", "b", "c", "free"), f.orchestrator));

        assertThat(s.phase()).isEqualTo("FAILED");
        assertThat(firstRequestOrder()).containsExactly("a", "free");
        assertThat(s.summary()).filteredOn(a -> a.agent().equals("b")).singleElement()
                .satisfies(a -> assertThat(a.message()).isEqualTo("not run: required dependency 'a' did not complete"));
        assertThat(s.summary()).filteredOn(a -> a.agent().equals("c")).singleElement()
                .satisfies(a -> assertThat(a.message()).isEqualTo("not run: required dependency 'b' did not complete"));
        assertThat(s.summary()).filteredOn(a -> a.agent().equals("free")).singleElement()
                .extracting(AgentStatus::state).isEqualTo(State.COMPLETED);
        assertThat(s.error()).startsWith("3 of 4 agent(s) did not complete: a (FAILED: 1 of 1 task(s) failed");
    }

    private SessionStatus sessions(SessionStatus started) throws InterruptedException {
        return sessions.await(started.id(), WAIT);
    }

    @Test
    void aCycleIsRejectedWithTheAgentsNamed() {
        add("x", Priority.MEDIUM, "y");
        add("y", Priority.MEDIUM, "x");

        assertThatThrownBy(() -> start(10).start(List.of("x", "y"), f.orchestrator))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("Circular dependencies detected: [")
                .hasMessageContainingAll("x", "y");
        assertThatThrownBy(() -> sessions.start(List.of("ghost"), f.orchestrator))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("unknown agent 'ghost'");
        assertThat(f.llm.requests).isEmpty();
    }

    @Test
    void criticalAgentsRunOneAtATimeBeforeTheOthers() throws Exception {
        add("k1", Priority.CRITICAL);
        add("k2", Priority.CRITICAL);
        add("k3", Priority.CRITICAL);
        add("m", Priority.MEDIUM);
        AtomicInteger inFlight = new AtomicInteger();
        AtomicInteger most = new AtomicInteger();
        CountDownLatch release = new CountDownLatch(1);
        f.llm.fallback(r -> {
            most.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
            try {
                release.await();
                return verdict("success", "done").answer(r);
            } finally {
                inFlight.decrementAndGet();
            }
        });

        SessionStatus started = start(10).start(List.of("m", "k3", "k1", "k2"), f.orchestrator);
        await().atMost(WAIT).until(() -> inFlight.get() == 1);
        SessionStatus during = sessions.session(started.id()).orElseThrow();
        assertThat(during.phase()).isEqualTo("CRITICAL");
        assertThat(during.progress()).isEqualTo(0.0);
        release.countDown();
        SessionStatus s = sessions(started);

        assertThat(s.phase()).isEqualTo("COMPLETED");
        assertThat(most.get()).isEqualTo(1);
        assertThat(firstRequestOrder()).containsExactly("k1", "k2", "k3", "m");
    }

    @Test
    void aParallelWaveRunsAtMostMaxConcurrentAgents() throws Exception {
        for (int i = 1; i <= 5; i++) {
            add("p" + i, i % 2 == 0 ? Priority.LOW : Priority.MEDIUM);
        }
        AtomicInteger inFlight = new AtomicInteger();
        AtomicInteger most = new AtomicInteger();
        CountDownLatch release = new CountDownLatch(1);
        f.llm.fallback(r -> {
            most.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
            try {
                release.await();
                return verdict("success", "done").answer(r);
            } finally {
                inFlight.decrementAndGet();
            }
        });

        SessionStatus started = start(2).start(List.of("p1", "p2", "p3", "p4", "p5"), f.orchestrator);
        await().atMost(WAIT).until(() -> inFlight.get() == 2);
        await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2))
                .until(() -> inFlight.get() == 2 && f.llm.requests.size() == 2);
        assertThat(sessions.session(started.id()).orElseThrow().phase()).isEqualTo("PARALLEL");
        release.countDown();
        SessionStatus s = sessions(started);

        assertThat(s.phase()).isEqualTo("COMPLETED");
        assertThat(most.get()).isEqualTo(2);
        assertThat(s.summary()).hasSize(5).extracting(AgentStatus::state).containsOnly(State.COMPLETED);
    }

    static SessionServiceImpl.Config config(int maxConcurrent) {
        return new SessionServiceImpl.Config() {
            @Override
            public Class<? extends Annotation> annotationType() {
                return SessionServiceImpl.Config.class;
            }

            @Override
            public int maxConcurrentAgents() {
                return maxConcurrent;
            }

            @Override
            public int keepSessions() {
                return 100;
            }
        };
    }
}
