package io.toka.bench;

import java.util.Collection;
import org.openjdk.jmh.results.RunResult;

/**
 * Runs {@link RegistryDispatchBenchmark} and prints the registry's overhead per call against the direct call
 * measured in the same run. Goal: at most 2 µs. {@code java -jar bench/target/benchmarks.jar [forks] [iterations]}
 */
public final class DispatchOverhead {

    private DispatchOverhead() {
    }

    public static void main(String[] args) throws Exception {
        int forks = args.length > 0 ? Integer.parseInt(args[0]) : 1;
        int iterations = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        Collection<RunResult> results = Jmh.run(RegistryDispatchBenchmark.class, forks, iterations);
        double direct = Jmh.score(results, "direct");
        double registry = Jmh.score(results, "registry");
        double overheadNs = registry - direct;
        System.out.printf("%nRegistry dispatch (no-op tool, schema validation included)%n");
        System.out.printf("  direct call:    %10.1f ns/call (baseline)%n", direct);
        System.out.printf("  via registry:   %10.1f ns/call (%.1fx the baseline)%n", registry, registry / direct);
        System.out.printf("  overhead:       %10.2f us/call (goal <= 2.00 us: %s)%n", overheadNs / 1000,
                overheadNs <= 2000 ? "met" : "NOT met");
    }

}
