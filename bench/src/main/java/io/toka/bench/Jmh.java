package io.toka.bench;

import java.util.Collection;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/** Runs one JMH benchmark class the way every ratio-printing main here does, and reads scores back. */
public final class Jmh {

    private Jmh() {
    }

    /** 3 warm-up and {@code iterations} measured iterations of 2 s each, in {@code forks} forks. */
    public static Collection<RunResult> run(Class<?> benchmark, int forks, int iterations) throws Exception {
        return new Runner(new OptionsBuilder()
                .include(benchmark.getSimpleName())
                .forks(forks)
                .warmupIterations(3)
                .warmupTime(TimeValue.seconds(2))
                .measurementIterations(iterations)
                .measurementTime(TimeValue.seconds(2))
                .build()).run();
    }

    /** The primary score of a method (its mean for AverageTime). */
    public static double score(Collection<RunResult> results, String method) {
        return result(results, method).getPrimaryResult().getScore();
    }

    /** The median of a SampleTime method. */
    public static double p50(Collection<RunResult> results, String method) {
        return result(results, method).getPrimaryResult().getStatistics().getPercentile(50);
    }

    private static RunResult result(Collection<RunResult> results, String method) {
        return results.stream()
                .filter(r -> r.getParams().getBenchmark().endsWith("." + method))
                .findFirst().orElseThrow(() -> new IllegalStateException("no result for " + method));
    }
}
