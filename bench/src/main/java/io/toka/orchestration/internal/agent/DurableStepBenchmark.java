package io.toka.orchestration.internal.agent;

import io.toka.llm.ContentBlock;
import io.toka.llm.LlmRequest;
import io.toka.orchestration.AgentStatus;
import io.toka.tool.Tool;
import io.toka.tool.ToolDescriptor;
import io.toka.tool.ToolInvocation;
import io.toka.tool.ToolResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The cost of recording a run's steps (durable runs, issue 15): agents × 5 tool calls through the real agent
 * service, the real kernel (group-commit writer) and the real SQLite event store (WAL, synchronous=FULL, as Toka
 * ships it), against a scripted gateway with no latency and a no-op tool. The same workload runs twice in the same
 * JVM and on the same disk: with durability off (the baseline: the runtime still posts its progress events) and on
 * (every model request, model turn, tool call and tool result recorded before it is acted on; a tool call waits for
 * its commit, as do a run's start and end). One agent at a time, so no commit is shared with another agent's: the
 * worst case for group commit. A bare commit of one event on the same disk is measured in the same run: the floor
 * under any wait.
 *
 * <p>Per step (one model turn and its tool call) it prints, at p50 and p99 over the agents: the orchestration's own
 * time with the model's and the tool's time subtracted, for both, and the difference: the recording cost. Goal:
 * ≤ 2 ms per step at p50 with durability on. In the orchestration bundle's package to reach its internal classes.
 * {@code java -cp bench/target/benchmarks.jar io.toka.orchestration.internal.agent.DurableStepBenchmark [agents] [rounds]}
 */
public final class DurableStepBenchmark {

    private static final int CALLS = 5;

    private final AtomicLong modelNanos = new AtomicLong();
    private final AtomicLong toolNanos = new AtomicLong();

    public static void main(String[] args) throws Exception {
        int agents = args.length > 0 ? Integer.parseInt(args[0]) : 200;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        DurableStepBenchmark b = new DurableStepBenchmark();
        Path dir = Files.createTempDirectory("toka-bench-durable");
        // warm-up: both paths, discarded
        b.run(dir.resolve("warm-off"), false, 50);
        b.run(dir.resolve("warm-on"), true, 50);
        double[][] off = new double[rounds][];
        double[][] on = new double[rounds][];
        long[] events = new long[rounds];
        for (int i = 0; i < rounds; i++) {
            // alternate so that drift in the shared machine's load hits both alike
            off[i] = b.run(dir.resolve("off" + i), false, agents);
            Result r = b.runDurable(dir.resolve("on" + i), agents);
            on[i] = r.perStep;
            events[i] = r.journalEvents;
        }
        double commit = b.bareCommit(dir.resolve("commit"));
        double[] offAll = flat(off);
        double[] onAll = flat(on);
        double offP50 = pct(offAll, 50);
        double onP50 = pct(onAll, 50);
        System.out.printf("%nDurable steps: %d agents x %d tool calls, one agent at a time, %d rounds, SQLite"
                + " (WAL, synchronous=FULL)%n", agents, CALLS, rounds);
        System.out.printf("  orchestration per step, durability off (baseline): p50 %.3f ms, p99 %.3f ms%n", offP50,
                pct(offAll, 99));
        System.out.printf("  orchestration per step, durability on:             p50 %.3f ms, p99 %.3f ms%n", onP50,
                pct(onAll, 99));
        System.out.printf("  recording cost per step (on - off):                p50 %.3f ms%n", onP50 - offP50);
        System.out.printf("  one bare commit of one event through the kernel's writer to this SQLite file (the disk's"
                + " fsync; same run): p50 %.3f ms%n", commit);
        System.out.printf("  journal events per run: %d (%.1f per step)%n", events[0] / agents,
                events[0] / (double) agents / (CALLS + 1));
        System.out.printf("  goal: <= 2 ms per step at p50 with durability on: %s%n", onP50 <= 2 ? "met" : "NOT met");
    }

    private record Result(double[] perStep, long journalEvents) {
    }

    /** The p50 of 500 single-event commits (postAndAwait) on a fresh SQLite store: what the disk charges per wait. */
    private double bareCommit(Path dir) throws Exception {
        Files.createDirectories(dir);
        try (DurableFixture d = DurableFixture.sqlite(dir)) {
            d.start(1);
            double[] ms = new double[500];
            for (int i = 0; i < ms.length; i++) {
                long t0 = System.nanoTime();
                d.kernel.postAndAwait(new io.toka.event.EventPayload.AgentResumed("bench"), Duration.ofSeconds(30));
                ms[i] = (System.nanoTime() - t0) / 1e6;
            }
            Arrays.sort(ms);
            return pct(ms, 50);
        }
    }

    private Result runDurable(Path dir, int agents) throws Exception {
        return runWith(dir, true, agents);
    }

    private double[] run(Path dir, boolean durable, int agents) throws Exception {
        return runWith(dir, durable, agents).perStep;
    }

    /** @return the orchestration's time per step of each agent, in ms */
    private Result runWith(Path dir, boolean durable, int agents) throws Exception {
        Files.createDirectories(dir);
        try (DurableFixture d = DurableFixture.sqlite(dir)) {
            d.f.register(noop());
            ScriptedGateway.Step done = ScriptedGateway.verdict("success", "done");
            d.f.llm.fallback(r -> {
                long t0 = System.nanoTime();
                try {
                    return toolRounds(r) < CALLS ? ScriptedGateway.reply(List.of(
                            new ContentBlock.ToolUse("c" + r.messages().size(), "noop", Map.of()))) : done.answer(r);
                } finally {
                    modelNanos.addAndGet(System.nanoTime() - t0);
                }
            });
            for (int i = 0; i < agents; i++) {
                d.f.catalog.add(TestCatalog.agent("a" + i, List.of("filesystem-read"), "Call noop five times"));
            }
            d.durable(durable);
            AgentServiceImpl service = d.start(1);
            double[] perStep = new double[agents];
            for (int i = 0; i < agents; i++) {
                modelNanos.set(0);
                toolNanos.set(0);
                long t0 = System.nanoTime();
                service.run("a" + i, d.f.orchestrator);
                AgentStatus s = service.await("a" + i, Duration.ofMinutes(2));
                long wall = System.nanoTime() - t0;
                if (s.state() != AgentStatus.State.COMPLETED) {
                    throw new IllegalStateException("agent a" + i + " ended " + s.state() + ": " + s.message());
                }
                perStep[i] = (wall - modelNanos.get() - toolNanos.get()) / (double) (CALLS + 1) / 1e6;
            }
            long journal = durable ? d.events().stream().filter(e -> e.kind().startsWith("agent.run.")).count() : 0;
            return new Result(perStep, journal);
        }
    }

    private static int toolRounds(LlmRequest r) {
        return (r.messages().size() - 1) / 2;
    }

    private static double[] flat(double[][] rounds) {
        return Arrays.stream(rounds).flatMapToDouble(Arrays::stream).sorted().toArray();
    }

    private static double pct(double[] sorted, int p) {
        int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
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
