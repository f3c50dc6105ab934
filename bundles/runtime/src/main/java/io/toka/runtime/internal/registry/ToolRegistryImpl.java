package io.toka.runtime.internal.registry;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.toka.runtime.registry.CallOptions;
import io.toka.runtime.registry.CancellationSignal;
import io.toka.runtime.registry.InvalidArgumentsException;
import io.toka.runtime.registry.RegisteredTool;
import io.toka.runtime.registry.ToolCallResult;
import io.toka.runtime.registry.ToolCallResult.Status;
import io.toka.runtime.registry.ToolProblem;
import io.toka.runtime.registry.ToolProvider;
import io.toka.runtime.registry.ToolRegistry;
import io.toka.runtime.registry.ToolRegistryListener;
import io.toka.runtime.registry.UnknownToolException;
import io.toka.event.EventPayload;
import io.toka.kernel.Kernel;
import io.toka.security.AuditLog;
import io.toka.security.Permissions;
import io.toka.security.RateLimitDecision;
import io.toka.security.RateLimiter;
import io.toka.security.SecurityContext;
import io.toka.tool.Tool;
import io.toka.tool.ToolDescriptor;
import io.toka.tool.ToolException;
import io.toka.tool.ToolInvocation;
import io.toka.tool.ToolResult;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleEvent;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.SynchronousBundleListener;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.osgi.util.tracker.ServiceTracker;
import org.osgi.util.tracker.ServiceTrackerCustomizer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The tool registry: a {@link ServiceTracker} over every {@link Tool} service, with an index by name that is
 * rebuilt on each service event. There is no other list of tools.
 *
 * <p>Calls run on a bounded pool of registry threads so that the caller can be answered when a tool overruns
 * its timeout, and each tool has its own concurrency cap so that one slow tool cannot take every thread. A tool whose
 * recent calls were all quick ({@link CallPace}) runs on the caller's thread instead, timed out by a
 * {@link DeadlineWatch}; its first slow or timed-out call sends it back to the pool.
 */
@Component(service = {ToolRegistry.class, ToolLifecycle.class}, configurationPid = ToolRegistryImpl.PID)
@Designate(ocd = ToolRegistryImpl.Config.class)
public final class ToolRegistryImpl implements ToolRegistry, ToolLifecycle {

    /** Configuration PID. */
    public static final String PID = "io.toka.registry";

    /** Registry configuration. */
    @ObjectClassDefinition(name = "Toka tool registry", description = "How tool calls are dispatched.")
    public @interface Config {
        @AttributeDefinition(name = "Concurrent calls per tool",
                description = "Calls of one tool that may run at once; more are refused with a 'busy' failure.", min = "1")
        int maxConcurrentCallsPerTool() default 64;

        @AttributeDefinition(name = "Call threads",
                description = "Threads that run tool calls, across all tools; more calls are refused as overloaded.", min = "1")
        int maxThreads() default 256;

        @AttributeDefinition(name = "Swap wait (ms)",
                description = "How long a call waits for a tool whose service just left (an update in progress) "
                        + "before it is answered 'unknown tool'.", min = "0")
        long swapWaitMillis() default 2000;
    }

    /**
     * How the registry contains misbehaving tools (same PID as {@link Config}: a second property type, so that code
     * building the registry with a hand-made {@link Config} keeps these defaults).
     */
    @ObjectClassDefinition(name = "Toka tool registry guards", description = "How misbehaving tools are contained.")
    public @interface Guards {
        @AttributeDefinition(name = "Quarantine after failures",
                description = "A tool whose service goes away while its bundle stays active, or whose component fails "
                        + "to activate, this many times within the window is quarantined (no calls) until its bundle "
                        + "is redeployed; 0 turns this off.", min = "0")
        int quarantineFailures() default 5;

        @AttributeDefinition(name = "Quarantine window (s)",
                description = "The window in which failures are counted for the quarantine.", min = "1")
        int quarantineWindowSeconds() default 60;

        @AttributeDefinition(name = "Overrunning calls per tool",
                description = "Calls of one tool that may still be running past their deadline (ignoring "
                        + "interruption, each holding a thread) before the tool's new calls are refused.", min = "1")
        int maxOverrunsPerTool() default 2;

        @AttributeDefinition(name = "Run quick tools inline",
                description = "Run a tool whose recent calls were all quick on its caller's thread (saves two thread "
                        + "hand-offs). A tool that then blocks and ignores interruption keeps the caller's thread; "
                        + "false runs every call on the pool, where the caller is always answered at the deadline.")
        boolean inlineQuickCalls() default true;
    }

    /** The defaults of {@link Guards}. */
    static final Guards DEFAULT_GUARDS = guards(5, 60, 2, true);

    /** A {@link Guards} with these values, for code that builds the registry by hand. */
    public static Guards guards(int quarantineFailures, int quarantineWindowSeconds, int maxOverrunsPerTool,
            boolean inlineQuickCalls) {
        return new Guards() {
            @Override
            public Class<? extends java.lang.annotation.Annotation> annotationType() {
                return Guards.class;
            }

            @Override
            public int quarantineFailures() {
                return quarantineFailures;
            }

            @Override
            public int quarantineWindowSeconds() {
                return quarantineWindowSeconds;
            }

            @Override
            public int maxOverrunsPerTool() {
                return maxOverrunsPerTool;
            }

            @Override
            public boolean inlineQuickCalls() {
                return inlineQuickCalls;
            }
        };
    }

    private static final Logger LOG = LoggerFactory.getLogger(ToolRegistryImpl.class);
    /** How long a call waits for its event's commit before it is answered anyway (and the delay logged). */
    private static final Duration EVENT_COMMIT_WAIT = Duration.ofSeconds(5);

    /** Where each call is recorded as a {@code tool.invoked} event, in the background; absent in plain unit tests. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile Kernel kernel;

    /** Declarative Services' runtime, to tell why a tool's component failed to activate; absent in unit tests. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile org.osgi.service.component.runtime.ServiceComponentRuntime components;

    /** Best first: higher ranking, then newer (higher service id). */
    static final Comparator<ToolEntry> PRECEDENCE = Comparator.<ToolEntry>comparingInt(e -> e.ranking).reversed()
            .thenComparing(Comparator.<ToolEntry>comparingLong(e -> e.serviceId).reversed());

    private final BundleContext context;
    private final Config config;
    private final Guards guards;
    private final CallGate gate;
    private final SchemaCompiler schemas;
    private final CallExecutor executor;
    /** Times out the calls of quick tools, which run on their caller's thread. */
    private final DeadlineWatch deadlines;
    private final Map<ServiceReference<Tool>, ToolEntry> entries = new ConcurrentHashMap<>();
    /** Name → entries, best first. Replaced wholesale on every service event; readers never lock. */
    private volatile Map<String, List<ToolEntry>> index = Map.of();
    /** Tools whose last service left while their bundle stayed installed, e.g. during bundle.update(). */
    private final Map<String, Departure> departures = new ConcurrentHashMap<>();
    private final Set<Long> leavingBundles = ConcurrentHashMap.newKeySet();
    private final Object changed = new Object();
    private final ServiceTracker<Tool, ToolEntry> tracker;
    private final SynchronousBundleListener bundleListener = this::bundleChanged;
    /** Tells the {@link ToolRegistryListener} services which names changed. */
    private final ListenerNotifier notifier;
    /** Tools held back after a crash loop or an out-of-memory call, until their bundle is redeployed. */
    private final Quarantine quarantine;
    /** Calls past their deadline that have not returned, and the threads they hold. */
    private final Overruns overruns = new Overruns();
    private volatile boolean closing;
    /** Name → the entry that answered for it at the last {@link #publishChanges}; guarded by {@code this}. */
    private Map<String, ToolEntry> winners = Map.of();

    private record Departure(long bundleId, long untilNanos) {
    }

    @Activate
    public ToolRegistryImpl(BundleContext context, Config config, Guards guards, @Reference RateLimiter limiter,
            @Reference AuditLog audit) {
        this(context, config, guards, new CallGate(limiter, audit));
    }

    /** The component's registry with the default {@link Guards}, for tests that build it by hand. */
    public ToolRegistryImpl(BundleContext context, Config config, RateLimiter limiter, AuditLog audit) {
        this(context, config, DEFAULT_GUARDS, new CallGate(limiter, audit));
    }

    /**
     * A registry without rate limits, for unit tests and benchmarks that build it by hand. The live token check and
     * every later step of the policy point still apply.
     */
    public ToolRegistryImpl(BundleContext context, Config config) {
        this(context, config, DEFAULT_GUARDS, CallGate.UNLIMITED);
    }

    /** As {@link #ToolRegistryImpl(BundleContext, Config)}, with the given guards. */
    public ToolRegistryImpl(BundleContext context, Config config, Guards guards) {
        this(context, config, guards, CallGate.UNLIMITED);
    }

    private ToolRegistryImpl(BundleContext context, Config config, Guards guards, CallGate gate) {
        this.context = context;
        this.config = config;
        this.guards = guards;
        this.gate = gate;
        this.schemas = new SchemaCompiler(new ObjectMapper());
        this.executor = new CallExecutor(config.maxThreads(), "toka-tool-");
        this.deadlines = new DeadlineWatch("toka-tool-deadlines");
        this.quarantine = new Quarantine(guards.quarantineFailures(),
                Duration.ofSeconds(Math.max(1, guards.quarantineWindowSeconds())));
        this.notifier = new ListenerNotifier(context);
        context.addBundleListener(bundleListener);
        this.tracker = new ServiceTracker<>(context, Tool.class, new Customizer());
        tracker.open(true);
        LOG.info("Tool registry started with {} tool(s)", index.size());
    }

    @Deactivate
    void deactivate() {
        closing = true;
        tracker.close();
        notifier.close();
        context.removeBundleListener(bundleListener);
        executor.shutdown();
        deadlines.shutdown();
        synchronized (changed) {
            changed.notifyAll();
        }
    }

    // ---------------------------------------------------------------- queries

    @Override
    public List<String> names() {
        Set<String> names = new TreeSet<>();
        index.forEach((name, candidates) -> {
            if (candidates.stream().anyMatch(ToolEntry::usable)) {
                names.add(name);
            }
        });
        return new ArrayList<>(names);
    }

    @Override
    public List<RegisteredTool> list() {
        Map<String, List<ToolEntry>> snapshot = index;
        List<RegisteredTool> out = new ArrayList<>(snapshot.size());
        for (String name : new TreeSet<>(snapshot.keySet())) {
            describe(snapshot.get(name)).ifPresent(out::add);
        }
        return out;
    }

    @Override
    public Optional<RegisteredTool> find(String name) {
        List<ToolEntry> candidates = index.get(name);
        return candidates == null ? Optional.empty() : describe(candidates);
    }

    private Optional<RegisteredTool> describe(List<ToolEntry> candidates) {
        ToolEntry winner = null;
        List<ToolProvider> shadowed = new ArrayList<>();
        for (ToolEntry e : candidates) {
            if (winner == null && e.usable()) {
                winner = e;
            } else {
                shadowed.add(e.provider());
            }
        }
        if (winner == null) {
            return Optional.empty();
        }
        try {
            ToolDescriptor d = winner.prepared(schemas).descriptor();
            return Optional.of(new RegisteredTool(d, winner.provider(), List.copyOf(shadowed)));
        } catch (ToolEntry.ActivationFailed e) {
            return Optional.empty(); // reported by problems(), logged once when it happened
        } catch (RuntimeException e) {
            LOG.warn("Cannot read the descriptor of {}", winner, e);
            return Optional.empty();
        }
    }

    // ---------------------------------------------------------------- calls

    @Override
    public ToolCallResult invoke(String name, Map<String, Object> arguments, SecurityContext caller)
            throws UnknownToolException, InvalidArgumentsException {
        return invoke(name, arguments, caller, CallOptions.NONE);
    }

    @Override
    public ToolCallResult invoke(String name, Map<String, Object> arguments, SecurityContext caller,
            CallOptions options) throws UnknownToolException, InvalidArgumentsException {
        CallOptions opts = options == null ? CallOptions.NONE : options;
        RateLimitDecision admitted = gate.admit(caller, name);
        ToolCallResult result = dispatch(name, arguments, caller, opts);
        if (admitted != null) {
            result = result.withRateLimit(admitted);
        }
        Kernel k = kernel;
        if (k != null) {
            // the call is acknowledged only once its event (and every audit record before it) is stored: a group
            // commit shared with concurrent calls, so a crash right after the answer loses no acknowledged call
            EventPayload.ToolInvoked event = new EventPayload.ToolInvoked(name, result.toolVersion(), caller.subject(),
                    result.isSuccess(), result.durationMs(), result.status().name().toLowerCase(java.util.Locale.ROOT));
            try {
                if (!k.postAndAwait(event, EVENT_COMMIT_WAIT)) {
                    LOG.warn("The tool.invoked event of a {} call by {} was not stored within {} ms", name,
                            caller.subject(), EVENT_COMMIT_WAIT.toMillis());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return result;
    }

    private ToolCallResult dispatch(String name, Map<String, Object> arguments, SecurityContext caller,
            CallOptions options) throws UnknownToolException, InvalidArgumentsException {
        long start = System.nanoTime();
        ToolEntry picked;
        Tool pickedTool;
        Prepared pickedPrepared;
        while (true) {
            try {
                picked = enter(name);
            } catch (Refused r) {
                return new ToolCallResult(Status.FAILURE, ToolResult.failure(r.getMessage()), System.nanoTime() - start,
                        "?");
            }
            try {
                pickedTool = picked.service();
                pickedPrepared = picked.prepared(schemas);
                break;
            } catch (ToolEntry.Gone gone) {
                // unregistered after we picked it (an in-place update): pick again, waiting for the replacement
                exit(picked);
            } catch (ToolEntry.ActivationFailed e) {
                exit(picked);
                return new ToolCallResult(Status.FAILURE, ToolResult.failure(e.getMessage()), System.nanoTime() - start,
                        picked.bundleVersion);
            } catch (RuntimeException e) {
                exit(picked);
                return new ToolCallResult(Status.FAILURE, ToolResult.failure(internalError(name, e)),
                        System.nanoTime() - start, picked.bundleVersion);
            }
        }
        final ToolEntry entry = picked;
        final Tool tool = pickedTool;
        final Prepared prepared = pickedPrepared;
        boolean handedOff = false;
        try {
            List<String> needed = new ArrayList<>(1 + prepared.descriptor().requiredPermissions().size());
            needed.add(Permissions.toolInvoke(name));
            needed.addAll(prepared.descriptor().requiredPermissions());
            caller.authorize("tool.invoke:" + name, needed);
            if (prepared.problem() != null) {
                return failed(entry, start, prepared.problem());
            }
            Map<String, Object> args = arguments == null ? Map.of() : arguments;
            List<String> violations;
            try {
                violations = schemas.validate(prepared.schema(), args);
            } catch (IllegalArgumentException e) {
                // the tool's schema is at fault (SchemaCompiler.ENDLESS), not the caller's arguments
                LOG.warn("Tool {} cannot check arguments against its input schema: {}", entry, e.getMessage());
                return failed(entry, start, "tool '" + name + "' cannot check its arguments: " + e.getMessage());
            }
            if (!violations.isEmpty()) {
                throw new InvalidArgumentsException(name, violations);
            }
            int overrunning = overruns.count(entry);
            if (overrunning >= guards.maxOverrunsPerTool()) {
                return failed(entry, start, "tool '" + name + "' is refused: " + overrunning + " of its calls ran past"
                        + " their deadline and still hold threads (the tool ignores interruption); it takes calls again"
                        + " once they end or it is redeployed");
            }
            if (!entry.permits.tryAcquire()) {
                return failed(entry, start, "tool '" + name + "' is busy: " + config.maxConcurrentCallsPerTool()
                        + " calls are already running; try again later");
            }
            CancellationSignal cancellation = options.cancellation();
            if (cancellation != null && cancellation.isCancelled()) {
                entry.permits.release();
                return cancelled(entry, start, cancellation);
            }
            Duration timeout = prepared.descriptor().timeout();
            ToolInvocation invocation = new ToolInvocation(args, caller.subject(), Instant.now().plus(timeout),
                    options.observer());
            java.util.concurrent.Callable<ToolResult> task = () -> {
                try {
                    if (cancellation != null && cancellation.isCancelled()) {
                        return null; // cancelled before a thread took it: the tool never runs
                    }
                    long began = System.nanoTime();
                    ToolResult r = run(entry, tool, invocation);
                    if (r == OUT_OF_MEMORY) {
                        return outOfMemory(entry);
                    }
                    entry.pace.finished(System.nanoTime() - began);
                    return r;
                } finally {
                    entry.permits.release();
                    exit(entry);
                }
            };
            if (guards.inlineQuickCalls() && entry.pace.inline()) {
                handedOff = true; // the task exits the entry
                return runInline(entry, prepared, task, timeout, start, cancellation);
            }
            CallExecutor.Call<ToolResult> future;
            try {
                future = executor.submit(task);
                handedOff = true;
            } catch (RejectedExecutionException e) {
                entry.permits.release();
                return failed(entry, start, "Toka is overloaded: all " + config.maxThreads()
                        + " tool threads are busy; try again later");
            }
            if (cancellation != null) {
                cancellation.onCancel(future::abandon);
            }
            return await(entry, prepared, future, timeout, start, cancellation);
        } finally {
            if (!handedOff) {
                exit(entry);
            }
        }
    }

    /**
     * Runs a quick tool's call on the caller's thread ({@link CallPace}), cancelled by the {@link DeadlineWatch} at
     * its deadline and by the caller's cancellation signal; a call that outlives its deadline is answered as a
     * timeout, and the tool's next calls go back to the pool.
     */
    private ToolCallResult runInline(ToolEntry entry, Prepared prepared, java.util.concurrent.Callable<ToolResult> task,
            Duration timeout, long start, CancellationSignal cancellation) {
        CallExecutor.Call<ToolResult> call = new CallExecutor.Call<>(task);
        long deadline = start + timeout.toNanos();
        DeadlineWatch.Watch watch = deadlines.arm(call, deadline, () -> {
            // at once, not when the call returns: if the tool ignores the interrupt, its next callers must not
            // give it their threads too
            entry.pace.slow();
            overruns.started(entry, call, deadline);
        });
        if (cancellation != null) {
            cancellation.onCancel(call::abandon);
        }
        try {
            call.run();
        } finally {
            deadlines.disarm(watch);
        }
        if (watch.expired()) {
            return timedOut(entry, timeout, start);
        }
        return await(entry, prepared, call, timeout, start, cancellation);
    }

    private ToolCallResult timedOut(ToolEntry entry, Duration timeout, long start) {
        entry.pace.slow();
        return new ToolCallResult(Status.TIMEOUT, ToolResult.failure("tool '" + entry.name + "' timed out after "
                + human(timeout)), System.nanoTime() - start, versionOf(entry));
    }

    private ToolCallResult await(ToolEntry entry, Prepared prepared, CallExecutor.Call<ToolResult> future,
            Duration timeout, long start, CancellationSignal cancellation) {
        String version = versionOf(entry);
        try {
            ToolResult r = future.await(timeout.toNanos());
            if (r == null || !r.isSuccess() && future.isAbandoned()) {
                // never ran, or failed after the cancel interrupted it; a success that beat the cancel stands
                return cancelled(entry, start, cancellation);
            }
            if (r.isSuccess() && prepared.outputSchema() != null) {
                String mismatch = outputMismatch(entry, prepared, r);
                if (mismatch != null) {
                    return failed(entry, start, "the tool's result does not match its output schema: " + mismatch);
                }
            }
            return new ToolCallResult(r.isSuccess() ? Status.SUCCESS : Status.FAILURE, r, System.nanoTime() - start, version);
        } catch (CancellationException e) {
            return cancelled(entry, start, cancellation);
        } catch (TimeoutException e) {
            future.cancel();
            overruns.started(entry, future, start + timeout.toNanos());
            return timedOut(entry, timeout, start);
        } catch (InterruptedException e) {
            future.cancel();
            Thread.currentThread().interrupt();
            return failed(entry, start, "the call of tool '" + entry.name + "' was interrupted");
        } catch (Exception e) {
            // run() turns every Throwable into a result, so this means the executor itself failed
            return failed(entry, start, internalError(entry.name, e));
        }
    }

    /** @return why a successful result breaks the tool's output schema (the first violation), or {@code null} */
    private String outputMismatch(ToolEntry entry, Prepared prepared, ToolResult r) {
        String mismatch;
        if (r.structured() == null) {
            mismatch = "it has no structured value";
        } else {
            List<String> violations;
            try {
                violations = schemas.validateOutput(prepared.outputSchema(), r.structured());
            } catch (IllegalArgumentException e) {
                violations = List.of(SchemaCompiler.ENDLESS.equals(e.getMessage()) ? "its output schema cannot check it: "
                        + e.getMessage() : "its structured value cannot be written as JSON");
                LOG.debug("Structured value of {} cannot be checked", entry, e);
            }
            if (violations.isEmpty()) {
                return null;
            }
            mismatch = violations.get(0);
        }
        LOG.warn("Tool {} returned a result that does not match its output schema: {}", entry, mismatch);
        return mismatch;
    }

    /** What {@link #run} answers for a call that ran out of memory (then the tool is quarantined). */
    private static final ToolResult OUT_OF_MEMORY = ToolResult.failure("out of memory");

    private static ToolResult run(ToolEntry entry, Tool tool, ToolInvocation invocation) {
        try {
            ToolResult r = tool.invoke(invocation);
            return r != null ? r : ToolResult.failure("tool '" + entry.name + "' returned no result");
        } catch (OutOfMemoryError e) {
            // what the tool allocated is unreachable now that its stack is gone; allocate as little as possible here
            return OUT_OF_MEMORY;
        } catch (ToolException e) {
            LOG.debug("Tool {} failed: {}", entry, e.getMessage(), e);
            String msg = e.getMessage();
            return ToolResult.failure(msg == null || msg.isBlank() ? "tool '" + entry.name + "' failed" : msg);
        } catch (Throwable e) { // NOPMD: a tool's bug must never reach the caller as a stack trace
            if (Thread.currentThread().isInterrupted() || e instanceof InterruptedException) {
                return ToolResult.failure("tool '" + entry.name + "' was interrupted");
            }
            return ToolResult.failure(internalError(entry.name, e));
        }
    }

    /** Quarantines a tool whose call ran out of memory: the heap is shared, its next call could starve Toka. */
    private ToolResult outOfMemory(ToolEntry entry) {
        hold(entry, "a call ran out of memory (java.lang.OutOfMemoryError); Toka's heap is shared by every tool");
        return ToolResult.failure("tool '" + entry.name + "' ran out of memory and is quarantined until its bundle is"
                + " redeployed");
    }

    /** Quarantines a bundle's tool now. */
    private void hold(ToolEntry entry, String why) {
        Quarantine.Hold h = quarantine.hold(entry, why);
        if (h != null) {
            quarantined(entry, h);
        }
    }

    /** Takes a bundle's tool out of service after the quarantine held it. */
    private void quarantined(ToolEntry entry, Quarantine.Hold h) {
        for (ToolEntry e : entries.values()) {
            if (e.bundleId == entry.bundleId && e.name.equals(entry.name)) {
                e.quarantined = true;
            }
        }
        entry.quarantined = true;
        departures.remove(entry.name);
        LOG.warn("{}", h.reason());
        publishChanges();
        signal();
    }

    /** A call refused before it reached a tool (a quarantined tool); the message is for the caller. */
    private static final class Refused extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Refused(String message) {
            super(message, null, false, false);
        }
    }

    private static String internalError(String name, Throwable e) {
        String ref = UUID.randomUUID().toString().substring(0, 8);
        LOG.warn("Tool {} failed (reference {})", name, ref, e);
        return "tool '" + name + "' failed with an internal error (reference " + ref + " in the Toka log)";
    }

    private ToolCallResult cancelled(ToolEntry entry, long start, CancellationSignal cancellation) {
        String reason = cancellation == null ? null : cancellation.reason();
        return new ToolCallResult(Status.CANCELLED, ToolResult.failure("cancelled: "
                + (reason == null ? "cancelled by the caller" : reason)), System.nanoTime() - start, versionOf(entry));
    }

    private ToolCallResult failed(ToolEntry entry, long start, String message) {
        return new ToolCallResult(Status.FAILURE, ToolResult.failure(message), System.nanoTime() - start, versionOf(entry));
    }

    private String versionOf(ToolEntry entry) {
        try {
            return entry.prepared(schemas).descriptor().version();
        } catch (RuntimeException e) {
            return entry.bundleVersion;
        }
    }

    private static String human(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
    }

    /**
     * Picks the winning entry for a name and counts the call as in flight on it. If the tool's service just left
     * while its bundle stays (an update), waits for it to come back, up to the configured swap wait.
     */
    private ToolEntry enter(String name) throws UnknownToolException {
        long waitUntil = 0;
        while (true) {
            ToolEntry e = select(name);
            if (e != null) {
                e.inFlight.incrementAndGet();
                if (e.usable()) {
                    return e;
                }
                exit(e); // retired between select and increment: pick again
                continue;
            }
            Quarantine.Hold held = quarantine.anyFor(name);
            if (held != null) {
                throw new Refused(held.reason());
            }
            Departure d = departures.get(name);
            long now = System.nanoTime();
            if (d == null || now - d.untilNanos() >= 0) {
                if (d != null) {
                    departures.remove(name, d);
                }
                throw new UnknownToolException(name);
            }
            if (waitUntil == 0) {
                waitUntil = d.untilNanos();
                LOG.debug("Tool {} is away (bundle {} changing); waiting up to {} ms", name, d.bundleId(),
                        config.swapWaitMillis());
            }
            synchronized (changed) {
                if (select(name) == null && departures.containsKey(name)) {
                    try {
                        TimeUnit.NANOSECONDS.timedWait(changed, Math.max(1, waitUntil - now));
                    } catch (InterruptedException ie) {
                        Thread.currentThread().interrupt();
                        throw new UnknownToolException(name);
                    }
                }
            }
        }
    }

    private ToolEntry select(String name) {
        return select(index.get(name));
    }

    private static ToolEntry select(List<ToolEntry> candidates) {
        if (candidates != null) {
            for (int i = 0, n = candidates.size(); i < n; i++) {
                ToolEntry e = candidates.get(i);
                if (e.usable()) {
                    return e;
                }
            }
        }
        return null;
    }

    private void exit(ToolEntry entry) {
        if (entry.inFlight.decrementAndGet() == 0 && entry.retired) {
            synchronized (changed) {
                changed.notifyAll();
            }
        }
    }

    // ---------------------------------------------------------------- lifecycle (deployer)

    @Override
    public Set<String> toolsOf(long bundleId) {
        Set<String> names = new TreeSet<>();
        for (ToolEntry e : entries.values()) {
            if (e.bundleId == bundleId && !e.retired) {
                names.add(e.name);
            }
        }
        return names;
    }

    @Override
    public Set<String> awaitTools(long bundleId, Set<String> expected, Duration timeout) throws InterruptedException {
        long until = System.nanoTime() + timeout.toNanos();
        synchronized (changed) {
            while (true) {
                Set<String> have = toolsOf(bundleId);
                boolean done = expected.isEmpty() ? !have.isEmpty() : have.containsAll(expected);
                long left = until - System.nanoTime();
                if (done || left <= 0) {
                    return have;
                }
                TimeUnit.NANOSECONDS.timedWait(changed, left);
            }
        }
    }

    @Override
    public boolean retireAndDrain(long bundleId, Duration timeout) throws InterruptedException {
        leavingBundles.add(bundleId);
        List<ToolEntry> retired = new ArrayList<>();
        for (ToolEntry e : entries.values()) {
            if (e.bundleId == bundleId) {
                e.retired = true;
                retired.add(e);
            }
        }
        publishChanges();
        long until = System.nanoTime() + timeout.toNanos();
        synchronized (changed) {
            while (true) {
                // calls that ignore interruption past their deadline may never end: they are accounted for by
                // Overruns, and waiting for them would only hold up the swap
                boolean idle = retired.stream().allMatch(e -> e.inFlight.get() <= overruns.count(e));
                long left = until - System.nanoTime();
                if (idle || left <= 0) {
                    if (!idle) {
                        LOG.warn("Calls on bundle {} still running after {}; removing it anyway", bundleId, timeout);
                    }
                    return idle;
                }
                TimeUnit.NANOSECONDS.timedWait(changed, left);
            }
        }
    }

    @Override
    public void reinstate(long bundleId) {
        leavingBundles.remove(bundleId);
        for (ToolEntry e : entries.values()) {
            if (e.bundleId == bundleId) {
                e.retired = false;
            }
        }
        publishChanges();
        signal();
    }

    // ---------------------------------------------------------------- tracking

    private void bundleChanged(BundleEvent event) {
        if (event.getType() == BundleEvent.UPDATED || event.getType() == BundleEvent.UNINSTALLED) {
            long id = event.getBundle().getBundleId();
            if (quarantine.lift(id)) {
                for (ToolEntry e : entries.values()) {
                    if (e.bundleId == id) {
                        e.quarantined = false;
                    }
                }
                LOG.info("Quarantine of bundle {} lifted: it was redeployed", id);
                publishChanges();
            }
        }
        if (event.getType() == BundleEvent.UNINSTALLED) {
            long id = event.getBundle().getBundleId();
            leavingBundles.remove(id);
            if (departures.values().removeIf(d -> d.bundleId() == id)) {
                signal();
            }
        }
    }

    private void signal() {
        synchronized (changed) {
            changed.notifyAll();
        }
    }

    private synchronized void reindex() {
        Map<String, List<ToolEntry>> next = new HashMap<>();
        for (ToolEntry e : entries.values()) {
            next.computeIfAbsent(e.name, k -> new ArrayList<>(2)).add(e);
        }
        next.replaceAll((k, v) -> {
            v.sort(PRECEDENCE);
            return List.copyOf(v);
        });
        index = Map.copyOf(next);
        publishChanges();
        signal();
    }

    /**
     * Compares the entry that answers for each name (the first one not retired) with the last time, and hands the
     * names that changed to the listeners. Synchronized so that changes are computed, and queued, in order.
     */
    private synchronized void publishChanges() {
        Map<String, ToolEntry> now = new HashMap<>();
        index.forEach((name, candidates) -> {
            ToolEntry w = select(candidates);
            if (w != null) {
                now.put(name, w);
            }
        });
        Set<String> changedNames = new TreeSet<>();
        for (Map.Entry<String, ToolEntry> e : now.entrySet()) {
            if (winners.get(e.getKey()) != e.getValue()) {
                changedNames.add(e.getKey());
            }
        }
        for (String name : winners.keySet()) {
            if (!now.containsKey(name)) {
                changedNames.add(name);
            }
        }
        winners = now;
        if (!changedNames.isEmpty()) {
            notifier.toolsChanged(changedNames);
        }
    }

    private final class Customizer implements ServiceTrackerCustomizer<Tool, ToolEntry> {

        @Override
        public ToolEntry addingService(ServiceReference<Tool> reference) {
            Object name = reference.getProperty(Tool.NAME);
            if (!(name instanceof String n) || !ToolDescriptor.isValidName(n)) {
                LOG.warn("Ignoring Tool service {} from bundle {}: its '{}' property is {}; it must be a name matching {}",
                        reference.getProperty(Constants.SERVICE_ID), reference.getBundle(), Tool.NAME,
                        name == null ? "missing" : "'" + name + "'", ToolDescriptor.NAME_PATTERN);
                return null;
            }
            ToolEntry entry = new ToolEntry(context, reference, n, config.maxConcurrentCallsPerTool(),
                    ToolRegistryImpl.this::activationFailure);
            entry.quarantined = quarantine.get(entry.bundleId, n) != null;
            entries.put(reference, entry);
            departures.remove(n);
            reindex();
            LOG.info("Tool {} registered", entry);
            return entry;
        }

        @Override
        public void modifiedService(ServiceReference<Tool> reference, ToolEntry tracked) {
            // after a rename, entries holds a newer entry than the one the tracker keeps
            ToolEntry entry = entries.getOrDefault(reference, tracked);
            Object name = reference.getProperty(Tool.NAME);
            if (!entry.name.equals(name)) {
                // A renamed service is a different tool. The tracker would only add it again on a later
                // event, so re-add it here; an invalid new name drops it.
                ToolEntry renamed = addingService(reference);
                if (renamed == null) {
                    tracker.remove(reference);
                    return;
                }
                renamed.retired = entry.retired;
                publishChanges();
                entry.release();
                return;
            }
            entry.ranking = ToolEntry.rankingOf(reference);
            reindex();
        }

        @Override
        public void removedService(ServiceReference<Tool> reference, ToolEntry tracked) {
            ToolEntry current = entries.remove(reference);
            ToolEntry entry = current != null ? current : tracked;
            if (wentAwayOnItsOwn(entry)) {
                Quarantine.Hold h = quarantine.failed(entry, "went away while its bundle stayed active");
                if (h != null) {
                    quarantined(entry, h);
                }
            }
            boolean stillThere = entries.values().stream().anyMatch(e -> e.name.equals(entry.name) && !e.retired);
            if (!stillThere && !entry.retired && !entry.quarantined && !leavingBundles.contains(entry.bundleId)
                    && config.swapWaitMillis() > 0) {
                departures.put(entry.name, new Departure(entry.bundleId,
                        System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(config.swapWaitMillis())));
            }
            reindex();
            entry.release();
            LOG.info("Tool {} unregistered", entry);
        }
    }

    // ---------------------------------------------------------------- problems

    @Override
    public List<ToolProblem> problems() {
        List<ToolProblem> out = new ArrayList<>();
        for (Map.Entry<Quarantine.Key, Quarantine.Hold> e : quarantine.holds()) {
            Quarantine.Hold h = e.getValue();
            out.add(new ToolProblem(e.getKey().tool(), h.bundleSymbolicName(), h.bundleVersion(), e.getKey().bundleId(),
                    ToolProblem.Kind.QUARANTINED, h.reason(), h.since()));
        }
        for (ToolEntry e : entries.values()) {
            ToolEntry.ActivationFailed f = e.activationFailure();
            if (f != null && !e.quarantined) {
                out.add(new ToolProblem(e.name, e.bundleSymbolicName, e.bundleVersion, e.bundleId,
                        ToolProblem.Kind.ACTIVATION_FAILED, f.getMessage(), f.at));
            }
        }
        Map<ToolEntry, List<Overruns.Overrun>> stuck = new java.util.LinkedHashMap<>();
        for (Overruns.Overrun o : overruns.ignoringInterruption()) {
            stuck.computeIfAbsent(o.entry(), k -> new ArrayList<>()).add(o);
        }
        stuck.forEach((e, list) -> out.add(new ToolProblem(e.name, e.bundleSymbolicName, e.bundleVersion, e.bundleId,
                ToolProblem.Kind.OVERRUNNING, list.size() + " call(s) of tool '" + e.name + "' ran past their deadline"
                + " and ignore interruption, holding thread(s) " + list.stream().map(Overruns.Overrun::thread).toList()
                + "; at " + guards.maxOverrunsPerTool() + " its new calls are refused, and it never runs on a caller's"
                + " thread again; redeploy or fix the tool", list.get(0).deadline())));
        out.sort(Comparator.comparing(ToolProblem::tool).thenComparing(ToolProblem::kind));
        return out;
    }

    /** Why a tool's component failed to activate, as Declarative Services tells it; {@code null} if it cannot. */
    private String activationFailure(ServiceReference<?> reference) {
        org.osgi.service.component.runtime.ServiceComponentRuntime scr = components;
        Object component = reference.getProperty("component.name");
        org.osgi.framework.Bundle bundle = reference.getBundle();
        if (scr == null || !(component instanceof String c) || bundle == null) {
            return null;
        }
        var description = scr.getComponentDescriptionDTO(bundle, c);
        if (description == null) {
            return null;
        }
        for (var configuration : scr.getComponentConfigurationDTOs(description)) {
            if (configuration.failure != null && !configuration.failure.isBlank()) {
                // a stack trace: its first line names the exception and its message
                return "its component " + c + " failed to activate: " + configuration.failure.lines().findFirst()
                        .orElse("").trim();
            }
        }
        return null;
    }

    /**
     * Whether a tool's service left while its bundle stayed active (the component deactivated or unregistered it),
     * as opposed to a stop, an update, a swap, or the registry closing: the failure a crash loop is made of.
     */
    private boolean wentAwayOnItsOwn(ToolEntry entry) {
        if (closing || entry.retired || leavingBundles.contains(entry.bundleId)) {
            return false;
        }
        try {
            org.osgi.framework.Bundle b = context.getBundle(entry.bundleId);
            return b != null && b.getState() == org.osgi.framework.Bundle.ACTIVE;
        } catch (IllegalStateException registryStopping) {
            return false;
        }
    }
}
