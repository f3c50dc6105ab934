package io.toka.bench.store;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.util.Statistics;

/**
 * Runs {@link SqliteAppendBenchmark} and prints: (a) the p50 of one durable append through the SQLite store (goal at
 * most 0.4 ms), (b) the throughput of eight concurrent appenders sharing group commits (goal at least 20,000 events/s),
 * (c) the p50 of a bare sqlite-jdbc insert with the same pragmas and schema, measured in the same run, and the ratio
 * of our speed to it (raw p50 / our p50; goal at least 0.8), and (d) sqlite-jdbc writing perfect groups of eight rows
 * per transaction on one thread: the most (b) could reach on this disk.
 *
 * <pre>
 * mvn -o -q -B install -pl bundles/kernel,bundles/store -DskipTests &amp;&amp; mvn -o -q -B package -pl bench
 * java -cp bench/target/benchmarks.jar io.toka.bench.store.StoreBenchmark [dir=java.io.tmpdir] [forks=1] [iterations=5] [seconds=2]
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
        int forks = args.length > 1 ? Integer.parseInt(args[1]) : 1;
        int iterations = args.length > 2 ? Integer.parseInt(args[2]) : 5;
        int seconds = args.length > 3 ? Integer.parseInt(args[3]) : 2;
        Files.createDirectories(dir);
        String fs = Files.getFileStore(dir).type();
        if ("tmpfs".equals(fs) || "ramfs".equals(fs)) {
            System.err.printf("%s is on %s, where fsync is free; give a directory on a disk as the first argument%n",
                    dir, fs);
            System.exit(2);
        }
        Options opts = new OptionsBuilder()
                .include(SqliteAppendBenchmark.class.getName().replace(".", "\\.") + "\\.")
                .forks(forks)
                .jvmArgsAppend("-Dtoka.bench.dir=" + dir)
                .warmupIterations(Math.max(2, iterations / 2))
                .warmupTime(TimeValue.seconds(seconds))
                .measurementIterations(iterations)
                .measurementTime(TimeValue.seconds(seconds))
                .build();
        Collection<RunResult> results = new Runner(opts).run();
        Statistics single = result(results, "singleAppend").getPrimaryResult().getStatistics();
        Statistics raw = result(results, "rawInsert").getPrimaryResult().getStatistics();
        RunResult concurrent = result(results, "concurrentAppend");
        RunResult ceiling = result(results, "rawGroupOf8");

        double ours = single.getPercentile(50);
        double base = raw.getPercentile(50);
        double ratio = base / ours;
        double eventsPerSecond = concurrent.getPrimaryResult().getScore();
        System.out.printf("%nSQLite event store, WAL + synchronous=FULL, on %s (%s)%n", dir, fs);
        System.out.printf("  (a) single durable append:     p50 %7.1f us, p99 %7.1f us   goal p50 <= %.0f us: %s%n",
                ours, single.getPercentile(99), SINGLE_P50_GOAL_US, ours <= SINGLE_P50_GOAL_US ? "met" : "NOT met");
        System.out.printf("  (c) raw sqlite-jdbc insert:    p50 %7.1f us, p99 %7.1f us   (same pragmas, one row per"
                + " transaction)%n", base, raw.getPercentile(99));
        System.out.printf("      ours/raw (raw p50 / our p50): %.2f                goal >= %.1f: %s%n", ratio,
                RATIO_GOAL, ratio >= RATIO_GOAL ? "met" : "NOT met");
        System.out.printf("  (b) 8 concurrent appenders:    %,9.0f events/s ± %,.0f      goal >= %,.0f: %s%n",
                eventsPerSecond, concurrent.getPrimaryResult().getScoreError(), CONCURRENT_GOAL,
                eventsPerSecond >= CONCURRENT_GOAL ? "met" : "NOT met");
        double rows = ceiling.getPrimaryResult().getScore();
        System.out.printf("  (d) raw, 8 rows per commit:    %,9.0f rows/s ± %,.0f        the disk's ceiling for (b);"
                + " (b)/(d) = %.2f%n", rows, ceiling.getPrimaryResult().getScoreError(), eventsPerSecond / rows);
    }

    private static RunResult result(Collection<RunResult> results, String method) {
        return results.stream()
                .filter(r -> r.getParams().getBenchmark().endsWith("." + method))
                .findFirst().orElseThrow();
    }
}
