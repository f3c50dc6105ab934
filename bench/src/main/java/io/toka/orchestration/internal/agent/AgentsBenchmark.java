package io.toka.orchestration.internal.agent;

import io.toka.llm.ContentBlock;
import io.toka.llm.LlmRequest;
import io.toka.orchestration.AgentStatus;
import io.toka.tool.Tool;
import io.toka.tool.ToolDescriptor;
import io.toka.tool.ToolInvocation;
import io.toka.tool.ToolResult;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

/**
 * 200 agents × 5 tool calls through the real agent service (real tool registry in an embedded Felix, real tokens
 * delegated per run, real registry dispatch) against a scripted gateway with no latency and a no-op tool. Prints
 * the total wall time, the orchestration's own time per step (one model turn and its tool call) with the model and
 * tool time measured in the same run subtracted, and the heap per idle agent. Goals: ≤ 2 ms per step at p50, ≤ 1 MiB
 * per idle agent. In the orchestration bundle's package to reach its internal classes.
 * {@code java -cp bench/target/benchmarks.jar io.toka.orchestration.internal.agent.AgentsBenchmark [rounds]}
 */
public final class AgentsBenchmark {

    private static final int AGENTS = 200;
    private static final int CALLS = 5;

    private final AtomicLong modelNanos = new AtomicLong();
    private final AtomicLong toolNanos = new AtomicLong();

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 3;
        AgentsBenchmark b = new AgentsBenchmark();
        Path dir = Files.createTempDirectory("toka-bench-agents");
        double[] perStep = new double[rounds];
        for (int i = 0; i < rounds; i++) {
            b.run(dir.resolve("warm" + i), 10, false);
            perStep[i] = b.run(dir.resolve("seq" + i), 1, true);
        }
        java.util.Arrays.sort(perStep);
        double median = perStep[rounds / 2];
        double heap = b.idleHeap(dir.resolve("idle"));
        System.out.printf("%nAgents: %d agents x %d tool calls%n", AGENTS, CALLS);
        System.out.printf("  orchestration overhead per step, median of %d rounds: %.3f ms (goal <= 2 ms: %s)%n",
                rounds, median, median <= 2 ? "met" : "NOT met");
        System.out.printf("  heap per idle agent: %.1f KiB (goal <= 1024 KiB: %s)%n", heap, heap <= 1024 ? "met" : "NOT met");
    }

    /** @return the overhead per step in ms when measured on one thread, else -1 */
    private double run(Path dir, int concurrency, boolean report) throws Exception {
        try (AgentFixture f = new AgentFixture(dir)) {
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
                if (s.state() != AgentStatus.State.COMPLETED) {
                    throw new IllegalStateException("agent a" + i + " ended " + s.state() + ": " + s.message());
                }
            }
            long wall = System.nanoTime() - t0;
            long steps = (long) AGENTS * (CALLS + 1);
            if (!report) {
                return -1;
            }
            double perStep = (wall - modelNanos.get() - toolNanos.get()) / (double) steps / 1e6;
            System.out.printf("one thread: %d agents x %d tool calls in %.1f ms wall (%.0f agents/s); model %.1f ms,"
                    + " tool %.1f ms; orchestration %.3f ms per step (%d steps, token delegation included)%n", AGENTS,
                    CALLS, wall / 1e6, AGENTS / (wall / 1e9), modelNanos.get() / 1e6, toolNanos.get() / 1e6, perStep,
                    steps);
            return perStep;
        }
    }

    private double idleHeap(Path dir) throws Exception {
        try (AgentFixture f = new AgentFixture(dir)) {
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
            release.countDown();
            for (int i = 0; i < AGENTS; i++) {
                agents.await("i" + i, Duration.ofMinutes(1));
            }
            return (after - before) / 1024.0 / AGENTS;
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
