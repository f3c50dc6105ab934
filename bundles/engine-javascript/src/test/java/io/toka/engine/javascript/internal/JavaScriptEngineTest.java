package io.toka.engine.javascript.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.toka.runtime.execution.ExecutionEngine.Call;
import io.toka.runtime.execution.ExecutionEngine.CodeException;
import io.toka.runtime.execution.ExecutionEngine.EngineResult;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class JavaScriptEngineTest {

    private static final Duration LONG = Duration.ofSeconds(60);
    private static final JavaScriptEngine ENGINE = new JavaScriptEngine(JavaScriptEngine.Settings.defaults());
    private static final ExecutorService POOL = Executors.newCachedThreadPool();

    @AfterAll
    static void shutdown() {
        POOL.shutdownNow();
    }

    private static Call call(Map<String, Object> inputs, Duration timeout, long memoryBytes, long maxOutputBytes) {
        return new Call(inputs, timeout, Instant.now().plus(timeout), memoryBytes, maxOutputBytes, Path.of("."));
    }

    private static Call call(Map<String, Object> inputs) {
        return call(inputs, Duration.ofSeconds(10), 512L << 20, 1 << 20);
    }

    private static EngineResult run(JavaScriptEngine engine, String code, Call call) throws Exception {
        return engine.run(engine.prepare(code), call);
    }

    private static EngineResult run(String code) throws Exception {
        return run(ENGINE, code, call(Map.of()));
    }

    private static String output(String code) throws Exception {
        EngineResult r = run(code);
        assertThat(r.success()).as("run of %s failed: %s", code, r.error()).isTrue();
        return r.output();
    }

    private static CodeException codeError(String code) {
        AtomicReference<CodeException> thrown = new AtomicReference<>();
        assertThatThrownBy(() -> run(code)).isInstanceOfSatisfying(CodeException.class, thrown::set);
        return thrown.get();
    }

    // ---- real code ----

    @Test
    void arithmeticAndObjectsComeBackAsJson() throws Exception {
        assertThat(output("1+1")).isEqualTo("2");
        assertThat(output("0.1 + 0.2")).isEqualTo("0.30000000000000004");
        assertThat(output("7 / 2")).isEqualTo("3.5");
        assertThat(output("var o = {a: 1, b: [1, 2, 'x'], c: null, d: true}; o"))
                .isEqualTo("{\"a\":1,\"b\":[1,2,\"x\"],\"c\":null,\"d\":true}");
        assertThat(output("[1, 2, 3].map(x => x * 2)")).isEqualTo("[2,4,6]");
        assertThat(output("'done'")).isEqualTo("\"done\"");
        assertThat(output("null")).isEqualTo("null");
    }

    @Test
    void modernLanguageFeaturesWork() throws Exception {
        // Rhino 1.9 has arrow functions, let/const, destructuring, template literals, Map/Set, generators and
        // Promises, but no class syntax and no const in for-of heads.
        assertThat(output("function P(x) { this.x = x; } P.prototype.twice = function () { return this.x * 2; };\n"
                + "const {a, b} = {a: 1, b: 2, c: 3};\n"
                + "const m = new Map([['k', 5]]);\n"
                + "`${new P(21).twice()}-${a}-${b}-${m.get('k')}`"))
                .isEqualTo("\"42-1-2-5\"");
        assertThat(output("let s = 0; for (let v of [1, 2, 3]) { s += v; } s")).isEqualTo("6");
        assertThat(output("function* g() { yield 1; yield 2; } var t = 0; for (var v of g()) t += v; t"))
                .isEqualTo("3");
        // Promise reactions run when the script's top-level code is done, still inside the run and its limits.
        assertThat(output("Promise.resolve(4).then(v => print(v * 10)); 'sync'")).isEqualTo("40\n\"sync\"");
        assertThat(output("JSON.parse('{\"x\":[1,{\"y\":2}]}').x[1].y")).isEqualTo("2");
    }

    @Test
    void stringFunctions() throws Exception {
        assertThat(output("'Hello, World'.toUpperCase().split(', ').reverse().join(' ') + '!'.repeat(3)"))
                .isEqualTo("\"WORLD HELLO!!!\"");
        assertThat(output("'  trim me '.trim().replace(/m/g, 'M').padStart(10, '.')")).isEqualTo("\"...triM Me\"");
        assertThat(output("'héllo ✓ 😀'")).isEqualTo("\"héllo ✓ 😀\"");
        assertThat(output("'a\"b\\n'")).isEqualTo("\"a\\\"b\\n\"");
    }

    @Test
    void inputsArriveAsPlainObjects() throws Exception {
        Map<String, Object> nested = new LinkedHashMap<>();
        nested.put("k", true);
        nested.put("z", null);
        Map<String, Object> inputs = new LinkedHashMap<>();
        inputs.put("name", "Ada");
        inputs.put("n", 3);
        inputs.put("big", 5_000_000_000L);
        inputs.put("list", List.of(1, 2.5, "x"));
        inputs.put("nested", nested);
        inputs.put("0", "zero");
        EngineResult r = run(ENGINE, "({greet: 'hi ' + inputs.name, n: inputs.n * 2, nIsNumber: inputs.n === 3,"
                + " big: inputs.big + 1, types: inputs.list.map(v => typeof v), isArray: Array.isArray(inputs.list),"
                + " k: inputs.nested.k, z: inputs.nested.z, keys: Object.keys(inputs.nested),"
                + " zero: inputs[0], zeroByString: inputs['0'], all: JSON.stringify(inputs).length > 10})",
                call(inputs));
        assertThat(r.success()).isTrue();
        assertThat(r.output()).isEqualTo("{\"greet\":\"hi Ada\",\"n\":6,\"nIsNumber\":true,\"big\":5000000001,"
                + "\"types\":[\"number\",\"number\",\"string\"],\"isArray\":true,\"k\":true,\"z\":null,"
                + "\"keys\":[\"k\",\"z\"],\"zero\":\"zero\",\"zeroByString\":\"zero\",\"all\":true}");
    }

    @Test
    void noValueMeansEmptyOutput() throws Exception {
        assertThat(output("var x = 1;")).isEmpty();
        assertThat(output("undefined")).isEmpty();
        assertThat(output("(function () {})")).isEmpty();
        assertThat(output("")).isEmpty();
    }

    @Test
    void printedLinesComeBeforeTheResult() throws Exception {
        assertThat(output("console.log('a', 1, {b: 2}, [3], null, undefined); print('p'); console.error('e'); 42"))
                .isEqualTo("a 1 {\"b\":2} [3] null undefined\np\ne\n42");
        assertThat(output("console.log('only lines')")).isEqualTo("only lines\n");
    }

    @Test
    void printedOutputIsCappedAndAnOversizedResultFails() throws Exception {
        EngineResult r = run(ENGINE, "for (var i = 0; i < 1000; i++) console.log('line ' + i); 1",
                call(Map.of(), Duration.ofSeconds(10), 512L << 20, 40));
        assertThat(r.success()).isTrue();
        assertThat(r.output()).startsWith("line 0\nline 1\nline 2\nline 3\nline 4\n")
                .contains("[output truncated: more than 40 bytes]").doesNotContain("line 999").endsWith("1");

        EngineResult big = run(ENGINE, "'x'.repeat(100)", call(Map.of(), Duration.ofSeconds(10), 512L << 20, 50));
        assertThat(big.success()).isFalse();
        assertThat(big.error()).isEqualTo("result is 102 bytes of JSON, over the output limit of 50 bytes");
    }

    // ---- errors ----

    @Test
    void syntaxErrorNamesTheLine() {
        assertThatThrownBy(() -> ENGINE.prepare("var a = 1;\nvar b = ;\nvar c = 3;"))
                .isInstanceOfSatisfying(CodeException.class, e -> {
                    assertThat(e.getMessage()).startsWith("SyntaxError: ");
                    assertThat(e.line()).isEqualTo(2);
                });
        assertThatThrownBy(() -> ENGINE.prepare("function f() {\n  return 1;\n\n"))
                .isInstanceOfSatisfying(CodeException.class, e -> assertThat(e.getMessage())
                        .startsWith("SyntaxError: "));
    }

    @Test
    void runtimeErrorsNameTheErrorAndLine() {
        CodeException typeError = codeError("var a = 1;\n\nnull.foo;");
        assertThat(typeError.getMessage()).startsWith("TypeError: ").contains("foo");
        assertThat(typeError.line()).isEqualTo(3);

        CodeException reference = codeError("var ok = 1;\nnotDefined + 1;");
        assertThat(reference.getMessage()).isEqualTo("ReferenceError: \"notDefined\" is not defined.");
        assertThat(reference.line()).isEqualTo(2);

        CodeException thrown = codeError("function check(x) {\n  if (x < 0) {\n    throw new RangeError('negative: ' + x);\n  }\n}\ncheck(-1);");
        assertThat(thrown.getMessage()).isEqualTo("RangeError: negative: -1");
        assertThat(thrown.line()).isEqualTo(3);

        assertThat(codeError("throw 'boom'").getMessage()).isEqualTo("Uncaught boom");
        assertThat(codeError("throw {code: 7}").getMessage()).isEqualTo("Uncaught [object Object]");
        assertThat(codeError("var o = {}; o.x.y").getMessage()).startsWith("TypeError: ");
        assertThat(codeError("var c = {}; c.self = c; JSON.stringify(c)").getMessage()).startsWith("TypeError: ");
    }

    @Test
    void aFailedRunKeepsWhatItPrinted() throws Exception {
        EngineResult r = run("console.log('step 1');\nconsole.log('step 2');\nnull.boom;");
        assertThat(r.success()).isFalse();
        assertThat(r.output()).isEqualTo("step 1\nstep 2\n");
        assertThat(r.error()).startsWith("TypeError: ").contains("boom").endsWith("(line 3)");

        JavaScriptEngine budget = new JavaScriptEngine(new JavaScriptEngine.Settings(1_000_000, 1000, false));
        EngineResult stopped = run(budget, "print('before'); while (true) {}", call(Map.of()));
        assertThat(stopped.error()).isEqualTo("stopped: instruction limit of 1000000 reached");
        assertThat(stopped.output()).isEqualTo("before\n");
    }

    @Test
    void aCyclicResultIsAnError() {
        assertThat(codeError("var c = {}; c.self = c; c").getMessage()).startsWith("TypeError: ");
    }

    // ---- limits ----

    @Test
    void infiniteLoopIsStoppedByTheDeadline() throws Exception {
        JavaScriptEngine noBudget = new JavaScriptEngine(new JavaScriptEngine.Settings(0, 1000, true));
        long start = System.nanoTime();
        EngineResult r = assertTimeoutPreemptively(Duration.ofSeconds(20),
                () -> run(noBudget, "while (true) {}", call(Map.of(), Duration.ofMillis(300), 512L << 20, 1 << 20)));
        long ms = (System.nanoTime() - start) / 1_000_000;
        assertThat(r.success()).isFalse();
        assertThat(r.error()).isEqualTo("stopped: timed out after 300 ms");
        assertThat(ms).isBetween(250L, 3000L);
    }

    @Test
    void infiniteLoopIsStoppedByTheInstructionBudget() throws Exception {
        JavaScriptEngine budget = new JavaScriptEngine(new JavaScriptEngine.Settings(1_000_000, 1000, true));
        long start = System.nanoTime();
        EngineResult r = assertTimeoutPreemptively(Duration.ofSeconds(30),
                () -> run(budget, "var i = 0; while (true) { i++; }", call(Map.of(), LONG, 512L << 20, 1 << 20)));
        long ms = (System.nanoTime() - start) / 1_000_000;
        assertThat(r.success()).isFalse();
        assertThat(r.error()).isEqualTo("stopped: instruction limit of 1000000 reached");
        assertThat(ms).isLessThan(10_000);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "while (true) { try { while (true) {} } catch (e) {} finally { continue; } }",
        "[1, 2, 3].forEach(function () { while (true) {} })",
        "function* g() { while (true) yield 1; } for (var v of g()) {}",
        "JSON.parse('[1,2]', function (k, v) { while (true) {} })",
        "new Promise(function () { while (true) {} })",
        "eval('while (true) {}')",
        "(new Function('while (true) {}'))()",
    })
    void aStopCannotBeCaughtOrHiddenInCallbacks(String code) throws Exception {
        JavaScriptEngine budget = new JavaScriptEngine(new JavaScriptEngine.Settings(2_000_000, 1000, true));
        EngineResult r = assertTimeoutPreemptively(Duration.ofSeconds(30),
                () -> run(budget, code, call(Map.of(), LONG, 512L << 20, 1 << 20)));
        assertThat(r.success()).isFalse();
        assertThat(r.error()).isEqualTo("stopped: instruction limit of 2000000 reached");
        assertThat(run(budget, "1+1", call(Map.of())).output()).isEqualTo("2");
    }

    @Test
    void aDeadlineAlreadyPassedStopsAtOnce() throws Exception {
        Call late = new Call(Map.of(), Duration.ofMillis(5), Instant.now().minusMillis(1), 1 << 20, 1 << 20, Path.of("."));
        EngineResult r = ENGINE.run(ENGINE.prepare("1"), late);
        assertThat(r.success()).isFalse();
        assertThat(r.error()).isEqualTo("stopped: timed out after 5 ms");
    }

    @Test
    void memoryHungryLoopIsStoppedBeforeTheJvmDies() throws Exception {
        JavaScriptEngine budget = new JavaScriptEngine(new JavaScriptEngine.Settings(2_000_000, 1000, false));
        EngineResult r = assertTimeoutPreemptively(Duration.ofSeconds(60), () -> run(budget,
                "var a = []; while (true) a.push(new Array(1e6))", call(Map.of(), Duration.ofSeconds(20), 0, 1 << 20)));
        assertThat(r.success()).isFalse();
        assertThat(r.error()).startsWith("stopped: ");
        // Dense arrays hold about 40 KB each: with allocations counted, 64 MB stops this long before the heap fills.
        JavaScriptEngine counted = new JavaScriptEngine(new JavaScriptEngine.Settings(2_000_000, 1000, true));
        EngineResult dense = assertTimeoutPreemptively(Duration.ofSeconds(60), () -> run(counted,
                "var a = []; while (true) a.push(new Array(10000).fill(1.5))",
                call(Map.of(), Duration.ofSeconds(20), 64L << 20, 1 << 20)));
        assertThat(dense.success()).isFalse();
        assertThat(dense.error()).startsWith("stopped: ");
        assertThat(output("1+1")).isEqualTo("2");
    }

    @Test
    void allocationsBeyondTheMemoryLimitStopTheRun() throws Exception {
        assumeTrue(new ThreadMeter().countsAllocations(), "this JVM does not count allocated bytes per thread");
        JavaScriptEngine counted = new JavaScriptEngine(new JavaScriptEngine.Settings(0, 1000, true));
        long start = System.nanoTime();
        EngineResult r = assertTimeoutPreemptively(Duration.ofSeconds(60), () -> run(counted,
                "var a = []; while (true) a.push('x'.repeat(1000) + a.length)",
                call(Map.of(), LONG, 32L << 20, 1 << 20)));
        assertThat(r.success()).isFalse();
        assertThat(r.error()).isEqualTo("stopped: allocated more than the memory limit of 33554432 bytes "
                + "(every allocation counts, garbage included)");
        assertThat((System.nanoTime() - start) / 1_000_000).isLessThan(10_000);
        assertThat(run(counted, "var s = 0; for (var i = 0; i < 1000; i++) s += i; s",
                call(Map.of(), LONG, 32L << 20, 1 << 20)).output()).isEqualTo("499500");
    }

    @Test
    void deepRecursionIsStopped() throws Exception {
        JavaScriptEngine shallow = new JavaScriptEngine(new JavaScriptEngine.Settings(0, 100, true));
        EngineResult r = run(shallow, "function f(n) { return f(n + 1); } f(0)", call(Map.of()));
        assertThat(r.success()).isFalse();
        assertThat(r.error()).isEqualTo("stopped: maximum stack depth of 100 exceeded");
        assertThat(run(shallow, "function f(n) { return n ? n + f(n - 1) : 0; } f(50)", call(Map.of())).output())
                .isEqualTo("1275");

        EngineResult nativeRecursion = assertTimeoutPreemptively(Duration.ofSeconds(30),
                () -> run(ENGINE, "function g() { return [1].map(g); } g()", call(Map.of())));
        assertThat(nativeRecursion.success()).isFalse();
        assertThat(nativeRecursion.error()).startsWith("stopped: ");
    }

    // ---- Java is out of reach ----

    @ParameterizedTest
    @ValueSource(strings = {
        "java.lang.System.exit(1)",
        "Packages.java.io.File",
        "new java.io.File('/etc/passwd')",
        "importPackage(java.io)",
        "JavaAdapter",
        "javax.script",
        "org.mozilla.javascript.Context.getCurrentContext()",
        "getClass(this)",
        "load('/etc/passwd')",
        "readFile('/etc/passwd')",
    })
    void javaNamesAreNotDefined(String code) {
        CodeException e = codeError(code);
        assertThat(e.getMessage()).startsWith("ReferenceError: ");
    }

    @Test
    void noTrickReachesAJavaObject() throws Exception {
        assertThat(output("[typeof Packages, typeof java, typeof javax, typeof JavaImporter, typeof importClass,"
                + " typeof getClass, typeof this.getClass, typeof ''.getClass, typeof (1).getClass,"
                + " typeof Object.getPrototypeOf(this).getClass, typeof this.constructor.getClass,"
                + " typeof (function () {}).constructor.constructor('return typeof java')(),"
                + " typeof (function () {}).constructor.constructor('return this')().java,"
                + " typeof Object.getPrototypeOf(globalThis).Packages].join()"))
                .isEqualTo("\"undefined,undefined,undefined,undefined,undefined,undefined,undefined,undefined,"
                        + "undefined,undefined,undefined,string,undefined,undefined\"");
        assertThat(output("(function () {}).constructor.constructor('return typeof java')()"))
                .isEqualTo("\"undefined\"");
        assertThat(output("try { null.x } catch (e) { [typeof e.javaException, typeof e.rhinoException].join() }"))
                .isEqualTo("\"undefined,undefined\"");
        String globals = output("Object.getOwnPropertyNames(Object.getPrototypeOf(this)).concat("
                + "Object.getOwnPropertyNames(this)).sort().join(' ')");
        assertThat(globals.replace("\"", "").split(" ")).contains("Math", "JSON", "inputs", "console", "print")
                .doesNotContain("Packages", "java", "javax", "org", "com", "edu", "net", "JavaAdapter",
                        "JavaImporter", "importPackage", "importClass", "getClass", "load", "sync", "spawn");
        // Walk everything reachable from the global object: every value is a plain JavaScript value.
        assertThat(output("var seen = new Set(), bad = [];\n"
                + "function walk(o, path, depth) {\n"
                + "  if (o === null || (typeof o !== 'object' && typeof o !== 'function') || seen.has(o) || depth > 4) return;\n"
                + "  seen.add(o);\n"
                + "  var s = Object.prototype.toString.call(o);\n"
                + "  if (/Java|Packages/.test(s)) bad.push(path + ' ' + s);\n"
                + "  var names; try { names = Object.getOwnPropertyNames(o); } catch (e) { return; }\n"
                + "  for (var k of names) {\n"
                + "    var v; try { v = o[k]; } catch (e) { continue; }\n"
                + "    walk(v, path + '.' + k, depth + 1);\n"
                + "  }\n"
                + "}\n"
                + "walk(globalThis, 'this', 0); walk(Object.getPrototypeOf(globalThis), 'proto', 0);\n"
                + "({checked: seen.size > 100, bad: bad})")).isEqualTo("{\"checked\":true,\"bad\":[]}");
    }

    @Test
    void builtInsAreSealedAndEachRunHasItsOwnGlobals() throws Exception {
        CodeException e = codeError("Object.prototype.polluted = 1");
        assertThat(e.getMessage()).contains("sealed");
        assertThat(codeError("Array.prototype.push = null").getMessage()).contains("sealed");
        codeErrorOrNothing("Math.PI = 3");
        assertThat(output("var mine = 1; globalThis.other = 2; global.third = 3; [mine, other, third, this.mine]"))
                .isEqualTo("[1,2,3,1]");
        assertThat(output("[typeof mine, typeof other, typeof third, typeof ({}).polluted, Math.PI > 3.14, [1].push(2)].join()"))
                .isEqualTo("\"undefined,undefined,undefined,undefined,true,2\"");
    }

    private static void codeErrorOrNothing(String code) {
        try {
            run(code);
        } catch (Exception expected) {
            assertThat(expected).isInstanceOf(CodeException.class);
        }
    }

    // ---- concurrency and interruption ----

    @Test
    void concurrentRunsOfOneScriptGetTheirOwnResults() throws Exception {
        Object prepared = ENGINE.prepare("var before = globalThis.counter;\n"
                + "globalThis.counter = inputs.n;\n"
                + "var s = 0; for (var i = 0; i < 2000; i++) s += i;\n"
                + "({n: inputs.n, sq: inputs.n * inputs.n, before: typeof before, still: counter === inputs.n, s: s})");
        List<Callable<List<String>>> tasks = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            int thread = t;
            tasks.add(() -> {
                List<String> mismatches = new ArrayList<>();
                for (int i = 0; i < 200; i++) {
                    int n = thread * 1000 + i;
                    EngineResult r = ENGINE.run(prepared, call(Map.of("n", n)));
                    String want = "{\"n\":" + n + ",\"sq\":" + ((long) n * n) + ",\"before\":\"undefined\","
                            + "\"still\":true,\"s\":1999000}";
                    if (!r.success() || !want.equals(r.output())) {
                        mismatches.add(r.output() + " / " + r.error());
                    }
                }
                return mismatches;
            });
        }
        ExecutorService eight = Executors.newFixedThreadPool(8);
        try {
            for (Future<List<String>> f : eight.invokeAll(tasks, 120, TimeUnit.SECONDS)) {
                assertThat(f.get()).isEmpty();
            }
        } finally {
            eight.shutdownNow();
        }
    }

    @Test
    void interruptionStopsTheRunWithInterruptedException() throws Exception {
        JavaScriptEngine noLimits = new JavaScriptEngine(new JavaScriptEngine.Settings(0, 1000, false));
        Object loop = noLimits.prepare("while (true) {}");
        AtomicReference<Thread> runner = new AtomicReference<>();
        Future<Throwable> outcome = POOL.submit(() -> {
            runner.set(Thread.currentThread());
            try {
                noLimits.run(loop, call(Map.of(), LONG, 0, 1 << 20));
                return null;
            } catch (Throwable t) {
                return t;
            }
        });
        var threads = ManagementFactory.getThreadMXBean();
        // Interrupt only once the loop has demonstrably been spinning, so the observer (not the entry check) acts.
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30))
                .until(() -> runner.get() != null && threads.getThreadCpuTime(runner.get().getId()) > 200_000_000L);
        long start = System.nanoTime();
        runner.get().interrupt();
        Throwable t = outcome.get(10, TimeUnit.SECONDS);
        assertThat(t).isInstanceOf(InterruptedException.class);
        assertThat((System.nanoTime() - start) / 1_000_000).isLessThan(5_000);
    }

    @Test
    void anInterruptedCallerIsRefusedBeforeRunning() throws Exception {
        Object prepared = ENGINE.prepare("1");
        Thread.currentThread().interrupt();
        assertThatThrownBy(() -> ENGINE.run(prepared, call(Map.of()))).isInstanceOf(InterruptedException.class);
        assertThat(Thread.interrupted()).isFalse();
    }

    // ---- contract ----

    @Test
    void languageVersionAndBadArguments() {
        assertThat(ENGINE.language()).isEqualTo("javascript");
        assertThat(ENGINE.version()).isEqualTo("Rhino 1.9.2");
        assertThatThrownBy(() -> ENGINE.run("1+1", call(Map.of()))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not prepared by the JavaScript engine");
        assertThatThrownBy(() -> new JavaScriptEngine(new JavaScriptEngine.Settings(0, 0, true)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxStackDepth");
        assertThatThrownBy(() -> new JavaScriptEngine(new JavaScriptEngine.Settings(-1, 10, true)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("instructionLimit");
    }

    @Test
    void aThreadInsideAnotherRhinoContextIsRefused() throws Exception {
        Object prepared = ENGINE.prepare("1");
        org.mozilla.javascript.Context foreign = new org.mozilla.javascript.ContextFactory().enterContext();
        try {
            assertThatThrownBy(() -> ENGINE.run(prepared, call(Map.of()))).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("already inside a Rhino context");
            assertThat(org.mozilla.javascript.Context.getCurrentContext()).isSameAs(foreign);
        } finally {
            org.mozilla.javascript.Context.exit();
        }
        assertThat(ENGINE.run(prepared, call(Map.of())).output()).isEqualTo("1");
    }

    @Test
    void cyclicInputsAreRefused() {
        Map<String, Object> cyclic = new LinkedHashMap<>();
        cyclic.put("self", cyclic);
        assertThatThrownBy(() -> ENGINE.run(ENGINE.prepare("1"), call(cyclic)))
                .isInstanceOf(CodeException.class).hasMessageContaining("nested deeper than 1000");
    }
}
