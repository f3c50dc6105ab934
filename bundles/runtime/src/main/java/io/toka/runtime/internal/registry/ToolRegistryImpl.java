package io.toka.runtime.internal.registry;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.toka.runtime.registry.CallOptions;
import io.toka.runtime.registry.CancellationSignal;
import io.toka.runtime.registry.InvalidArgumentsException;
import io.toka.runtime.registry.RegisteredTool;
import io.toka.runtime.registry.ToolCallResult;
import io.toka.runtime.registry.ToolCallResult.Status;
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

    private static final Logger LOG = LoggerFactory.getLogger(ToolRegistryImpl.class);
    /** How long a call waits for its event's commit before it is answered anyway (and the delay logged). */
    private static final Duration EVENT_COMMIT_WAIT = Duration.ofSeconds(5);

    /** Where each call is recorded as a {@code tool.invoked} event, in the background; absent in plain unit tests. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile Kernel kernel;

    /** Best first: higher ranking, then newer (higher service id). */
    static final Comparator<ToolEntry> PRECEDENCE = Comparator.<ToolEntry>comparingInt(e -> e.ranking).reversed()
            .thenComparing(Comparator.<ToolEntry>comparingLong(e -> e.serviceId).reversed());

    private final BundleContext context;
    private final Config config;
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
    /** Name → the entry that answered for it at the last {@link #publishChanges}; guarded by {@code this}. */
    private Map<String, ToolEntry> winners = Map.of();

    private record Departure(long bundleId, long untilNanos) {
    }

    @Activate
    public ToolRegistryImpl(BundleContext context, Config config, @Reference RateLimiter limiter,
            @Reference AuditLog audit) {
        this(context, config, new CallGate(limiter, audit));
    }

    /**
     * A registry without rate limits, for unit tests and benchmarks that build it by hand. The live token check and
     * every later step of the policy point still apply.
     */
    public ToolRegistryImpl(BundleContext context, Config config) {
        this(context, config, CallGate.UNLIMITED);
    }

    private ToolRegistryImpl(BundleContext context, Config config, CallGate gate) {
        this.context = context;
        this.config = config;
        this.gate = gate;
        this.schemas = new SchemaCompiler(new ObjectMapper());
        this.executor = new CallExecutor(config.maxThreads(), "toka-tool-");
        this.deadlines = new DeadlineWatch("toka-tool-deadlines");
        this.notifier = new ListenerNotifier(context);
        context.addBundleListener(bundleListener);
        this.tracker = new ServiceTracker<>(context, Tool.class, new Customizer());
        tracker.open(true);
        LOG.info("Tool registry started with {} tool(s)", index.size());
    }

    @Deactivate
    void deactivate() {
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
            if (candidates.stream().anyMatch(e -> !e.retired)) {
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
            if (winner == null && !e.retired) {
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
            picked = enter(name);
            try {
                pickedTool = picked.service();
                pickedPrepared = picked.prepared(schemas);
                break;
            } catch (ToolEntry.Gone gone) {
                // unregistered after we picked it (an in-place update): pick again, waiting for the replacement
                exit(picked);
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
                    entry.pace.finished(System.nanoTime() - began);
                    return r;
                } finally {
                    entry.permits.release();
                    exit(entry);
                }
            };
            if (entry.pace.inline()) {
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
        DeadlineWatch.Watch watch = deadlines.arm(call, start + timeout.toNanos());
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

    private static ToolResult run(ToolEntry entry, Tool tool, ToolInvocation invocation) {
        try {
            ToolResult r = tool.invoke(invocation);
            return r != null ? r : ToolResult.failure("tool '" + entry.name + "' returned no result");
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
                if (!e.retired) {
                    return e;
                }
                exit(e); // retired between select and increment: pick again
                continue;
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
                if (!e.retired) {
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
                boolean idle = retired.stream().allMatch(e -> e.inFlight.get() == 0);
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
            ToolEntry entry = new ToolEntry(context, reference, n, config.maxConcurrentCallsPerTool());
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
            boolean stillThere = entries.values().stream().anyMatch(e -> e.name.equals(entry.name) && !e.retired);
            if (!stillThere && !entry.retired && !leavingBundles.contains(entry.bundleId) && config.swapWaitMillis() > 0) {
                departures.put(entry.name, new Departure(entry.bundleId,
                        System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(config.swapWaitMillis())));
            }
            reindex();
            entry.release();
            LOG.info("Tool {} unregistered", entry);
        }
    }
}
