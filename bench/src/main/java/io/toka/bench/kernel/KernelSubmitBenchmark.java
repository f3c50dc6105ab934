package io.toka.bench.kernel;

import io.toka.event.Event;
import io.toka.kernel.KernelException;
import io.toka.kernel.Message;
import io.toka.kernel.Operation;
import io.toka.kernel.internal.KernelImpl;
import io.toka.security.internal.BenchTokenAuthority;
import io.toka.store.internal.MemoryEventStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;

/**
 * Throughput of {@code Kernel.submit} on one thread, in operations per second: every check (well-formed message,
 * real token verification by the real {@code TokenAuthority}, origin, permission, queue), one event created
 * (canonical JSON, SHA-256 digest), appended to the real in-memory store ({@code MemoryEventStore}) and published.
 * Goal: at least 100,000 ops/s.
 * <ul>
 *   <li>{@link #emitObservation()}: a 64-byte {@code EmitObservation};</li>
 *   <li>{@link #scheduleAndTake()}: a {@code ScheduleAgentTask}, then {@code takeTask} so the queue never fills (the take waits for its {@code task.taken} to be committed by the background writer, so this measures a durable take).</li>
 * </ul>
 * The store is emptied after each iteration (and every million events) so memory stays bounded. Run it with
 * {@link KernelBenchmark}, or {@code java -cp bench/target/benchmarks.jar org.openjdk.jmh.Main KernelSubmit}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Threads(1)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx2g"})
public class KernelSubmitBenchmark {

    static final String AGENT = "bench-agent";
    private static final int PRUNE_EVERY = 1 << 20;

    private Path dir;
    private MemoryEventStore store;
    private KernelImpl kernel;
    private Message observation;
    private Message task;
    private int sincePrune;

    @Setup(Level.Trial)
    public void start() throws Exception {
        dir = Files.createTempDirectory("toka-bench-kernel");
        BenchTokenAuthority tokens = new BenchTokenAuthority(dir);
        String token = tokens.issue(AGENT, Duration.ofHours(12), "agent:task:schedule", "agent:observe");
        store = new MemoryEventStore();
        kernel = new KernelImpl(tokens.service(), store);
        // the kernel admits tasks only through an agent runtime: one that knows every agent and does nothing more
        kernel.setAgentRuntime((op, caller) -> event -> {
        });
        byte[] data = new byte[64];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) i;
        }
        observation = new Message(AGENT, token, new Operation.EmitObservation(AGENT, data));
        task = new Message(AGENT, token, new Operation.ScheduleAgentTask(AGENT, "summarise the latest observations"));
        // fail fast if the setup is wrong rather than measure exceptions
        emitObservation();
        scheduleAndTake();
    }

    @TearDown(Level.Iteration)
    public void prune() {
        store.prune(null, 1);
        sincePrune = 0;
    }

    @TearDown(Level.Trial)
    public void stop() throws IOException {
        store.close();
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    private void bound() {
        if (++sincePrune >= PRUNE_EVERY) {
            prune();
        }
    }

    /** One observation, checked, recorded and published. */
    @Benchmark
    public Event emitObservation() throws KernelException {
        bound();
        return kernel.submit(observation);
    }

    /** One task, checked, recorded, published and queued; then taken off the queue again. */
    @Benchmark
    public Optional<String> scheduleAndTake() throws KernelException {
        bound();
        kernel.submit(task);
        return kernel.takeTask(AGENT);
    }
}
