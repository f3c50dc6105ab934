package io.toka.bench;

import io.toka.security.internal.TokenVerificationBenchmark;
import java.util.Collection;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.util.Statistics;

/**
 * Runs {@link TokenVerificationBenchmark} and prints the median (p50) cost of verifying a capability token, cached
 * and on first sight, against a bare HMAC-SHA256 of the same token measured in the same run. Goal for the cached
 * path: p50 at most 20 µs.
 *
 * <pre>
 * mvn -o -q -B install -pl bundles/security &amp;&amp; mvn -o -q -B package -pl bench
 * java -cp bench/target/benchmarks.jar io.toka.bench.TokenVerificationOverhead [forks=1] [iterations=5] [seconds=2]
 * </pre>
 */
public final class TokenVerificationOverhead {

    private TokenVerificationOverhead() {
    }

    public static void main(String[] args) throws Exception {
        int forks = args.length > 0 ? Integer.parseInt(args[0]) : 1;
        int iterations = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        int seconds = args.length > 2 ? Integer.parseInt(args[2]) : 2;
        Options opts = new OptionsBuilder()
                .include(TokenVerificationBenchmark.class.getName().replace(".", "\\.") + "\\.")
                .forks(forks)
                .warmupIterations(Math.max(2, iterations / 2))
                .warmupTime(TimeValue.seconds(seconds))
                .measurementIterations(iterations)
                .measurementTime(TimeValue.seconds(seconds))
                .build();
        Collection<RunResult> results = new Runner(opts).run();
        Statistics cached = stats(results, "cachedAuthenticateAndCheck");
        Statistics firstSight = stats(results, "firstSightVerify");
        Statistics hmac = stats(results, "hmacBaseline");
        Statistics delegated = stats(results, "delegatedLiveAuthorize");
        double base = hmac.getPercentile(50);
        System.out.printf("%nCapability token verification (p50 / p99, us per operation)%n");
        System.out.printf("  HMAC-SHA256 of the signing input: %8.2f / %8.2f us (baseline)%n", base,
                hmac.getPercentile(99));
        print("first-sight verify (decode+rules)", firstSight, base);
        print("cached authenticate + isPermitted (live state)", cached, base);
        print("delegated depth 2 + authorize (live state)", delegated, base);
        double p50 = Math.max(cached.getPercentile(50), delegated.getPercentile(50));
        System.out.printf("  goal p50 <= 20 us, live-state checks included: %s%n", p50 <= 20 ? "met" : "NOT met");
    }

    private static void print(String label, Statistics s, double base) {
        System.out.printf("  %s: %8.2f / %8.2f us (%.1fx the baseline at p50)%n", label, s.getPercentile(50),
                s.getPercentile(99), s.getPercentile(50) / base);
    }

    private static Statistics stats(Collection<RunResult> results, String method) {
        return results.stream()
                .filter(r -> r.getParams().getBenchmark().endsWith("." + method))
                .findFirst().orElseThrow()
                .getPrimaryResult().getStatistics();
    }
}
