package io.toka.bench.runtime;

import io.toka.engine.javascript.internal.JavaScriptConfig;
import io.toka.engine.javascript.internal.JavaScriptEngine;
import io.toka.engine.wasm.internal.WasmEngine;
import io.toka.runtime.execution.ExecutionEngine;
import io.toka.runtime.execution.ExecutionLimits;
import io.toka.runtime.execution.ExecutionModel;
import io.toka.runtime.execution.ExecutionRequest;
import io.toka.runtime.execution.ExecutionResult;
import io.toka.runtime.internal.execution.RuntimeManagerImpl;
import io.toka.runtime.registry.ToolRegistry;
import io.toka.security.SecurityContext;
import io.toka.security.internal.BenchTokenAuthority;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.felix.framework.FrameworkFactory;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.osgi.framework.Constants;
import org.osgi.framework.launch.Framework;

/**
 * JavaScript {@code 1+1} and WebAssembly {@code add(40,2)} through the real runtime manager (permission check with a
 * real capability token, prepared-code cache, concurrency slot, hand-off to an execution thread, history, result),
 * against the same engine called directly with the prepared code (the baseline), in an embedded Felix framework.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class RuntimeBenchmark {

    /** {@code (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)} */
    static final String WASM_ADD = "AGFzbQEAAAABBwFgAn9/AX8DAgEABwcBA2FkZAAACgkBBwAgACABags=";

    private Path dir;
    private Framework framework;
    private RuntimeManagerImpl manager;
    private SecurityContext caller;
    private JavaScriptEngine js;
    private WasmEngine wasm;
    private Object jsPrepared;
    private Object wasmPrepared;
    private ExecutionRequest jsRequest;
    private ExecutionRequest wasmRequest;
    private final Map<String, Object> wasmInputs = Map.of("function", "add", "args", List.of(40, 2));

    @Setup(Level.Trial)
    public void start() throws Exception {
        dir = Files.createTempDirectory("toka-bench-runtime");
        framework = new FrameworkFactory().newFramework(Map.of(
                Constants.FRAMEWORK_STORAGE, dir.resolve("felix").toString(),
                Constants.FRAMEWORK_STORAGE_CLEAN, Constants.FRAMEWORK_STORAGE_CLEAN_ONFIRSTINIT));
        framework.start();
        js = new JavaScriptEngine(Defaults.of(JavaScriptConfig.class, Map.of()));
        wasm = new WasmEngine(Defaults.of(WasmEngine.Config.class, Map.of()));
        register(js, "javascript");
        register(wasm, "wasm");
        manager = new RuntimeManagerImpl(framework.getBundleContext(),
                Defaults.of(RuntimeManagerImpl.Config.class, Map.of("workspace", dir.toString())), NO_TOOLS);
        BenchTokenAuthority authority = new BenchTokenAuthority(Files.createDirectories(dir.resolve("keys")));
        caller = authority.service().authenticate(authority.issue("bench-agent", Duration.ofHours(1),
                "code:execute:javascript", "code:execute:wasm"));
        jsRequest = new ExecutionRequest(new ExecutionModel.DynamicCode("javascript", "1+1", Map.of()), caller,
                ExecutionLimits.DEFAULT);
        wasmRequest = new ExecutionRequest(new ExecutionModel.DynamicCode("wasm", WASM_ADD, wasmInputs), caller,
                ExecutionLimits.DEFAULT);
        check(manager.execute(jsRequest), "2");
        check(manager.execute(wasmRequest), "42");
        jsPrepared = js.prepare("1+1");
        wasmPrepared = wasm.prepare(WASM_ADD);
    }

    private void register(ExecutionEngine engine, String language) {
        Hashtable<String, Object> props = new Hashtable<>();
        props.put(ExecutionEngine.LANGUAGE, language);
        framework.getBundleContext().registerService(ExecutionEngine.class, engine, props);
    }

    private static void check(ExecutionResult r, String expected) {
        if (!r.success() || !expected.equals(r.output())) {
            throw new IllegalStateException("unexpected result: " + r);
        }
    }

    @TearDown(Level.Trial)
    public void stop() throws Exception {
        framework.stop();
        framework.waitForStop(10_000);
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a temp directory
        }
    }

    private static ExecutionEngine.Call call(Map<String, Object> inputs) {
        return new ExecutionEngine.Call(inputs, Duration.ofSeconds(30), Instant.now().plusSeconds(30), 256L << 20,
                1 << 20, Path.of("."));
    }

    @Benchmark
    public Object jsDirect() throws Exception {
        return js.run(jsPrepared, call(Map.of()));
    }

    @Benchmark
    public ExecutionResult jsManager() throws Exception {
        return manager.execute(jsRequest);
    }

    @Benchmark
    public Object wasmDirect() throws Exception {
        return wasm.run(wasmPrepared, call(wasmInputs));
    }

    @Benchmark
    public ExecutionResult wasmManager() throws Exception {
        return manager.execute(wasmRequest);
    }

    static final ToolRegistry NO_TOOLS = new ToolRegistry() {
        @Override
        public List<String> names() {
            return List.of();
        }

        @Override
        public List<io.toka.runtime.registry.RegisteredTool> list() {
            return List.of();
        }

        @Override
        public java.util.Optional<io.toka.runtime.registry.RegisteredTool> find(String name) {
            return java.util.Optional.empty();
        }

        @Override
        public io.toka.runtime.registry.ToolCallResult invoke(String name, Map<String, Object> arguments,
                SecurityContext caller) throws io.toka.runtime.registry.UnknownToolException {
            throw new io.toka.runtime.registry.UnknownToolException(name);
        }

        @Override
        public io.toka.runtime.registry.ToolCallResult invoke(String name, Map<String, Object> arguments,
                SecurityContext caller, io.toka.runtime.registry.CallOptions options)
                throws io.toka.runtime.registry.UnknownToolException {
            throw new io.toka.runtime.registry.UnknownToolException(name);
        }
    };
}
