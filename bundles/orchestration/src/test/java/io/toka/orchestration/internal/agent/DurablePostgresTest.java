package io.toka.orchestration.internal.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import io.toka.event.Event;
import io.toka.event.EventPayload;
import io.toka.kernel.Message;
import io.toka.kernel.Operation;
import io.toka.orchestration.AgentStatus;
import io.toka.orchestration.AgentStatus.State;
import io.toka.store.internal.PostgresEventStore;
import io.toka.tool.Tool;
import io.toka.tool.ToolDescriptor;
import io.toka.tool.ToolInvocation;
import io.toka.tool.ToolResult;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * Durable runs over the PostgreSQL event store: a run crashed mid-call resumes and completes with no finished call
 * repeated, and a queued task survives the restart. The database is given by {@code TOKA_PG_URL},
 * {@code TOKA_PG_USER} and {@code TOKA_PG_PASSWORD} (.ci/run sets them); each test gets its own schema, dropped
 * afterwards, and every restart opens a new connection to it. Without a database the tests are skipped with the
 * reason, unless {@code TOKA_PG_REQUIRED=1}: then they fail.
 */
class DurablePostgresTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static String url;
    private static String unavailable;

    @TempDir
    Path dir;

    private String schema;
    private DurableFixture d;
    private final Map<String, AtomicInteger> executions = new ConcurrentHashMap<>();

    @BeforeAll
    static void database() {
        url = System.getenv("TOKA_PG_URL");
        unavailable = null;
        if (url == null || url.isBlank()) {
            unavailable("TOKA_PG_URL is not set");
            return;
        }
        try (Connection c = dataSource(null).getConnection()) {
            c.isValid(5);
        } catch (SQLException e) {
            unavailable("cannot connect to " + url + ": " + e.getMessage());
        }
    }

    private static void unavailable(String reason) {
        if ("1".equals(System.getenv("TOKA_PG_REQUIRED"))) {
            fail("PostgreSQL is required (TOKA_PG_REQUIRED=1) but not available: " + reason);
        }
        unavailable = reason;
    }

    private static DataSource dataSource(String currentSchema) {
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setUrl(url);
        String user = System.getenv("TOKA_PG_USER");
        String password = System.getenv("TOKA_PG_PASSWORD");
        if (user != null) {
            ds.setUser(user);
        }
        if (password != null) {
            ds.setPassword(password);
        }
        ds.setConnectTimeout(5);
        if (currentSchema != null) {
            ds.setCurrentSchema(currentSchema);
        }
        return ds;
    }

    @BeforeEach
    void open() throws Exception {
        if (unavailable != null) {
            Assumptions.abort("PostgreSQL not available: " + unavailable);
        }
        schema = "toka_agents_" + UUID.randomUUID().toString().replace("-", "");
        try (Connection c = dataSource(null).getConnection(); Statement st = c.createStatement()) {
            st.execute("CREATE SCHEMA " + schema);
        }
        DataSource ds = dataSource(schema);
        d = new DurableFixture(dir, PostgresEventStore.open(ds, url), () -> PostgresEventStore.open(ds, url));
        d.f.register(counting("idem-tool", true));
        d.f.register(counting("once-tool", false));
        d.f.catalog.add(TestCatalog.agent(ResumeEveryStepTest.AGENT, List.of("filesystem-read"), "First",
                "Second"));
        d.f.llm.fallback(ResumeEveryStepTest.model());
        d.start(4);
    }

    @AfterEach
    void drop() throws Exception {
        if (d != null) {
            d.close();
        }
        if (schema != null) {
            try (Connection c = dataSource(null).getConnection(); Statement st = c.createStatement()) {
                st.execute("DROP SCHEMA " + schema + " CASCADE");
            }
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
                executions.computeIfAbsent(String.valueOf(invocation.arguments().get("n")), k -> new AtomicInteger())
                        .incrementAndGet();
                return ToolResult.success(name + " ok");
            }
        };
    }

    @Test
    void aRunCrashedMidCallResumesAndCompletesWithNoFinishedCallRepeated() throws Exception {
        CountDownLatch crashed = new CountDownLatch(1);
        d.agents.setJournalHooks(new RunJournal.Hooks() {
            @Override
            public void before(EventPayload p, RunJournal j) {
                if (crashed.getCount() > 0 && p instanceof RunEvents.ToolReturned r && r.tool().equals("once-tool")) {
                    d.freeze();
                    crashed.countDown();
                    throw new DurableFixture.Crash("before once-tool's result is stored");
                }
            }

            @Override
            public void after(EventPayload p, RunJournal j) {
            }
        });
        AgentStatus first = d.agents.run(ResumeEveryStepTest.AGENT, d.f.orchestrator);
        assertThat(crashed.await(30, TimeUnit.SECONDS)).isTrue();
        d.crash();

        d.restart();
        AgentStatus s = d.agents.await(ResumeEveryStepTest.AGENT, WAIT);

        assertThat(d.backing.type()).isEqualTo("postgresql");
        assertThat(s.state()).isEqualTo(State.COMPLETED);
        assertThat(s.runId()).isEqualTo(first.runId());
        assertThat(s.resumedAt()).isNotNull();
        assertThat(executions.get("t1-0").get()).isEqualTo(1);
        assertThat(executions.get("t1-1").get()).isEqualTo(1);
    }

    @Test
    void aQueuedTaskSurvivesARestart() throws Exception {
        d.f.catalog.add(TestCatalog.agent("pg-worker", List.of("filesystem-read"), "Long work"));
        CountDownLatch inLong = new CountDownLatch(1);
        d.f.llm.script("pg-worker", r -> {
            inLong.countDown();
            new CountDownLatch(1).await();
            throw new AssertionError("not interrupted");
        });
        d.agents.run("pg-worker", d.f.orchestrator);
        assertThat(inLong.await(10, TimeUnit.SECONDS)).isTrue();
        String raw = d.f.tokens.issue("bob", "agent:task:schedule", "filesystem:read");
        Event queued = d.kernel.submit(new Message("bob", raw, new Operation.ScheduleAgentTask("pg-worker",
                "After the restart")));
        d.crash();

        d.f.llm.script("pg-worker", ScriptedGateway.verdict("success", "long"),
                ScriptedGateway.verdict("success", "queued"));
        d.restart();
        assertThat(d.kernel.queued("pg-worker")).singleElement().satisfies(t -> assertThat(t.id())
                .isEqualTo(queued.id()));
        AgentStatus s = d.agents.await("pg-worker", WAIT);
        assertThat(s.state()).isEqualTo(State.COMPLETED);
        assertThat(s.tasks()).extracting(AgentStatus.TaskOutcome::task).containsExactly("Long work",
                "After the restart");
    }
}
