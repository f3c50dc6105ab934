package io.toka.bench.store;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.util.Statistics;

/**
 * Runs {@link SqliteAppendBenchmark} and prints:
 * <ul>
 * <li>(a) the p50 of one durable append through the SQLite store (goal at most 0.4 ms);</li>
 * <li>(b) the throughput of eight concurrent appenders sharing group commits (goal at least 20,000 events/s);</li>
 * <li>(c) the p50 of a bare sqlite-jdbc insert with the same pragmas and schema, and the ratio of our speed to it
 * (raw p50 / our p50; goal at least 0.8);</li>
 * <li>(d) sqlite-jdbc writing perfect groups of eight rows per transaction on one thread: the most (b) can reach on
 * this disk.</li>
 * </ul>
 * The disk's fsync time drifts with whatever else uses it, so (a) and (c) are measured in alternating rounds
 * (ours, raw, raw, ours, ...) and the ratio is the median of the rounds' ratios.
 *
 * <pre>
 * mvn -o -q -B install -pl bundles/kernel,bundles/store -DskipTests &amp;&amp; mvn -o -q -B package -pl bench
 * java -cp bench/target/benchmarks.jar io.toka.bench.store.StoreBenchmark [dir=java.io.tmpdir] [rounds=3] [iterations=3] [seconds=2]
 * </pre>
 *
 * The directory must be on a real disk (not tmpfs), or fsync costs nothing and the figures mean nothing.
 */
public final class StoreBenchmark {

    static final double SINGLE_P50_GOAL_US = 400;
    static final double CONCURRENT_GOAL = 20_000;
    static final double RATIO_GOAL = 0.8;

    private StoreBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args.length > 0 ? args[0] : System.getProperty("java.io.tmpdir")).toAbsolutePath();
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        int iterations = args.length > 2 ? Integer.parseInt(args[2]) : 3;
        int seconds = args.length > 3 ? Integer.parseInt(args[3]) : 2;
        Files.createDirectories(dir);
        String fs = Files.getFileStore(dir).type();
        if ("tmpfs".equals(fs) || "ramfs".equals(fs)) {
            System.err.printf("%s is on %s, where fsync is free; give a directory on a disk as the first argument%n",
                    dir, fs);
            System.exit(2);
        }

        List<double[]> pairs = new ArrayList<>(); // {ours p50, ours p99, raw p50, raw p99}
        for (int r = 0; r < rounds; r++) {
            Statistics ours;
            Statistics raw;
            if (r % 2 == 0) {
                ours = run(dir, "singleAppend", iterations, seconds).getPrimaryResult().getStatistics();
                raw = run(dir, "rawInsert", iterations, seconds).getPrimaryResult().getStatistics();
            } else {
                raw = run(dir, "rawInsert", iterations, seconds).getPrimaryResult().getStatistics();
                ours = run(dir, "singleAppend", iterations, seconds).getPrimaryResult().getStatistics();
            }
            pairs.add(new double[] {ours.getPercentile(50), ours.getPercentile(99), raw.getPercentile(50),
                raw.getPercentile(99)});
        }
        RunResult concurrent = run(dir, "concurrentAppend", iterations, seconds);
        RunResult ceiling = run(dir, "rawGroupOf8", iterations, seconds);

        System.out.printf("%nSQLite event store, WAL + synchronous=FULL, on %s (%s)%n", dir, fs);
        List<Double> ratios = new ArrayList<>();
        List<Double> oursP50 = new ArrayList<>();
        for (int r = 0; r < pairs.size(); r++) {
            double[] p = pairs.get(r);
            ratios.add(p[2] / p[0]);
            oursP50.add(p[0]);
            System.out.printf("  round %d: (a) ours p50 %6.1f us, p99 %7.1f us | (c) raw p50 %6.1f us, p99 %7.1f us"
                    + " | raw/ours %.2f%n", r + 1, p[0], p[1], p[2], p[3], p[2] / p[0]);
        }
        double single = median(oursP50);
        double ratio = median(ratios);
        double eventsPerSecond = concurrent.getPrimaryResult().getScore();
        double rows = ceiling.getPrimaryResult().getScore();
        System.out.printf("  (a) single durable append, p50 (median of rounds): %.1f us        goal <= %.0f us: %s%n",
                single, SINGLE_P50_GOAL_US, single <= SINGLE_P50_GOAL_US ? "met" : "NOT met");
        System.out.printf("  (c) ours/raw speed (raw p50 / our p50, median):    %.2f           goal >= %.1f: %s%n",
                ratio, RATIO_GOAL, ratio >= RATIO_GOAL ? "met" : "NOT met");
        System.out.printf("  (b) 8 concurrent appenders:  %,9.0f events/s ± %,.0f            goal >= %,.0f: %s%n",
                eventsPerSecond, concurrent.getPrimaryResult().getScoreError(), CONCURRENT_GOAL,
                eventsPerSecond >= CONCURRENT_GOAL ? "met" : "NOT met");
        System.out.printf("  (d) raw, 8 rows per commit:  %,9.0f rows/s ± %,.0f              the disk's ceiling for (b);"
                + " (b)/(d) = %.2f%n", rows, ceiling.getPrimaryResult().getScoreError(), eventsPerSecond / rows);
    }

    private static RunResult run(Path dir, String method, int iterations, int seconds) throws RunnerException {
        Options opts = new OptionsBuilder()
                .include(SqliteAppendBenchmark.class.getName().replace(".", "\\.") + "\\." + method + "$")
                .forks(1)
                .jvmArgsAppend("-Dtoka.bench.dir=" + dir)
                .warmupIterations(Math.max(1, iterations / 2))
                .warmupTime(TimeValue.seconds(seconds))
                .measurementIterations(iterations)
                .measurementTime(TimeValue.seconds(seconds))
                .build();
        Collection<RunResult> results = new Runner(opts).run();
        return results.iterator().next();
    }

    private static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        sorted.sort(null);
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }
}
