package io.toka.engine.wasm.internal;

import static io.toka.engine.wasm.internal.Wasm.I32;
import static io.toka.engine.wasm.internal.Wasm.code;
import static io.toka.engine.wasm.internal.Wasm.params;

import com.dylibso.chicory.runtime.ChicoryInterruptedException;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import io.toka.runtime.execution.ExecutionEngine.Call;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * A throwaway timing run, not a test: warm {@code add(40,2)} through {@link WasmEngine#run} and its parts. Run with
 * the test classpath: {@code java -cp target/classes:target/test-classes:<deps> ...WasmTiming}.
 */
final class WasmTiming {

    private WasmTiming() {
    }

    interface Body {
        void run() throws Exception;
    }

    public static void main(String[] args) throws Exception {
        WasmEngine engine = new WasmEngine(WasmEngineTest.config(1024, true));
        Object prepared = engine.prepare(Modules.arithmetic().base64());
        Map<String, Object> inputs = Map.of("function", "add", "args", List.of(40, 2));
        WasmModule module = ((PreparedModule) prepared).module();
        Watchdog watchdog = new Watchdog("timing");

        report("engine.run add(40,2), fresh instance", () -> {
            Call call = new Call(inputs, Duration.ofSeconds(5), Instant.now().plusSeconds(5), 0, 0, null);
            if (!"42".equals(engine.run(prepared, call).output())) {
                throw new AssertionError();
            }
        });
        report("  Instance.builder(module).build()", () -> Instance.builder(module).withStart(false).build());
        Instance instance = Instance.builder(module).build();
        report("  export(\"add\").apply(40, 2) on a kept instance", () -> instance.export("add").apply(40, 2));
        report("  watchdog arm + disarm", () -> watchdog.arm(5_000_000_000L).disarm());
        report("  prepare (decode + parse), for scale", () -> engine.prepare(Modules.arithmetic().base64()));

        // cost of the per-instruction interrupt check on a tight loop of 1M iterations
        Wasm w = new Wasm();
        int t = w.type(params(I32), I32);
        // (func (param $n i32) (result i32) (loop (br_if 0 (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
        //   local.get $n)
        w.func("count", t, code().op(0x03, 0x40).localGet(0).i32(1).op(0x6b).op(0x22, 0x00).op(0x0d, 0x00).end()
                .localGet(0).end());
        WasmModule loop = Parser.parse(w.bytes());
        Instance plain = Instance.builder(loop).build();
        Instance checked = Instance.builder(loop).withUnsafeExecutionListener((i, s) -> {
            if (Thread.currentThread().isInterrupted()) {
                throw new ChicoryInterruptedException("Thread interrupted");
            }
        }).build();
        for (int round = 0; round < 3; round++) {
            long a = time(() -> plain.export("count").apply(1_000_000));
            long b = time(() -> checked.export("count").apply(1_000_000));
            System.out.printf("1M-iteration br_if loop: without check %d ms, with check %d ms%n", a / 1_000_000,
                    b / 1_000_000);
        }
        watchdog.close();
        engine.close();
    }

    private static long time(Body body) throws Exception {
        long start = System.nanoTime();
        body.run();
        return System.nanoTime() - start;
    }

    private static void report(String name, Body body) throws Exception {
        for (int i = 0; i < 50_000; i++) {
            body.run();
        }
        int n = 200_000;
        long[] samples = new long[n];
        for (int i = 0; i < n; i++) {
            long start = System.nanoTime();
            body.run();
            samples[i] = System.nanoTime() - start;
        }
        Arrays.sort(samples);
        System.out.printf("%-52s p50 %6.2f µs  p90 %6.2f µs  p99 %7.2f µs%n", name, samples[n / 2] / 1000.0,
                samples[n * 9 / 10] / 1000.0, samples[n * 99 / 100] / 1000.0);
    }
}
