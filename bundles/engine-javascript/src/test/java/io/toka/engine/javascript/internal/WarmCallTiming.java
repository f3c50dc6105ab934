package io.toka.engine.javascript.internal;

import io.toka.runtime.execution.ExecutionEngine.Call;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Map;

/**
 * Not a test: the warm cost of one run, run by hand with
 * {@code java -cp target/classes:target/test-classes:<rhino, runtime, slf4j> io.toka.engine.javascript.internal.WarmCallTiming [runs]}.
 * Prepares once, runs many times on one thread, and prints percentiles for {@code 1+1}, for a script reading its
 * inputs, and the interpreter's rough instruction rate.
 */
public final class WarmCallTiming {

    private WarmCallTiming() {
    }

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
        JavaScriptEngine engine = new JavaScriptEngine(JavaScriptEngine.Settings.defaults());
        Map<String, Object> inputs = Map.of("name", "Ada", "values", java.util.List.of(1, 2, 3, 4));
        measure(engine, "1+1", Map.of(), n);
        measure(engine, "({hi: 'hello ' + inputs.name, sum: inputs.values.reduce((a, b) => a + b, 0)})", inputs, n);
        JavaScriptEngine unlimited = new JavaScriptEngine(new JavaScriptEngine.Settings(0, 1000, false));
        Object loop = unlimited.prepare("var s = 0; for (var i = 0; i < 1e7; i++) { s += i; } s");
        long budget = 1;
        while (!succeedsWithin(budget)) {
            budget *= 2;
        }
        System.out.printf("loop of 1e6 iterations needs between %d and %d instructions%n", budget / 2, budget);
        for (int i = 0; i < 3; i++) {
            long t = System.nanoTime();
            var r = unlimited.run(loop, call(Map.of()));
            double s = (System.nanoTime() - t) / 1e9;
            System.out.printf("loop of 1e7 iterations: %.2f s, %s%n", s, r.success() ? r.output() : r.error());
        }
    }

    private static boolean succeedsWithin(long budget) throws Exception {
        JavaScriptEngine e = new JavaScriptEngine(new JavaScriptEngine.Settings(budget, 1000, false));
        return e.run(e.prepare("var s = 0; for (var i = 0; i < 1e6; i++) { s += i; } s"), call(Map.of())).success();
    }

    private static Call call(Map<String, Object> inputs) {
        return new Call(inputs, Duration.ofSeconds(30), Instant.now().plusSeconds(30), 256L << 20, 1 << 20,
                Path.of("."));
    }

    private static void measure(JavaScriptEngine engine, String code, Map<String, Object> inputs, int n)
            throws Exception {
        Object prepared = engine.prepare(code);
        String out = null;
        for (int i = 0; i < n; i++) {
            out = engine.run(prepared, call(inputs)).output();
        }
        long[] t = new long[n];
        for (int i = 0; i < n; i++) {
            Call c = call(inputs);
            long s = System.nanoTime();
            engine.run(prepared, c);
            t[i] = System.nanoTime() - s;
        }
        Arrays.sort(t);
        System.out.printf("%-40s -> %-28s p50 %6.1f us  p90 %6.1f us  p99 %6.1f us%n",
                code.length() > 40 ? code.substring(0, 37) + "..." : code, out, t[n / 2] / 1e3, t[n * 9 / 10] / 1e3,
                t[n * 99 / 100] / 1e3);
    }
}
