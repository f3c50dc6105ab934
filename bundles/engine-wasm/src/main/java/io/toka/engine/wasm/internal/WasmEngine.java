package io.toka.engine.wasm.internal;

import com.dylibso.chicory.runtime.ByteArrayMemory;
import com.dylibso.chicory.runtime.ChicoryInterruptedException;
import com.dylibso.chicory.runtime.ExecutionListener;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.runtime.TableInstance;
import com.dylibso.chicory.runtime.WasmException;
import com.dylibso.chicory.wasi.WasiExitException;
import com.dylibso.chicory.wasi.WasiOptions;
import com.dylibso.chicory.wasi.WasiPreview1;
import com.dylibso.chicory.wasm.ChicoryException;
import com.dylibso.chicory.wasm.UninstantiableException;
import com.dylibso.chicory.wasm.UnlinkableException;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import com.dylibso.chicory.wasm.types.MemorySection;
import com.dylibso.chicory.wasm.types.Table;
import com.dylibso.chicory.wasm.types.TableLimits;
import com.dylibso.chicory.wasm.types.TableSection;
import io.toka.runtime.execution.ExecutionEngine;
import io.toka.runtime.execution.ExecutionResult.ResourceUsage;
import java.io.ByteArrayInputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code wasm} language: calls an exported function of a WebAssembly module with Chicory's interpreter (pure
 * Java, in-process).
 *
 * <h2>Input</h2>
 * <ul>
 * <li>{@code code}: the binary module as base64, standard or URL-safe, padded or not, whitespace ignored. The
 * text format (WAT) is not accepted: Chicory 1.7.5 has no WAT parser at run time. Or empty code and
 * {@code inputs.module_path}: a path relative to the workspace; {@code ..}, absolute paths and symbolic links that
 * lead outside the workspace are refused.</li>
 * <li>{@code inputs.function} (required): the name of an exported function. A missing name is answered with the
 * exports that do exist.</li>
 * <li>{@code inputs.args}: an array of numbers, one per parameter, converted to i32/i64/f32/f64 with range checks
 * (see {@link Values#arguments}). Omitted means no arguments.</li>
 * <li>{@code inputs.wasi}: {@code true} to link WASI preview 1: stdout and stderr are captured, stdin is empty,
 * there are no arguments, no environment and no preopened directories, so no file access. Without it a module may
 * import nothing. The function may be {@code _start}, a WASI command's entry point.</li>
 * </ul>
 *
 * <h2>Output</h2>
 * A function with results gives their JSON: the value for one result, an array for several; i32 and i64 are
 * signed, and NaN and the infinities are strings. A function without results gives {@code null}, or under WASI
 * what it wrote to stdout. Under WASI the exit code is {@code proc_exit}'s (0 when the function returns) and a
 * non-zero one is a failure carrying stderr.
 *
 * <h2>Limits</h2>
 * Each run gets a fresh instance, so memory and globals never leak between runs or callers. Linear memory is
 * capped at the smaller of {@code maxMemoryPages} and the run's memory limit ({@code memory.grow} past it returns
 * -1, as the spec allows); tables at {@code maxTableElements}. The deadline interrupts the running thread, and the
 * interpreter checks the interrupt on every instruction, so even a loop of {@code br_if} stops.
 */
@Component(service = ExecutionEngine.class, property = ExecutionEngine.LANGUAGE + "=" + WasmEngine.LANGUAGE,
        configurationPid = WasmEngine.PID)
@Designate(ocd = WasmEngine.Config.class)
public final class WasmEngine implements ExecutionEngine {

    static final String LANGUAGE = "wasm";
    static final String PID = "io.toka.engine.wasm";
    static final String VERSION = "Chicory 1.7.5";

    private static final Logger LOG = LoggerFactory.getLogger(WasmEngine.class);
    private static final int PAGE_BYTES = 64 * 1024;
    private static final long DEFAULT_OUTPUT_BYTES = 1024 * 1024;

    /**
     * Chicory 1.7.5's interpreter checks the interrupt flag only on {@code br}, calls and {@code call_indirect}, so
     * a loop closed by {@code br_if} or {@code br_table} would never stop. Checking here, on every instruction,
     * closes that gap for a volatile read per instruction.
     */
    private static final ExecutionListener INTERRUPT_CHECK = (instruction, stack) -> {
        if (Thread.currentThread().isInterrupted()) {
            throw new ChicoryInterruptedException("Thread interrupted");
        }
    };

    @ObjectClassDefinition(name = "Toka WebAssembly engine",
            description = "Runs exported functions of WebAssembly modules with Chicory, in-process.")
    public @interface Config {
        @AttributeDefinition(name = "Maximum memory pages",
                description = "Upper bound on a module's linear memory, in 64 KiB pages (1024 = 64 MiB); a run's "
                        + "memory limit lowers it further. 1 to 65536.")
        int maxMemoryPages() default 1024;

        @AttributeDefinition(name = "Maximum table elements",
                description = "Upper bound on each table of a module, in elements.")
        int maxTableElements() default 100_000;

        @AttributeDefinition(name = "WASI enabled",
                description = "Whether runs may ask for WASI preview 1 (inputs.wasi: true). WASI never gets "
                        + "files, environment or arguments; it gives captured stdout/stderr, clocks and random.")
        boolean wasi() default true;

        @AttributeDefinition(name = "Maximum module file size",
                description = "Largest module file accepted through inputs.module_path, in bytes.")
        long maxModuleBytes() default 16L * 1024 * 1024;

        @AttributeDefinition(name = "Module file cache size",
                description = "How many parsed modules named by inputs.module_path to keep.")
        int moduleCacheSize() default 64;
    }

    private final int maxMemoryPages;
    private final int maxTableElements;
    private final boolean wasiEnabled;
    private final ModuleFiles moduleFiles;
    private final Watchdog watchdog;

    /**
     * @param config the configuration
     * @throws IllegalArgumentException if a value is out of range
     */
    @Activate
    public WasmEngine(Config config) {
        if (config.maxMemoryPages() < 1 || config.maxMemoryPages() > MemoryLimits.MAX_PAGES) {
            throw new IllegalArgumentException("maxMemoryPages must be 1 to " + MemoryLimits.MAX_PAGES + ", not "
                    + config.maxMemoryPages());
        }
        if (config.maxTableElements() < 0) {
            throw new IllegalArgumentException("maxTableElements must be 0 or more, not "
                    + config.maxTableElements());
        }
        if (config.maxModuleBytes() < 8) {
            throw new IllegalArgumentException("maxModuleBytes must be at least 8, not " + config.maxModuleBytes());
        }
        if (config.moduleCacheSize() < 0) {
            throw new IllegalArgumentException("moduleCacheSize must be 0 or more, not "
                    + config.moduleCacheSize());
        }
        this.maxMemoryPages = config.maxMemoryPages();
        this.maxTableElements = config.maxTableElements();
        this.wasiEnabled = config.wasi();
        this.moduleFiles = new ModuleFiles(config.moduleCacheSize(), config.maxModuleBytes());
        this.watchdog = new Watchdog("toka-wasm-deadline");
        LOG.info("WebAssembly engine ({}) ready: memory up to {} pages, tables up to {} elements, WASI {}",
                VERSION, maxMemoryPages, maxTableElements, wasiEnabled ? "on request" : "disabled");
    }

    /** Stops the deadline timer; harmless twice. */
    @Deactivate
    public void close() {
        watchdog.close();
    }

    @Override
    public String language() {
        return LANGUAGE;
    }

    @Override
    public String version() {
        return VERSION;
    }

    /**
     * Decodes and parses the module.
     *
     * @param code the module as base64, or empty when {@code inputs.module_path} names it
     * @return a {@link PreparedModule}, or {@link #NO_CODE} for empty code
     */
    @Override
    public Object prepare(String code) throws CodeException {
        String compact = stripWhitespace(code);
        if (compact.isEmpty()) {
            return NO_CODE;
        }
        byte[] bytes;
        try {
            bytes = compact.indexOf('-') >= 0 || compact.indexOf('_') >= 0
                    ? Base64.getUrlDecoder().decode(compact)
                    : Base64.getDecoder().decode(compact);
        } catch (IllegalArgumentException e) {
            String hint = compact.startsWith("(module") || compact.startsWith("(")
                    ? " (the WebAssembly text format is not supported: send the binary module as base64)" : "";
            throw new CodeException("invalid WebAssembly module: the code is not base64: " + e.getMessage()
                    + hint, 0, e);
        }
        return PreparedModule.parse(bytes, "");
    }

    /** What {@link #prepare} returns for empty code: the module comes from {@code inputs.module_path}. */
    static final Object NO_CODE = new Object() {
        @Override
        public String toString() {
            return "no module code";
        }
    };

    @Override
    public EngineResult run(Object prepared, Call call) throws CodeException, InterruptedException {
        if (Thread.interrupted()) {
            throw new InterruptedException("interrupted before the module ran");
        }
        Map<String, Object> inputs = call.inputs() == null ? Map.of() : call.inputs();
        PreparedModule module = module(prepared, inputs, call);
        String function = function(inputs);
        FunctionType type = module.functions().get(function);
        if (type == null) {
            throw new CodeException("no exported function '" + function + "'; exports: " + module.exportSummary(),
                    0);
        }
        long[] args = Values.arguments(function, type, inputs.get("args"));
        boolean wasi = wasi(inputs);
        if (!module.imports().isEmpty() && !(wasi && module.wasiOnly())) {
            throw new CodeException("the module imports " + String.join(", ", module.imports())
                    + "; this engine links only WASI preview 1 functions (" + PreparedModule.WASI_MODULE
                    + "), with inputs.wasi: true", 0);
        }
        int pages = memoryPages(call);
        checkDeclaredSizes(module.module(), pages);
        long outputCap = call.maxOutputBytes() > 0 ? call.maxOutputBytes() : DEFAULT_OUTPUT_BYTES;
        CappedOutput stdout = wasi ? new CappedOutput(outputCap) : null;
        CappedOutput stderr = wasi ? new CappedOutput(outputCap) : null;

        long[] results = null;
        Memory[] memory = new Memory[1];
        Throwable failure = null;
        Watchdog.Ticket ticket = arm(call);
        boolean timedOut;
        try (WasiPreview1 wasiHost = wasi ? wasiHost(stdout, stderr) : null) {
            Instance.Builder builder = Instance.builder(module.module())
                    .withStart(false)
                    .withMemoryFactory(limits -> memory[0] = new ByteArrayMemory(
                            new MemoryLimits(limits.initialPages(), Math.min(limits.maximumPages(), pages),
                                    limits.shared())))
                    .withTableFactory(this::table)
                    .withUnsafeExecutionListener(INTERRUPT_CHECK);
            if (wasiHost != null) {
                builder.withImportValues(ImportValues.builder().addFunction(wasiHost.toHostFunctions()).build());
            }
            results = builder.build().export(function).apply(args);
        } catch (Throwable e) {
            failure = e;
        } finally {
            timedOut = ticket != null && ticket.disarm();
        }

        ResourceUsage usage = new ResourceUsage(memory[0] == null ? 0 : (long) memory[0].pages() * PAGE_BYTES, -1);
        Integer exitCode = wasi ? 0 : null;
        if (failure instanceof WasiExitException exit) {
            exitCode = exit.exitCode();
            failure = null;
        }
        if (failure == null) {
            if (exitCode != null && exitCode != 0) {
                return new EngineResult(false, stdout.toString(), withStderr("exited with code " + exitCode,
                        stderr), exitCode, usage);
            }
            String output = !type.returns().isEmpty() || !wasi ? Values.json(type, results) : stdout.toString();
            return new EngineResult(true, output, null, exitCode, usage);
        }
        if (timedOut) {
            return failed("stopped: timed out after " + timeoutMillis(call) + " ms", stdout, stderr, usage);
        }
        if (isInterruption(failure)) {
            Thread.interrupted();
            throw new InterruptedException("stopped: interrupted");
        }
        return failed(message(failure), stdout, stderr, usage);
    }

    private PreparedModule module(Object prepared, Map<String, Object> inputs, Call call) throws CodeException {
        Object path = inputs.get("module_path");
        if (prepared instanceof PreparedModule module) {
            if (path != null) {
                throw new CodeException("give the module either as base64 code or as inputs.module_path, not both",
                        0);
            }
            return module;
        }
        if (prepared != NO_CODE) {
            throw new IllegalArgumentException("not prepared by this engine: " + prepared);
        }
        if (path == null) {
            throw new CodeException("no module: send it as base64 code, or leave the code empty and name a file "
                    + "in the workspace with inputs.module_path", 0);
        }
        if (!(path instanceof String relative)) {
            throw new CodeException("inputs.module_path must be a string", 0);
        }
        return moduleFiles.load(call.workspace(), relative);
    }

    private static String function(Map<String, Object> inputs) throws CodeException {
        Object function = inputs.get("function");
        if (function == null) {
            throw new CodeException("inputs.function is required: the name of an exported function", 0);
        }
        if (!(function instanceof String name) || name.isEmpty()) {
            throw new CodeException("inputs.function must be the name of an exported function, not " + function,
                    0);
        }
        return name;
    }

    private boolean wasi(Map<String, Object> inputs) throws CodeException {
        Object wasi = inputs.get("wasi");
        if (wasi == null || Boolean.FALSE.equals(wasi)) {
            return false;
        }
        if (!Boolean.TRUE.equals(wasi)) {
            throw new CodeException("inputs.wasi must be true or false, not " + wasi, 0);
        }
        if (!wasiEnabled) {
            throw new CodeException("WASI is disabled in this engine's configuration", 0);
        }
        return true;
    }

    private int memoryPages(Call call) {
        long fromCall = call.memoryBytes() > 0 ? call.memoryBytes() / PAGE_BYTES : Long.MAX_VALUE;
        return (int) Math.min(maxMemoryPages, fromCall);
    }

    /** Refuses up front what could never be instantiated within the limits, with a message saying why. */
    private void checkDeclaredSizes(WasmModule module, int pages) throws CodeException {
        Optional<MemorySection> memories = module.memorySection();
        if (memories.isPresent()) {
            for (int i = 0; i < memories.get().memoryCount(); i++) {
                int initial = memories.get().getMemory(i).limits().initialPages();
                if (initial > pages) {
                    throw new CodeException("the module needs " + initial + " memory pages (" + mib(initial)
                            + ") at start; this run allows " + pages + " (" + mib(pages) + ")", 0);
                }
            }
        }
        TableSection tables = module.tableSection();
        for (int i = 0; i < tables.tableCount(); i++) {
            long min = tables.getTable(i).limits().min();
            if (min > maxTableElements) {
                throw new CodeException("the module needs a table of " + min + " elements at start; the limit is "
                        + maxTableElements, 0);
            }
        }
    }

    /**
     * A table with its own copy of the limits: Chicory 1.7.5 grows a table by mutating the limits object it was
     * given, which belongs to the shared, cached module. The copy also caps growth.
     */
    private TableInstance table(Table table, int initialRef) {
        TableLimits limits = table.limits();
        long max = Math.max(limits.min(), Math.min(limits.max(), maxTableElements));
        return new CappedTable(new Table(table.elementType(), new TableLimits(limits.min(), max),
                table.initialize()), initialRef);
    }

    /**
     * Chicory 1.7.5 checks {@code size + delta} against the maximum in {@code int} arithmetic, so
     * {@code table.grow} by 2^31-1 overflows past the check into a {@link NegativeArraySizeException}. The check is
     * redone here in {@code long}, answering -1 as the spec says.
     */
    private static final class CappedTable extends TableInstance {
        CappedTable(Table table, int initialRef) {
            super(table, initialRef);
        }

        @Override
        public int grow(int delta, int initialRef, Instance instance) {
            if (delta < 0 || (long) size() + delta > limits().max()) {
                return -1;
            }
            return super.grow(delta, initialRef, instance);
        }
    }

    private static WasiPreview1 wasiHost(CappedOutput stdout, CappedOutput stderr) {
        WasiOptions options = WasiOptions.builder()
                .withStdin(new ByteArrayInputStream(new byte[0]))
                .withStdout(stdout)
                .withStderr(stderr)
                .withArguments(List.of())
                .build();
        return WasiPreview1.builder().withOptions(options).build();
    }

    private Watchdog.Ticket arm(Call call) {
        Instant deadline = call.deadline();
        if (deadline != null) {
            return watchdog.arm(Duration.between(Instant.now(), deadline).toNanos());
        }
        if (call.timeout() != null) {
            return watchdog.arm(call.timeout().toNanos());
        }
        return null;
    }

    private static long timeoutMillis(Call call) {
        return call.timeout() != null ? call.timeout().toMillis() : 0;
    }

    private static boolean isInterruption(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof ChicoryInterruptedException || t instanceof InterruptedException) {
                return true;
            }
        }
        return false;
    }

    private static String message(Throwable failure) {
        if (failure instanceof StackOverflowError) {
            return "trap: call stack exhausted";
        }
        if (failure instanceof OutOfMemoryError) {
            LOG.warn("A WebAssembly run ran the JVM out of memory; lower maxMemoryPages or the engine's concurrency",
                    failure);
            return "stopped: the JVM ran out of memory";
        }
        if (failure instanceof UninstantiableException) {
            // a trap in the start function, or a data or element segment that does not fit
            return "the module cannot be instantiated: " + PreparedModule.describe(failure);
        }
        if (failure instanceof WasmException exception) {
            return "trap: uncaught WebAssembly exception (tag " + exception.tagIdx() + ")";
        }
        if (failure instanceof UnlinkableException) {
            return "the module cannot be linked: " + PreparedModule.describe(failure);
        }
        if (failure instanceof ChicoryException || failure instanceof ArithmeticException
                || failure instanceof IndexOutOfBoundsException) {
            return "trap: " + PreparedModule.describe(failure);
        }
        LOG.warn("Unexpected failure in a WebAssembly run", failure);
        return "failed: " + PreparedModule.describe(failure);
    }

    private static EngineResult failed(String message, CappedOutput stdout, CappedOutput stderr,
            ResourceUsage usage) {
        return new EngineResult(false, stdout == null ? null : stdout.toString(), withStderr(message, stderr), null,
                usage);
    }

    private static String withStderr(String message, CappedOutput stderr) {
        return stderr == null || stderr.isEmpty() ? message : message + "\nstderr:\n" + stderr;
    }

    private static String mib(int pages) {
        return pages / 16 + " MiB";
    }

    private static String stripWhitespace(String code) {
        if (code == null) {
            return "";
        }
        StringBuilder out = null;
        for (int i = 0; i < code.length(); i++) {
            char c = code.charAt(i);
            if (Character.isWhitespace(c)) {
                if (out == null) {
                    out = new StringBuilder(code.length()).append(code, 0, i);
                }
            } else if (out != null) {
                out.append(c);
            }
        }
        return out == null ? code : out.toString();
    }
}
