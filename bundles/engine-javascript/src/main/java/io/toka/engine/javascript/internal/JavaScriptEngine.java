package io.toka.engine.javascript.internal;

import io.toka.runtime.execution.ExecutionEngine;
import io.toka.runtime.execution.ExecutionResult.ResourceUsage;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import org.mozilla.javascript.Context;
import org.mozilla.javascript.EcmaError;
import org.mozilla.javascript.EvaluatorException;
import org.mozilla.javascript.JavaScriptException;
import org.mozilla.javascript.RhinoException;
import org.mozilla.javascript.Script;
import org.mozilla.javascript.ScriptRuntime;
import org.mozilla.javascript.Scriptable;
import org.mozilla.javascript.ScriptableObject;
import org.mozilla.javascript.TopLevel;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.metatype.annotations.Designate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * JavaScript on Rhino, interpreted, in-process. For trusted scripts only: Rhino is not a sandbox.
 *
 * <p><b>What a script sees.</b> The ECMAScript standard library ({@code initSafeStandardObjects}: no
 * {@code Packages}, {@code java}, {@code JavaAdapter} or {@code importPackage}), plus {@code inputs} (the call's
 * inputs as plain objects and arrays), {@code print(...)} and {@code console.log/info/warn/error/debug(...)}. A
 * class shutter refuses every Java class, so no path leads from a script to a Java object.
 *
 * <p><b>Output.</b> The lines the script printed (each call one line: arguments joined by spaces, strings as they
 * are, objects as JSON), followed by the JSON of the script's completion value (the value of its last expression
 * statement). A completion value JSON cannot represent ({@code undefined}, a function, a symbol) adds nothing, so
 * a script that only prints outputs exactly its lines, and {@code 1+1} outputs {@code 2}. Printed lines past the
 * call's output limit are dropped with a closing note; a result whose JSON does not fit fails the run. A run
 * that fails keeps what it printed: a runtime error after printing is a failed result with that output rather
 * than a {@link CodeException}, which has no room for it.
 *
 * <p><b>Speed.</b> One sealed standard scope is built at activation and shared by every run; a run gets a fresh,
 * empty top-level object whose prototype is that scope, so globals a script defines are its own and it cannot
 * change the built-ins others see. {@link #prepare} compiles once to an interpreted {@link Script}, which holds
 * no per-run state and runs concurrently in separate contexts.
 *
 * <p><b>Limits.</b> Every 10,000 instructions the run checks the interrupt flag, the instruction budget, the call's
 * deadline and, if configured, the bytes its thread has allocated against the call's memory limit.
 * Between checks nothing stops it, so a single long native call (a huge sort, a catastrophic regular expression,
 * {@code 'x'.repeat(1e9)}) runs to its end. Memory is not isolated: a run shares the heap with the whole agent.
 */
@Component(service = ExecutionEngine.class, configurationPid = JavaScriptEngine.PID,
        property = ExecutionEngine.LANGUAGE + "=" + JavaScriptEngine.LANGUAGE)
@Designate(ocd = JavaScriptConfig.class)
public final class JavaScriptEngine implements ExecutionEngine {

    /** Configuration PID. */
    public static final String PID = "io.toka.engine.javascript";

    /** The language name. */
    public static final String LANGUAGE = "javascript";

    static final long DEFAULT_INSTRUCTION_LIMIT = 500_000_000L;
    static final int DEFAULT_STACK_DEPTH = 1000;
    static final int MAX_STACK_DEPTH = 100_000;

    /** Output cap when a call gives none. */
    static final long DEFAULT_OUTPUT_BYTES = 1024 * 1024;

    /** Name scripts are compiled under; it appears in nothing the caller sees. */
    private static final String SOURCE_NAME = "script";

    private static final String STACK_DEPTH_MESSAGE = "Exceeded maximum stack depth";

    private static final Logger LOG = LoggerFactory.getLogger(JavaScriptEngine.class);

    /**
     * @param instructionLimit instructions per run, 0 for no limit
     * @param maxStackDepth nested calls per run
     * @param countAllocations whether the call's memory limit is enforced as an allocation budget
     */
    record Settings(long instructionLimit, int maxStackDepth, boolean countAllocations) {
        Settings {
            if (instructionLimit < 0) {
                throw new IllegalArgumentException("instructionLimit must be 0 (none) or positive, not "
                        + instructionLimit);
            }
            if (maxStackDepth < 1 || maxStackDepth > MAX_STACK_DEPTH) {
                throw new IllegalArgumentException("maxStackDepth must be 1-" + MAX_STACK_DEPTH + ", not "
                        + maxStackDepth);
            }
        }

        static Settings defaults() {
            return new Settings(DEFAULT_INSTRUCTION_LIMIT, DEFAULT_STACK_DEPTH, false);
        }
    }

    /** What {@link #prepare} returns: an immutable compiled script, safe to run from many threads at once. */
    record Compiled(Script script) {
    }

    private final Settings settings;
    private final EngineContextFactory factory;
    private final ScriptableObject shared;
    private final ThreadMeter meter;
    private final ThreadMeter allocationMeter;
    private final String version;

    @Activate
    public JavaScriptEngine(JavaScriptConfig config) {
        this(new Settings(config.instructionLimit(), config.maxStackDepth(), config.countAllocations()));
    }

    JavaScriptEngine(Settings settings) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.factory = new EngineContextFactory(settings.maxStackDepth());
        this.meter = new ThreadMeter();
        this.allocationMeter = settings.countAllocations() && meter.countsAllocations() ? meter : null;
        Context cx = factory.enterUnlimited();
        try {
            this.version = versionOf(cx.getImplementationVersion());
            this.shared = sharedScope(cx);
        } finally {
            Context.exit();
        }
        LOG.info("JavaScript engine {} ready: instruction limit {}, stack depth {}, allocations {}", version,
                settings.instructionLimit() == 0 ? "none" : settings.instructionLimit(), settings.maxStackDepth(),
                allocationMeter != null ? "counted against the memory limit"
                        : settings.countAllocations() ? "not measurable here (no com.sun.management)" : "not counted");
    }

    /**
     * The standard objects, sealed, with every lazily loaded constructor resolved first: a sealed scope then holds
     * no state a run could change or two runs could race on.
     */
    private static ScriptableObject sharedScope(Context cx) {
        ScriptableObject scope = cx.initSafeStandardObjects(new TopLevel(), true);
        JsValues.installPrinting(cx, scope);
        for (Object id : scope.getAllIds()) {
            if (id instanceof String name) {
                ScriptableObject.getProperty(scope, name);
            }
        }
        scope.sealObject();
        return scope;
    }

    private static String versionOf(String implementation) {
        // Rhino reports e.g. "Rhino 1.9.2 2026 03 25"; keep the name and the number.
        String[] words = implementation == null ? new String[0] : implementation.trim().split("\\s+");
        if (words.length >= 2 && words[0].equals("Rhino")) {
            return "Rhino " + words[1];
        }
        Package p = Context.class.getPackage();
        String v = p == null ? null : p.getImplementationVersion();
        return "Rhino " + (v == null ? "unknown" : v);
    }

    @Override
    public String language() {
        return LANGUAGE;
    }

    @Override
    public String version() {
        return version;
    }

    @Override
    public Object prepare(String code) throws CodeException {
        Objects.requireNonNull(code, "code");
        Context cx = factory.enterUnlimited();
        try {
            return new Compiled(cx.compileString(code, SOURCE_NAME, 1, null));
        } catch (EvaluatorException e) {
            throw new CodeException("SyntaxError: " + e.details(), e.lineNumber());
        } catch (EcmaError e) {
            throw new CodeException(e.getName() + ": " + e.getErrorMessage(), e.lineNumber());
        } catch (StackOverflowError e) {
            throw new CodeException("SyntaxError: code nested too deeply", 0);
        } finally {
            Context.exit();
        }
    }

    @Override
    public EngineResult run(Object prepared, Call call) throws CodeException, InterruptedException {
        if (!(prepared instanceof Compiled compiled)) {
            throw new IllegalArgumentException("not prepared by the JavaScript engine: "
                    + (prepared == null ? "null" : prepared.getClass().getName()));
        }
        Objects.requireNonNull(call, "call");
        if (Thread.interrupted()) {
            throw new InterruptedException("interrupted before the JavaScript run started");
        }
        long cpuStart = meter.cpuNanos();
        long outputLimit = call.maxOutputBytes() > 0 ? call.maxOutputBytes() : DEFAULT_OUTPUT_BYTES;
        Instant deadline = call.deadline();
        long deadlineNanos = deadline == null ? 0
                : System.nanoTime() + saturatedNanos(Duration.between(Instant.now(), deadline));
        long allocationLimit = call.memoryBytes() > 0 ? call.memoryBytes() : Long.MAX_VALUE;
        RunContext cx = factory.runContext(settings.instructionLimit(), deadlineNanos, deadline != null,
                call.memoryBytes() > 0 ? allocationMeter : null, allocationLimit, outputLimit);
        factory.enter(cx);
        try {
            return execute(compiled, call, cx, outputLimit, cpuStart);
        } finally {
            Context.exit();
        }
    }

    /** Runs inside the entered context, so that error values can still be read (their getters are script code). */
    private EngineResult execute(Compiled compiled, Call call, RunContext cx, long outputLimit, long cpuStart)
            throws CodeException, InterruptedException {
        try {
            if (cx.pastDeadline()) {
                return failure(cx, timedOut(call), cpuStart);
            }
            Scriptable scope = runScope();
            Map<String, Object> inputs = call.inputs() == null ? Map.of() : call.inputs();
            scope.put("inputs", scope, JsValues.toJs(cx, scope, inputs));
            Object value = compiled.script().exec(cx, scope);
            String json = JsValues.toJson(cx, scope, value);
            long room = outputLimit - cx.printedBytes();
            long jsonBytes = Utf8.length(json);
            if (jsonBytes > room) {
                return failure(cx, "result is " + jsonBytes + " bytes of JSON, over the output limit of "
                        + outputLimit + " bytes", cpuStart);
            }
            return new EngineResult(true, cx.printed() + json, null, null, usage(cpuStart));
        } catch (RunContext.Stop stop) {
            return stopped(stop, call, cx, cpuStart);
        } catch (EcmaError e) {
            return codeFailure(cx, e.getName() + ": " + e.getErrorMessage(), e.lineNumber(), cpuStart);
        } catch (JavaScriptException e) {
            return codeFailure(cx, thrownMessage(e), e.lineNumber(), cpuStart);
        } catch (EvaluatorException e) {
            if (STACK_DEPTH_MESSAGE.equals(e.details())) {
                return failure(cx, "stopped: maximum stack depth of " + settings.maxStackDepth() + " exceeded",
                        cpuStart);
            }
            // Rhino's own runtime errors (a sealed object modified, say); a script catching one sees InternalError.
            return codeFailure(cx, "InternalError: " + e.details(), e.lineNumber(), cpuStart);
        } catch (RhinoException e) {
            return codeFailure(cx, "Error: " + e.details(), e.lineNumber(), cpuStart);
        } catch (StackOverflowError e) {
            // Recursion through native functions (callbacks, getters, toString) uses the Java stack.
            return failure(cx, "stopped: stack overflow (recursion through built-in functions too deep)", cpuStart);
        } catch (OutOfMemoryError e) {
            // Everything the run allocated is unreachable once we return, so the heap recovers; other threads may
            // have failed meanwhile, which is why this is logged.
            LOG.warn("A JavaScript run exhausted the heap and was stopped; lower the memory or instruction limit");
            return failure(cx, "stopped: out of memory", cpuStart);
        }
    }

    private EngineResult stopped(RunContext.Stop stop, Call call, RunContext cx, long cpuStart)
            throws InterruptedException {
        switch (stop.reason) {
            case INTERRUPTED:
                throw new InterruptedException("JavaScript run interrupted");
            case INSTRUCTIONS:
                return failure(cx, "stopped: instruction limit of " + settings.instructionLimit() + " reached",
                        cpuStart);
            case TIMEOUT:
                return failure(cx, timedOut(call), cpuStart);
            case ALLOCATION:
            default:
                return failure(cx, "stopped: allocated more than the memory limit of " + call.memoryBytes()
                        + " bytes (every allocation counts, garbage included)", cpuStart);
        }
    }

    /** A fresh global for one run: empty, parent null, prototype the sealed shared scope. */
    private Scriptable runScope() {
        TopLevel scope = new TopLevel();
        scope.setPrototype(shared);
        scope.setParentScope(null);
        scope.cacheBuiltins(scope, false);
        // The shared globalThis and global are sealed and would not see the run's own globals, inputs among them.
        scope.put("globalThis", scope, scope);
        scope.put("global", scope, scope);
        return scope;
    }

    /**
     * "Name: message" for a thrown Error object, "Uncaught value" for anything else. Reading the value may run
     * script code (getters, toString), still under the run's limits; if that fails the message says so.
     */
    private static String thrownMessage(JavaScriptException e) {
        try {
            Object value = e.getValue();
            if (value instanceof Scriptable error) {
                Object name = ScriptableObject.getProperty(error, "name");
                Object message = ScriptableObject.getProperty(error, "message");
                if (name instanceof CharSequence && message instanceof CharSequence) {
                    return name + ": " + message;
                }
            }
            return "Uncaught " + ScriptRuntime.toString(value);
        } catch (RhinoException notPrintable) {
            return "Uncaught exception without a string form";
        } catch (RunContext.Stop stop) {
            if (stop.reason == RunContext.Reason.INTERRUPTED) {
                Thread.currentThread().interrupt();
            }
            return "Uncaught exception without a string form";
        }
    }

    /**
     * A runtime error: a {@link CodeException}, as the engine contract asks, unless the script printed something
     * first. The exception carries no output, so then the error comes back as a failed result with the printed
     * lines and the line number written the way the runtime manager writes it.
     */
    private EngineResult codeFailure(RunContext cx, String message, int line, long cpuStart) throws CodeException {
        if (cx.printedBytes() == 0) {
            throw new CodeException(message, line);
        }
        return failure(cx, line > 0 ? message + " (line " + line + ")" : message, cpuStart);
    }

    private static String timedOut(Call call) {
        return "stopped: timed out after " + (call.timeout() == null ? 0 : call.timeout().toMillis()) + " ms";
    }

    private EngineResult failure(RunContext cx, String error, long cpuStart) {
        return new EngineResult(false, cx.printed(), error, null, usage(cpuStart));
    }

    private ResourceUsage usage(long cpuStart) {
        long cpuEnd = cpuStart < 0 ? -1 : meter.cpuNanos();
        return new ResourceUsage(-1, cpuEnd < 0 ? -1 : (cpuEnd - cpuStart) / 1_000_000);
    }

    private static long saturatedNanos(Duration d) {
        try {
            return d.toNanos();
        } catch (ArithmeticException e) {
            return d.isNegative() ? Long.MIN_VALUE / 2 : Long.MAX_VALUE / 2;
        }
    }
}
