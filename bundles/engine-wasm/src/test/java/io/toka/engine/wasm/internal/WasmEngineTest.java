package io.toka.engine.wasm.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.toka.runtime.execution.ExecutionEngine.Call;
import io.toka.runtime.execution.ExecutionEngine.CodeException;
import io.toka.runtime.execution.ExecutionEngine.EngineResult;
import java.lang.annotation.Annotation;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WasmEngineTest {

    private final List<WasmEngine> engines = new ArrayList<>();
    private final WasmEngine engine = engine(1024, true);

    @TempDir
    Path workspace;

    @AfterEach
    void closeEngines() {
        engines.forEach(WasmEngine::close);
    }

    // ---- calls and values

    @Test
    void addsFortyAndTwo() throws Exception {
        EngineResult result = run(Modules.arithmetic().base64(), "add", List.of(40, 2));

        assertThat(result.success()).isTrue();
        assertThat(result.output()).isEqualTo("42");
        assertThat(result.error()).isNull();
        assertThat(result.exitCode()).isNull();
        assertThat(result.usage().peakMemoryBytes()).isEqualTo(65536);
    }

    @Test
    void passesI64F64AndF32AndReturnsSeveralResults() throws Exception {
        String numeric = Modules.numeric().base64();

        assertThat(run(numeric, "add64", List.of(Long.MAX_VALUE, 0)).output()).isEqualTo("9223372036854775807");
        assertThat(run(numeric, "add64", List.of(-5L, 2)).output()).isEqualTo("-3");
        assertThat(run(numeric, "mulf64", List.of(1.5, 4)).output()).isEqualTo("6.0");
        assertThat(run(numeric, "mulf64", List.of("Infinity", -1)).output()).isEqualTo("\"-Infinity\"");
        assertThat(run(numeric, "mulf64", List.of("NaN", 1)).output()).isEqualTo("\"NaN\"");
        assertThat(run(numeric, "addf32", List.of(0.1, 0.2)).output()).isEqualTo("0.3");
        assertThat(run(numeric, "pair", null).output()).isEqualTo("[-1,9007199254740993]");
        assertThat(run(numeric, "nothing", List.of()).output()).isEqualTo("null");
    }

    @Test
    void integerArgumentsAreRangeChecked() throws Exception {
        String arithmetic = Modules.arithmetic().base64();

        // the unsigned reading of the same 32 bits is accepted: 0xFFFFFFFF is -1
        assertThat(run(arithmetic, "add", List.of(4294967295L, 0)).output()).isEqualTo("-1");
        assertThat(run(arithmetic, "add", List.of(2.0, 3)).output()).isEqualTo("5");
        assertThatThrownBy(() -> run(arithmetic, "add", List.of(4294967296L, 0)))
                .isInstanceOf(CodeException.class)
                .hasMessage("argument 1 of 'add' (i32) is out of range: 4294967296 (allowed -2147483648 to "
                        + "4294967295)");
        assertThatThrownBy(() -> run(arithmetic, "add", List.of(1, 2.5)))
                .hasMessage("argument 2 of 'add' (i32) must be an integer, not 2.5");
        assertThatThrownBy(() -> run(arithmetic, "add", List.of(1, "two")))
                .hasMessage("argument 2 of 'add' (i32) must be an integer, not the string \"two\"");
        assertThatThrownBy(() -> run(Modules.numeric().base64(), "mulf64", List.of(1, true)))
                .hasMessageContaining("argument 2 of 'mulf64' (f64) must be a number");
        assertThatThrownBy(() -> run(Modules.numeric().base64(), "addf32", List.of(1e39, 0)))
                .hasMessageStartingWith("argument 1 of 'addf32' (f32) is out of range: 1.0E39");
    }

    @Test
    void wrongArgumentCountNamesTheSignature() {
        assertThatThrownBy(() -> run(Modules.arithmetic().base64(), "add", List.of(1)))
                .isInstanceOf(CodeException.class)
                .hasMessage("function 'add' takes 2 arguments (i32, i32) -> i32, got 1");
        assertThatThrownBy(() -> run(Modules.arithmetic().base64(), "add", null))
                .hasMessage("function 'add' takes 2 arguments (i32, i32) -> i32, got 0");
        assertThatThrownBy(() -> run(Modules.arithmetic().base64(), "add", "1,2"))
                .hasMessage("inputs.args must be an array of numbers, not the string \"1,2\"");
    }

    @Test
    void missingFunctionListsTheExports() {
        assertThatThrownBy(() -> run(Modules.arithmetic().base64(), "sub", List.of(1, 2)))
                .isInstanceOf(CodeException.class)
                .hasMessage("no exported function 'sub'; exports: add, mul, memory(memory)");
        assertThatThrownBy(() -> run(Modules.arithmetic().base64(), "memory", List.of()))
                .hasMessage("no exported function 'memory'; exports: add, mul, memory(memory)");
        assertThatThrownBy(() -> engine.run(engine.prepare(Modules.arithmetic().base64()), call(Map.of())))
                .hasMessage("inputs.function is required: the name of an exported function");
    }

    // ---- bad code

    @Test
    void invalidBase64IsRefusedByPrepare() {
        assertThatThrownBy(() -> engine.prepare("not base64 at all!"))
                .isInstanceOf(CodeException.class)
                .hasMessageStartingWith("invalid WebAssembly module: the code is not base64");
        assertThatThrownBy(() -> engine.prepare("(module (func))"))
                .hasMessageContaining("the WebAssembly text format is not supported");
    }

    @Test
    void invalidModulesAreRefusedByPrepare() {
        String notWasm = Base64.getEncoder().encodeToString("hello, world".getBytes());
        assertThatThrownBy(() -> engine.prepare(notWasm))
                .isInstanceOf(CodeException.class)
                .hasMessageStartingWith("invalid WebAssembly module: ")
                .satisfies(e -> assertThat(((CodeException) e).line()).isZero());
        byte[] truncated = Arrays.copyOf(Modules.arithmetic().bytes(), 20);
        assertThatThrownBy(() -> engine.prepare(Base64.getEncoder().encodeToString(truncated)))
                .hasMessageStartingWith("invalid WebAssembly module: ");
        assertThatThrownBy(() -> engine.prepare(Modules.invalidBody().base64()))
                .hasMessageStartingWith("invalid WebAssembly module: ");
    }

    @Test
    void acceptsUrlSafeBase64AndWhitespace() throws Exception {
        byte[] bytes = Modules.numeric().bytes();
        String urlSafe = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
        String wrapped = Base64.getMimeEncoder().encodeToString(bytes);

        assertThat(urlSafe).containsAnyOf("-", "_");
        assertThat(run(urlSafe, "add64", List.of(1, 2)).output()).isEqualTo("3");
        assertThat(wrapped).contains("\r\n");
        assertThat(run(wrapped + "\n", "add64", List.of(1, 2)).output()).isEqualTo("3");
    }

    // ---- hostile code

    @Test
    void infiniteLoopsAreStoppedAtTheDeadline() {
        String loops = Modules.loops().base64();
        for (String function : List.of("spin", "spin_if")) {
            long started = System.nanoTime();
            EngineResult result = assertTimeoutPreemptively(Duration.ofSeconds(10),
                    () -> engine.run(engine.prepare(loops), call(Map.of("function", function), Duration.ofMillis(200))));
            long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);

            assertThat(result.success()).isFalse();
            assertThat(result.error()).isEqualTo("stopped: timed out after 200 ms");
            assertThat(elapsedMs).isBetween(190L, 2000L);
            assertThat(Thread.currentThread().isInterrupted()).as("interrupt flag cleared").isFalse();
        }
    }

    @Test
    void aStartFunctionThatNeverReturnsIsStopped() {
        EngineResult result = assertTimeoutPreemptively(Duration.ofSeconds(10),
                () -> run(Modules.spinningStart().base64(), "noop", null, Duration.ofMillis(100)));

        assertThat(result.success()).isFalse();
        assertThat(result.error()).isEqualTo("stopped: timed out after 100 ms");
    }

    @Test
    void memoryGrowthStopsAtTheLimit() throws Exception {
        String grower = Modules.grower(1).base64();

        // the run's memory limit: 1 MiB = 16 pages
        EngineResult limited = engine.run(engine.prepare(grower),
                new Call(Map.of("function", "grow"), Duration.ofSeconds(10), Instant.now().plusSeconds(10),
                        1024 * 1024, 0, workspace));
        assertThat(limited.output()).isEqualTo("16");
        assertThat(limited.usage().peakMemoryBytes()).isEqualTo(16 * 65536);

        // the configured maximum
        WasmEngine small = engine(4, true);
        assertThat(small.run(small.prepare(grower), call(Map.of("function", "grow"))).output()).isEqualTo("4");

        assertThatThrownBy(() -> small.run(small.prepare(Modules.grower(5).base64()),
                call(Map.of("function", "grow"))))
                .isInstanceOf(CodeException.class)
                .hasMessage("the module needs 5 memory pages (0 MiB) at start; this run allows 4 (0 MiB)");
    }

    @Test
    void tableGrowthIsCappedAndDoesNotLeakIntoTheCachedModule() throws Exception {
        Object prepared = engine.prepare(Modules.tables().base64());

        for (int i = 0; i < 3; i++) {
            assertThat(engine.run(prepared, call(Map.of("function", "grow_table"))).output()).isEqualTo("2");
        }
        assertThat(engine.run(prepared, call(Map.of("function", "grow_table_huge"))).output()).isEqualTo("-1");
    }

    @Test
    void trapsAreFailuresWithTheTrapMessage() throws Exception {
        String numeric = Modules.numeric().base64();

        EngineResult unreachable = run(numeric, "boom", null);
        assertThat(unreachable.success()).isFalse();
        assertThat(unreachable.error()).startsWith("trap: ").containsIgnoringCase("unreachable");

        assertThat(run(numeric, "div", List.of(1, 0)).error()).startsWith("trap: ")
                .containsIgnoringCase("divide by zero");
        assertThat(run(numeric, "peek", List.of(65536)).error()).startsWith("trap: ")
                .containsIgnoringCase("out of bounds");
        assertThat(run(numeric, "deep", null).error()).isEqualTo("trap: call stack exhausted");
    }

    @Test
    void importsOtherThanWasiAreRefused() {
        assertThatThrownBy(() -> run(Modules.envImport().base64(), "run", null))
                .isInstanceOf(CodeException.class)
                .hasMessage("the module imports env.log (function); this engine links only WASI preview 1 "
                        + "functions (wasi_snapshot_preview1), with inputs.wasi: true");
        assertThatThrownBy(() -> engine.run(engine.prepare(Modules.envImport().base64()),
                call(Map.of("function", "run", "wasi", true))))
                .hasMessageStartingWith("the module imports env.log (function)");
    }

    // ---- module_path

    @Test
    void modulePathInsideTheWorkspaceWorks() throws Exception {
        Files.createDirectories(workspace.resolve("mods"));
        Files.write(workspace.resolve("mods/add.wasm"), Modules.arithmetic().bytes());

        EngineResult result = engine.run(engine.prepare(""),
                call(Map.of("module_path", "mods/add.wasm", "function", "add", "args", List.of(40, 2))));

        assertThat(result.output()).isEqualTo("42");
        assertThat(engine.run(engine.prepare("  "),
                call(Map.of("module_path", "./mods/add.wasm", "function", "mul",
                        "args", List.of(6, 7)))).output()).isEqualTo("42");
    }

    @Test
    void modulePathOutsideTheWorkspaceIsRefused() throws Exception {
        Path outside = Files.createTempFile("outside", ".wasm");
        try {
            Files.write(outside, Modules.arithmetic().bytes());
            Files.createSymbolicLink(workspace.resolve("link.wasm"), outside);
            Object prepared = engine.prepare("");

            assertThatThrownBy(() -> engine.run(prepared, call(Map.of("module_path", "../x.wasm", "function", "add"))))
                    .isInstanceOf(CodeException.class)
                    .hasMessage("inputs.module_path '../x.wasm' must not contain '..'");
            assertThatThrownBy(() -> engine.run(prepared,
                    call(Map.of("module_path", outside.toString(), "function", "add"))))
                    .hasMessageEndingWith("must be relative to the workspace, not absolute");
            assertThatThrownBy(() -> engine.run(prepared, call(Map.of("module_path", "link.wasm", "function", "add"))))
                    .hasMessage("module_path 'link.wasm' leads outside the workspace");
            assertThatThrownBy(() -> engine.run(prepared, call(Map.of("module_path", "nope.wasm", "function", "add"))))
                    .hasMessage("module_path 'nope.wasm' does not exist in the workspace");
        } finally {
            Files.deleteIfExists(outside);
        }
    }

    @Test
    void modulePathCacheFollowsTheFile() throws Exception {
        ModuleFiles files = new ModuleFiles(8, 1 << 20);
        Path file = workspace.resolve("m.wasm");
        Files.write(file, Modules.arithmetic().bytes());

        PreparedModule first = files.load(workspace, "m.wasm");
        assertThat(files.load(workspace, "m.wasm")).isSameAs(first);

        Files.write(file, Modules.numeric().bytes());
        PreparedModule second = files.load(workspace, "m.wasm");
        assertThat(second).isNotSameAs(first);
        assertThat(second.functions()).containsKey("add64");

        ModuleFiles tiny = new ModuleFiles(8, 16);
        assertThatThrownBy(() -> tiny.load(workspace, "m.wasm")).hasMessageContaining("the limit is 16");
    }

    @Test
    void codeAndModulePathTogetherOrNeitherAreRefused() {
        assertThatThrownBy(() -> engine.run(engine.prepare(Modules.arithmetic().base64()),
                call(Map.of("module_path", "a.wasm", "function", "add"))))
                .hasMessage("give the module either as base64 code or as inputs.module_path, not both");
        assertThatThrownBy(() -> engine.run(engine.prepare(""), call(Map.of("function", "add"))))
                .hasMessageStartingWith("no module: send it as base64 code");
    }

    // ---- WASI

    @Test
    void wasiCapturesStdout() throws Exception {
        EngineResult result = engine.run(engine.prepare(Modules.wasi().base64()),
                call(Map.of("function", "_start", "wasi", true)));

        assertThat(result.success()).isTrue();
        assertThat(result.output()).isEqualTo("hello from wasm\n");
        assertThat(result.exitCode()).isZero();
    }

    @Test
    void wasiStdoutIsCappedAtTheOutputLimit() throws Exception {
        EngineResult result = engine.run(engine.prepare(Modules.wasi().base64()),
                new Call(Map.of("function", "_start", "wasi", true), Duration.ofSeconds(10),
                        Instant.now().plusSeconds(10), 0, 5, workspace));

        assertThat(result.output()).isEqualTo("hello\n[output truncated: 11 more bytes]");
    }

    @Test
    void wasiExitCodeIsReported() throws Exception {
        EngineResult result = engine.run(engine.prepare(Modules.wasi().base64()),
                call(Map.of("function", "fail", "wasi", true)));

        assertThat(result.success()).isFalse();
        assertThat(result.exitCode()).isEqualTo(3);
        assertThat(result.error()).isEqualTo("exited with code 3\nstderr:\nwarn\n");
    }

    @Test
    void wasiHasNoFileAccess() throws Exception {
        Object prepared = engine.prepare(Modules.wasi().base64());

        // errno 8 = EBADF: descriptor 3, where a first preopened directory would be, does not exist
        assertThat(engine.run(prepared, call(Map.of("function", "prestat", "wasi", true))).output()).isEqualTo("8");
        for (int fd : new int[] {0, 1, 2, 3}) {
            String errno = engine.run(prepared, call(Map.of("function", "open", "args", List.of(fd), "wasi", true)))
                    .output();
            assertThat(errno).as("path_open(%d, \"/etc/passwd\")", fd).isNotEqualTo("0");
        }
    }

    @Test
    void wasiNeedsToBeAskedForAndEnabled() throws Exception {
        assertThatThrownBy(() -> run(Modules.wasi().base64(), "_start", null))
                .hasMessageStartingWith("the module imports wasi_snapshot_preview1.fd_write (function)");
        WasmEngine noWasi = engine(1024, false);
        assertThatThrownBy(() -> noWasi.run(noWasi.prepare(Modules.wasi().base64()),
                call(Map.of("function", "_start", "wasi", true))))
                .hasMessage("WASI is disabled in this engine's configuration");
    }

    // ---- concurrency and interruption

    @Test
    void eightThreadsShareOnePreparedModuleWithoutSharingState() throws Exception {
        Object prepared = engine.prepare(Modules.counter().base64());
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<Integer>> futures = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                int base = t * 1000;
                futures.add(pool.submit(() -> {
                    go.await();
                    int wrong = 0;
                    for (int i = 0; i < 500; i++) {
                        EngineResult r = engine.run(prepared,
                                call(Map.of("function", "inc", "args", List.of(base + i))));
                        if (!r.output().equals(Integer.toString(base + i + 1))) {
                            wrong++;
                        }
                    }
                    return wrong;
                }));
            }
            go.countDown();
            for (Future<Integer> f : futures) {
                assertThat(f.get(60, TimeUnit.SECONDS)).isZero();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void interruptingTheCallerStopsTheModule() throws Exception {
        Object prepared = engine.prepare(Modules.loops().base64());
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread runner = new Thread(() -> {
            try {
                engine.run(prepared, call(Map.of("function", "spin_if"), Duration.ofMinutes(5)));
            } catch (Throwable e) {
                thrown.set(e);
            }
        });
        runner.start();
        // wait until the interpreter is really running the loop
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> Arrays.stream(runner.getStackTrace())
                .anyMatch(f -> f.getClassName().startsWith("com.dylibso.chicory.runtime.InterpreterMachine")));
        runner.interrupt();
        runner.join(10_000);

        assertThat(runner.isAlive()).isFalse();
        assertThat(thrown.get()).isInstanceOf(InterruptedException.class).hasMessage("stopped: interrupted");
    }

    @Test
    void anAlreadyInterruptedCallerDoesNotRun() throws Exception {
        Object prepared = engine.prepare(Modules.arithmetic().base64());
        Thread.currentThread().interrupt();
        try {
            assertThatThrownBy(() -> engine.run(prepared, call(Map.of("function", "add", "args", List.of(1, 2)))))
                    .isInstanceOf(InterruptedException.class);
        } finally {
            Thread.interrupted();
        }
    }

    // ---- configuration

    @Test
    void badConfigurationIsRejected() {
        assertThatThrownBy(() -> engine(0, true)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("maxMemoryPages must be 1 to 65536, not 0");
        assertThat(engine.language()).isEqualTo("wasm");
        assertThat(engine.version()).isEqualTo("Chicory 1.7.5");
    }

    // ---- helpers

    private EngineResult run(String code, String function, Object args) throws Exception {
        return run(code, function, args, Duration.ofSeconds(10));
    }

    private EngineResult run(String code, String function, Object args, Duration timeout) throws Exception {
        Map<String, Object> inputs = new HashMap<>();
        inputs.put("function", function);
        if (args != null) {
            inputs.put("args", args);
        }
        return engine.run(engine.prepare(code), call(inputs, timeout));
    }

    private Call call(Map<String, Object> inputs) {
        return call(inputs, Duration.ofSeconds(10));
    }

    private Call call(Map<String, Object> inputs, Duration timeout) {
        return new Call(inputs, timeout, Instant.now().plus(timeout), 0, 0, workspace);
    }

    WasmEngine engine(int maxMemoryPages, boolean wasi) {
        WasmEngine e = new WasmEngine(config(maxMemoryPages, wasi));
        engines.add(e);
        return e;
    }

    static WasmEngine.Config config(int maxMemoryPages, boolean wasi) {
        return new WasmEngine.Config() {
            @Override
            public Class<? extends Annotation> annotationType() {
                return WasmEngine.Config.class;
            }

            @Override
            public int maxMemoryPages() {
                return maxMemoryPages;
            }

            @Override
            public int maxTableElements() {
                return 1000;
            }

            @Override
            public boolean wasi() {
                return wasi;
            }

            @Override
            public long maxModuleBytes() {
                return 1 << 20;
            }

            @Override
            public int moduleCacheSize() {
                return 8;
            }
        };
    }
}
