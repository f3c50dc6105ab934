package io.toka.bench.kernel;

import java.util.Collection;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Runs {@link KernelSubmitBenchmark} and prints the throughput of {@code Kernel.submit} on one thread. Goal: at
 * least 100,000 ops/s.
 *
 * <pre>
 * mvn -o -q -B install -pl bundles/kernel,bundles/security,bundles/store -DskipTests &amp;&amp; mvn -o -q -B package -pl bench
 * java -cp bench/target/benchmarks.jar io.toka.bench.kernel.KernelBenchmark [forks=1] [iterations=5] [seconds=2]
 * </pre>
 */
public final class KernelBenchmark {

    /** ops/s the kernel should sustain on one thread. */
    static final double GOAL = 100_000;

    private KernelBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int forks = args.length > 0 ? Integer.parseInt(args[0]) : 1;
        int iterations = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        int seconds = args.length > 2 ? Integer.parseInt(args[2]) : 2;
        Options opts = new OptionsBuilder()
                .include(KernelSubmitBenchmark.class.getName().replace(".", "\\.") + "\\.")
                .forks(forks)
                .threads(1)
                .warmupIterations(Math.max(2, iterations / 2))
                .warmupTime(TimeValue.seconds(seconds))
                .measurementIterations(iterations)
                .measurementTime(TimeValue.seconds(seconds))
                .build();
        Collection<RunResult> results = new Runner(opts).run();
        System.out.printf("%nKernel.submit on one thread (real token verification, in-memory store)%n");
        boolean met = true;
        for (RunResult r : results) {
            String name = r.getParams().getBenchmark();
            Result<?> score = r.getPrimaryResult();
            System.out.printf("  %-18s %,12.0f ± %,.0f %s%n", name.substring(name.lastIndexOf('.') + 1) + ":",
                    score.getScore(), score.getScoreError(), score.getScoreUnit());
            met &= score.getScore() >= GOAL;
        }
        System.out.printf("  goal >= %,.0f ops/s: %s%n", GOAL, met ? "met" : "NOT met");
    }
}
