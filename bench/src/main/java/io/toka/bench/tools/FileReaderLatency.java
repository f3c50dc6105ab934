package io.toka.bench.tools;

import io.toka.bench.Jmh;
import java.util.Collection;
import org.openjdk.jmh.results.RunResult;

/**
 * Runs {@link FileReaderBenchmark} and prints p50 latencies of a 4 KiB {@code file-reader} call: direct (baseline),
 * through the registry with permission checks, and with token verification too. Goal: registry ≤ 20 µs at p50.
 * {@code java -cp bench/target/benchmarks.jar io.toka.bench.tools.FileReaderLatency [forks] [iterations]}
 */
public final class FileReaderLatency {

    private FileReaderLatency() {
    }

    public static void main(String[] args) throws Exception {
        int forks = args.length > 0 ? Integer.parseInt(args[0]) : 1;
        int iterations = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        Collection<RunResult> results = Jmh.run(FileReaderBenchmark.class, forks, iterations);
        double direct = Jmh.p50(results, "direct");
        double registry = Jmh.p50(results, "registry");
        double full = Jmh.p50(results, "authenticateAndRegistry");
        System.out.printf("%nfile-reader, 4 KiB file, p50%n");
        System.out.printf("  direct tool call:                 %8.2f us (baseline)%n", direct);
        System.out.printf("  via registry (validation, perms): %8.2f us (%.1fx the baseline; goal <= 20 us: %s)%n",
                registry, registry / direct, registry <= 20 ? "met" : "NOT met");
        System.out.printf("  token verify + registry:          %8.2f us (%.1fx the baseline)%n", full, full / direct);
    }

}
