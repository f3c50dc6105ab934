package io.toka.orchestration.internal.session;

import static io.toka.orchestration.internal.agent.ScriptedGateway.verdict;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.toka.orchestration.AgentConfig.Priority;
import io.toka.orchestration.AgentStatus;
import io.toka.orchestration.AgentStatus.State;
import io.toka.orchestration.SessionStatus;
import io.toka.orchestration.internal.agent.DurableFixture;
import io.toka.orchestration.internal.agent.TestCatalog;
import io.toka.security.SecurityContext;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A durable session through a crash: its phase, waves and finished agents come from the log. */
class SessionResumeTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final List<String> CAPS = List.of("filesystem-read");

    @TempDir
    Path dir;

    DurableFixture d;
    SessionServiceImpl sessions;

    @BeforeEach
    void setUp() throws Exception {
        d = new DurableFixture(dir);
        d.start(8);
    }

    @AfterEach
    void tearDown() throws Exception {
        if (sessions != null) {
            sessions.deactivate();
        }
        d.close();
    }

    private SessionServiceImpl sessions(boolean recover) {
        sessions = new SessionServiceImpl(d.agents, d.f.catalog, d.f.authority, d.kernel, d.backing, d.agents,
                SessionServiceImplTest.config(4), recover);
        return sessions;
    }

    private void crash() throws InterruptedException {
        d.freeze();
        sessions.deactivate();
        sessions = null;
        d.crash();
    }

    private void add(String name, Priority p, String... requires) {
        d.f.catalog.add(TestCatalog.agent(name, p, CAPS, "2h", 10, List.of(requires), "Work as " + name));
    }

    @Test
    void aSessionResumesWithTheAgentsThatFinishedTakenFromTheLog() throws Exception {
        add("first", Priority.HIGH);
        add("second", Priority.MEDIUM, "first");
        add("third", Priority.MEDIUM, "second");
        d.f.llm.script("first", verdict("success", "first done"));
        CountDownLatch inSecond = new CountDownLatch(1);
        d.f.llm.script("second", r -> {
            inSecond.countDown();
            new CountDownLatch(1).await();
            throw new AssertionError("not interrupted");
        });
        SessionStatus started = sessions(false).start(List.of("first", "second", "third"), d.f.orchestrator);
        assertThat(inSecond.await(10, TimeUnit.SECONDS)).isTrue();
        String secondRun = d.agents.status("second").orElseThrow().runId();
        d.flush();
        crash();

        d.f.llm.script("second", verdict("success", "second done"));
        d.f.llm.fallback(verdict("success", "done"));
        d.restart();
        sessions(true);
        await().atMost(WAIT).until(() -> sessions.session(started.id()).isPresent());
        SessionStatus s = sessions.await(started.id(), WAIT);

        assertThat(s.phase()).isEqualTo("COMPLETED");
        assertThat(s.resumedAt()).isNotNull();
        assertThat(s.agents()).containsExactly("first", "second", "third");
        // first finished before the crash: not run again; second's run resumed (same run); third ran after
        assertThat(d.f.llm.requestsOf("first")).hasSize(1);
        assertThat(d.f.llm.requestsOf("third")).hasSize(1);
        AgentStatus second = s.summary().stream().filter(a -> a.agent().equals("second")).findFirst().orElseThrow();
        assertThat(second.state()).isEqualTo(State.COMPLETED);
        assertThat(second.runId()).as("the same run, resumed, not a new one").isEqualTo(secondRun);
        assertThat(d.agents.status("second").orElseThrow().resumedAt()).isNotNull();
        assertThat(d.f.llm.requestsOf("second")).as("asked before the crash, and again after").hasSize(2);
    }

    @Test
    void aSessionWhoseCallerWasRevokedWhileTokaWasDownEndsFailedWithTheReason() throws Exception {
        add("solo", Priority.MEDIUM);
        add("after", Priority.MEDIUM, "solo");
        CountDownLatch inSolo = new CountDownLatch(1);
        d.f.llm.script("solo", r -> {
            inSolo.countDown();
            new CountDownLatch(1).await();
            throw new AssertionError("not interrupted");
        });
        SecurityContext alice = d.f.caller("alice", "*");
        SessionStatus started = sessions(false).start(List.of("solo", "after"), alice);
        assertThat(inSolo.await(10, TimeUnit.SECONDS)).isTrue();
        crash();
        d.f.tokens.revoke(alice.token().orElseThrow().jti());

        d.restart();
        sessions(true);
        await().atMost(WAIT).until(() -> sessions.session(started.id()).map(SessionStatus::finishedAt).isPresent()
                && sessions.session(started.id()).get().finishedAt() != null);
        SessionStatus s = sessions.session(started.id()).orElseThrow();

        assertThat(s.phase()).isEqualTo("FAILED");
        assertThat(s.error()).contains("the session's token is no longer valid", "revoked");
        assertThat(d.f.llm.requestsOf("after")).isEmpty();
        // the agent's own run (its token delegated from the session's) cannot resume either
        assertThat(d.agents.status("solo").orElseThrow().message()).contains("revoked");
    }
}
