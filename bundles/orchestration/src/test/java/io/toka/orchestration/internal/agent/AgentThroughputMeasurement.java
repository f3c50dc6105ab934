package io.toka.orchestration.internal.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.toka.llm.ContentBlock;
import io.toka.llm.LlmRequest;
import io.toka.orchestration.AgentStatus;
import io.toka.orchestration.AgentStatus.State;
import io.toka.tool.Tool;
import io.toka.tool.ToolDescriptor;
import io.toka.tool.ToolInvocation;
import io.toka.tool.ToolResult;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * Measures, prints, asserts no times: 200 agents × 5 tool calls against a no-latency scripted gateway and a no-op
 * tool. Run with {@code -Dtoka.measure=true -Dtest=AgentThroughputMeasurement}.
 */
@EnabledIfSystemProperty(named = "toka.measure", matches = "true")
class AgentThroughputMeasurement {

    private static final int AGENTS = 200;
    private static final int CALLS = 5;

    @TempDir
    Path tempDir;

    private final AtomicLong modelNanos = new AtomicLong();
    private final AtomicLong toolNanos = new AtomicLong();

    @Test
    void measure() throws Exception {
        for (int concurrency : new int[] {10, 1, 10, 1}) {
            run(concurrency);
        }
        idleHeap();
    }

    private void run(int concurrency) throws Exception {
        try (AgentFixture f = new AgentFixture(tempDir.resolve("c" + concurrency + "-" + System.nanoTime()))) {
            f.register(noop());
            ScriptedGateway.Step callNoop = r -> ScriptedGateway.reply(List.of(
                    new ContentBlock.ToolUse("c" + r.messages().size(), "noop", Map.of())));
            ScriptedGateway.Step done = ScriptedGateway.verdict("success", "done");
            f.llm.fallback(r -> {
                long t0 = System.nanoTime();
                try {
                    return toolRounds(r) < CALLS ? callNoop.answer(r) : done.answer(r);
                } finally {
                    modelNanos.addAndGet(System.nanoTime() - t0);
                }
            });
            for (int i = 0; i < AGENTS; i++) {
                f.catalog.add(TestCatalog.agent("a" + i, List.of("filesystem-read"), "Call noop five times"));
            }
            AgentServiceImpl agents = f.start(concurrency);
            modelNanos.set(0);
            toolNanos.set(0);
            long t0 = System.nanoTime();
            for (int i = 0; i < AGENTS; i++) {
                agents.run("a" + i, f.orchestrator);
            }
            for (int i = 0; i < AGENTS; i++) {
                AgentStatus s = agents.await("a" + i, Duration.ofMinutes(2));
                assertThat(s.state()).isEqualTo(State.COMPLETED);
            }
            long wall = System.nanoTime() - t0;
            long turns = (long) AGENTS * (CALLS + 1);
            long busy = wall * concurrency; // upper bound of thread time when the pool is saturated
            System.out.printf("[measure] concurrency %d: %d agents x %d tool calls in %.1f ms wall (%.0f agents/s);"
                    + " model %.1f ms, tool %.1f ms total%n", concurrency, AGENTS, CALLS, wall / 1e6,
                    AGENTS / (wall / 1e9), modelNanos.get() / 1e6, toolNanos.get() / 1e6);
            if (concurrency == 1) {
                // one thread: wall time minus model and tool time is the orchestration's own time
                double perStep = (wall - modelNanos.get() - toolNanos.get()) / (double) turns / 1e3;
                System.out.printf("[measure] per step (model turn + its tool call) overhead: %.1f us, including "
                        + "token delegation per run and the registry's dispatch (%d steps); busy %.0f ms%n",
                        perStep, turns, busy / 1e6);
            }
        }
    }

    private void idleHeap() throws Exception {
        try (AgentFixture f = new AgentFixture(tempDir.resolve("idle"))) {
            CountDownLatch release = new CountDownLatch(1);
            CountDownLatch waiting = new CountDownLatch(AGENTS);
            f.llm.fallback(r -> {
                waiting.countDown();
                release.await();
                return ScriptedGateway.verdict("success", "done").answer(r);
            });
            for (int i = 0; i < AGENTS; i++) {
                f.catalog.add(TestCatalog.agent("i" + i, List.of("filesystem-read"), "Wait for the model"));
            }
            AgentServiceImpl agents = f.start(AGENTS);
            long before = usedAfterGc();
            for (int i = 0; i < AGENTS; i++) {
                agents.run("i" + i, f.orchestrator);
            }
            waiting.await();
            long after = usedAfterGc();
            System.out.printf("[measure] heap per idle agent (blocked in a model call): %.1f KiB (%d agents, "
                    + "%.1f MiB); each also holds a platform thread%n", (after - before) / 1024.0 / AGENTS, AGENTS,
                    (after - before) / 1024.0 / 1024.0);
            release.countDown();
            for (int i = 0; i < AGENTS; i++) {
                agents.await("i" + i, Duration.ofMinutes(1));
            }
        }
    }

    private static long usedAfterGc() {
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    private static int toolRounds(LlmRequest r) {
        return (r.messages().size() - 1) / 2;
    }

    private Tool noop() {
        ToolDescriptor d = ToolDescriptor.builder("noop").description("does nothing").build();
        return new Tool() {
            @Override
            public ToolDescriptor descriptor() {
                return d;
            }

            @Override
            public ToolResult invoke(ToolInvocation invocation) {
                long t0 = System.nanoTime();
                ToolResult r = ToolResult.success("ok");
                toolNanos.addAndGet(System.nanoTime() - t0);
                return r;
            }
        };
    }
}
