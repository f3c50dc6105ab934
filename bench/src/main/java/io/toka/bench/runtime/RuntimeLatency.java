package io.toka.bench.runtime;

import io.toka.engine.process.internal.ProcessConfig;
import io.toka.engine.process.internal.PythonEngine;
import io.toka.runtime.execution.ExecutionEngine;
import io.toka.runtime.execution.ExecutionLimits;
import io.toka.runtime.execution.ExecutionModel;
import io.toka.runtime.execution.ExecutionRequest;
import io.toka.runtime.execution.ExecutionResult;
import io.toka.runtime.internal.execution.RuntimeManagerImpl;
import io.toka.sandbox.internal.SandboxLauncherImpl;
import io.toka.security.SecurityContext;
import io.toka.security.internal.BenchTokenAuthority;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import io.toka.bench.Jmh;
import java.util.Collection;
import java.util.Hashtable;
import java.util.Map;
import org.apache.felix.framework.FrameworkFactory;
import org.openjdk.jmh.results.RunResult;
import org.osgi.framework.Constants;
import org.osgi.framework.launch.Framework;

/**
 * The runtime's latency goals, each against a baseline measured in the same run:
 * <ul>
 *   <li>JavaScript {@code 1+1}, warm, through the runtime manager: ≤ 50 µs at p50 (baseline: the engine alone);
 *   <li>WebAssembly {@code add(40,2)}, warm module, through the manager: ≤ 20 µs at p50 (baseline: the engine);
 *   <li>Python {@code pass} in the sandbox through the manager: ≤ 30 ms at p50 (baseline:
 *       {@code /usr/bin/python3 -c pass} launched bare from Java, alternating).
 * </ul>
 * {@code java -cp bench/target/benchmarks.jar io.toka.bench.runtime.RuntimeLatency [forks] [iterations] [python runs]}
 */
public final class RuntimeLatency {

    private RuntimeLatency() {
    }

    public static void main(String[] args) throws Exception {
        int forks = args.length > 0 ? Integer.parseInt(args[0]) : 1;
        int iterations = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        int pythonRuns = args.length > 2 ? Integer.parseInt(args[2]) : 100;
        Collection<RunResult> results = Jmh.run(RuntimeBenchmark.class, forks, iterations);
        double jsDirect = Jmh.p50(results, "jsDirect");
        double jsManager = Jmh.p50(results, "jsManager");
        double wasmDirect = Jmh.p50(results, "wasmDirect");
        double wasmManager = Jmh.p50(results, "wasmManager");

        double[] python = python(pythonRuns);

        System.out.printf("%nRuntime latency, p50%n");
        System.out.printf("  JavaScript 1+1, engine alone:     %8.2f us (baseline)%n", jsDirect);
        System.out.printf("  JavaScript 1+1, runtime manager:  %8.2f us (%.1fx the baseline; goal <= 50 us: %s)%n",
                jsManager, jsManager / jsDirect, jsManager <= 50 ? "met" : "NOT met");
        System.out.printf("  wasm add(40,2), engine alone:     %8.2f us (baseline)%n", wasmDirect);
        System.out.printf("  wasm add(40,2), runtime manager:  %8.2f us (%.1fx the baseline; goal <= 20 us: %s)%n",
                wasmManager, wasmManager / wasmDirect, wasmManager <= 20 ? "met" : "NOT met");
        System.out.printf("  python3 -c pass, bare from Java:  %8.2f ms (baseline)%n", python[0]);
        System.out.printf("  python pass, sandbox via manager: %8.2f ms (%.1fx the baseline; goal <= 30 ms: %s)%n",
                python[1], python[1] / python[0], python[1] <= 30 ? "met" : "NOT met");
    }

    /** p50 of bare {@code python3 -c pass} and of {@code pass} through the manager, alternating. */
    private static double[] python(int runs) throws Exception {
        Path dir = Files.createTempDirectory("toka-bench-python");
        Framework framework = new FrameworkFactory().newFramework(Map.of(
                Constants.FRAMEWORK_STORAGE, dir.resolve("felix").toString(),
                Constants.FRAMEWORK_STORAGE_CLEAN, Constants.FRAMEWORK_STORAGE_CLEAN_ONFIRSTINIT));
        framework.start();
        try {
            SandboxLauncherImpl sandbox = SandboxLauncherImpl.withDefaults(dir.resolve("sandbox"), true);
            PythonEngine engine = new PythonEngine(sandbox, Defaults.of(ProcessConfig.class, Map.of()));
            Hashtable<String, Object> props = new Hashtable<>();
            props.put(ExecutionEngine.LANGUAGE, "python");
            framework.getBundleContext().registerService(ExecutionEngine.class, engine, props);
            RuntimeManagerImpl manager = new RuntimeManagerImpl(framework.getBundleContext(),
                    Defaults.of(RuntimeManagerImpl.Config.class, Map.of("workspace", dir.toString())),
                    RuntimeBenchmark.NO_TOOLS);
            BenchTokenAuthority authority = new BenchTokenAuthority(Files.createDirectories(dir.resolve("keys")));
            SecurityContext caller = authority.service().authenticate(
                    authority.issue("bench-agent", Duration.ofHours(1), "code:execute:python"));
            ExecutionRequest request = new ExecutionRequest(new ExecutionModel.DynamicCode("python", "pass", Map.of()),
                    caller, ExecutionLimits.DEFAULT);
            long[] bare = new long[runs];
            long[] managed = new long[runs];
            int warmup = Math.max(10, runs / 10);
            for (int i = -warmup; i < runs; i++) {
                long t0 = System.nanoTime();
                Process p = new ProcessBuilder("/usr/bin/python3", "-c", "pass").start();
                p.getOutputStream().close();
                try (InputStream in = p.getInputStream()) {
                    in.readAllBytes();
                }
                p.getErrorStream().readAllBytes();
                if (p.waitFor() != 0) {
                    throw new IllegalStateException("python3 -c pass failed");
                }
                long t1 = System.nanoTime();
                ExecutionResult r = manager.execute(request);
                long t2 = System.nanoTime();
                if (!r.success()) {
                    throw new IllegalStateException("python pass failed in the sandbox: " + r);
                }
                if (i >= 0) {
                    bare[i] = t1 - t0;
                    managed[i] = t2 - t1;
                }
            }
            Arrays.sort(bare);
            Arrays.sort(managed);
            sandbox.close();
            return new double[] {bare[runs / 2] / 1e6, managed[runs / 2] / 1e6};
        } finally {
            framework.stop();
            framework.waitForStop(10_000);
        }
    }

}
