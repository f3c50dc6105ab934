package io.toka.runtime.internal.execution;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.toka.kernel.Kernel;
import io.toka.runtime.execution.ExecutionEngine;
import io.toka.runtime.execution.ExecutionEngine.Call;
import io.toka.runtime.execution.ExecutionEngine.CodeException;
import io.toka.runtime.execution.ExecutionEngine.EngineResult;
import io.toka.runtime.execution.ExecutionException;
import io.toka.runtime.execution.ExecutionException.Reason;
import io.toka.runtime.execution.ExecutionLimits;
import io.toka.runtime.execution.ExecutionModel;
import io.toka.runtime.execution.ExecutionRecord;
import io.toka.runtime.execution.ExecutionRequest;
import io.toka.runtime.execution.ExecutionResult;
import io.toka.runtime.execution.ExecutionResult.ResourceUsage;
import io.toka.runtime.execution.RuntimeManager;
import io.toka.runtime.internal.registry.CallExecutor;
import io.toka.runtime.registry.InvalidArgumentsException;
import io.toka.runtime.registry.ToolCallResult;
import io.toka.runtime.registry.ToolRegistry;
import io.toka.runtime.registry.UnknownToolException;
import io.toka.security.SecurityContext;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Pattern;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceReference;
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
 * The runtime manager: one entry point for dynamic code, tool calls and agent workflows.
 *
 * <p>Languages are {@link ExecutionEngine} services, tracked live with a {@link ServiceTracker} and indexed by their
 * {@link ExecutionEngine#LANGUAGE} property; for one language the higher {@code service.ranking}, then the newer
 * service, wins. Each execution of code runs on a runtime thread while the caller waits until the deadline plus a
 * grace period: engines enforce their own limits, and one that overruns is interrupted, so no engine can hold a
 * caller past that point, not even one that ignores interruption (its thread then keeps its slot until it ends, so
 * the concurrency cap stays honest).
 */
@Component(service = RuntimeManager.class, configurationPid = RuntimeManagerImpl.PID)
@Designate(ocd = RuntimeManagerImpl.Config.class)
public final class RuntimeManagerImpl implements RuntimeManager {

    /** Configuration PID. */
    public static final String PID = "io.toka.runtime.executions";

    /** The language of the engine that runs {@link ExecutionModel.AgentWorkflow}, contributed by the agents bundle. */
    public static final String AGENT_WORKFLOW = "agent-workflow";

    /** Most records the history can keep. */
    public static final int MAX_HISTORY = 1000;

    /** Execution configuration. */
    @ObjectClassDefinition(name = "Toka executions",
            description = "Limits, queueing, caching and history of RuntimeManager executions.")
    public @interface Config {
        @AttributeDefinition(name = "Concurrent runs per engine",
                description = "Executions one language may run at once; more wait in a queue.", min = "1")
        int maxConcurrentPerEngine() default 4;

        @AttributeDefinition(name = "Per-language concurrency",
                description = "Overrides of the cap for single languages, as language=n, comma separated, "
                        + "e.g. python=2,javascript=8.")
        String[] concurrency() default {};

        @AttributeDefinition(name = "Queue timeout (ms)",
                description = "How long a request waits for a free slot before it is refused as busy.", min = "0")
        long queueTimeoutMillis() default 5000;

        @AttributeDefinition(name = "Prepared-code cache entries",
                description = "Compiled or parsed programs kept, least recently used evicted first; 0 disables it.",
                min = "0")
        int cacheEntries() default 256;

        @AttributeDefinition(name = "History size",
                description = "Executions kept in the queryable history, at most 1000.", min = "1", max = "1000")
        int historySize() default MAX_HISTORY;

        @AttributeDefinition(name = "Default timeout (s)",
                description = "Wall-clock limit when a request gives none.", min = "1")
        int defaultTimeoutSeconds() default 30;

        @AttributeDefinition(name = "Maximum timeout (s)",
                description = "Longer requested timeouts are lowered to this.", min = "1")
        int maxTimeoutSeconds() default 300;

        @AttributeDefinition(name = "Default memory (bytes)",
                description = "Memory limit when a request gives none.", min = "1")
        long defaultMemoryBytes() default 256L << 20;

        @AttributeDefinition(name = "Maximum memory (bytes)",
                description = "Larger requested memory limits are lowered to this.", min = "1")
        long maxMemoryBytes() default 2048L << 20;

        @AttributeDefinition(name = "Maximum output (bytes)",
                description = "Output cap, and the default when a request gives none.", min = "1")
        long maxOutputBytes() default 1L << 20;

        @AttributeDefinition(name = "Watchdog grace (ms)",
                description = "How long past its deadline an execution may run before its thread is interrupted "
                        + "and the caller answered 'timed out'.", min = "1")
        long watchdogGraceMillis() default 2000;

        @AttributeDefinition(name = "Workspace",
                description = "Directory engines may read files from (e.g. WebAssembly modules). "
                        + "Empty means ${karaf.base}/workspace.")
        String workspace() default "";
    }

    private static final Logger LOG = LoggerFactory.getLogger(RuntimeManagerImpl.class);

    private static final Pattern LANGUAGE_NAME = Pattern.compile("[a-z][a-z0-9_-]{0,31}");
    private static final Pattern OVERRIDE = Pattern.compile("\\s*([a-z][a-z0-9_-]{0,31})\\s*=\\s*(\\d{1,6})\\s*");

    /** Stable JSON for hashing an agent configuration. */
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS).build();

    private final BundleContext context;
    private final ToolRegistry tools;
    private static final int MAX_THREADS = 1024;
    private final Config config;
    private final Map<String, Integer> overrides;
    private final Path workspace;
    private final PreparedCache cache;
    private final ExecutionHistory history;
    private final Map<String, Slots> slots = new ConcurrentHashMap<>();
    private final AtomicLong ids = new AtomicLong();
    private final AtomicReference<Kernel> kernel = new AtomicReference<>();
    private final Map<ServiceReference<ExecutionEngine>, EngineEntry> entries = new ConcurrentHashMap<>();
    /** Language → engines, best first. Replaced wholesale on every service event; readers never lock. */
    private volatile Map<String, List<EngineEntry>> index = Map.of();
    /** Spin-then-park hand-off (see CallExecutor): a thread pool's queue and Future cost about 50 µs a call here. */
    private final CallExecutor workers;
    private final ServiceTracker<ExecutionEngine, EngineEntry> tracker;

    @Activate
    public RuntimeManagerImpl(BundleContext context, Config config, @Reference(name = "tools") ToolRegistry tools) {
        this.context = context;
        this.tools = tools;
        this.config = config;
        this.overrides = validate(config);
        this.workspace = config.workspace().isBlank()
                ? Path.of(System.getProperty("karaf.base", System.getProperty("user.dir")), "workspace")
                : Path.of(config.workspace());
        this.cache = new PreparedCache(config.cacheEntries());
        this.history = new ExecutionHistory(config.historySize());
        // every running job holds one of the engines' slots, so the slots bound the threads; the cap only matters
        // for engines that ignore their deadline and keep a thread after the caller was answered
        this.workers = new CallExecutor(MAX_THREADS, "toka-exec-");
        this.tracker = new ServiceTracker<>(context, ExecutionEngine.class, new Customizer());
        tracker.open(true);
        LOG.info("Runtime manager started with engines {}", new TreeSet<>(index.keySet()));
    }

    private static Map<String, Integer> validate(Config c) {
        List<String> problems = new ArrayList<>();
        if (c.maxConcurrentPerEngine() < 1) {
            problems.add("maxConcurrentPerEngine must be at least 1, not " + c.maxConcurrentPerEngine());
        }
        if (c.queueTimeoutMillis() < 0) {
            problems.add("queueTimeoutMillis must not be negative, not " + c.queueTimeoutMillis());
        }
        if (c.cacheEntries() < 0) {
            problems.add("cacheEntries must not be negative, not " + c.cacheEntries());
        }
        if (c.historySize() < 1 || c.historySize() > MAX_HISTORY) {
            problems.add("historySize must be 1-" + MAX_HISTORY + ", not " + c.historySize());
        }
        if (c.defaultTimeoutSeconds() < 1 || c.maxTimeoutSeconds() < c.defaultTimeoutSeconds()) {
            problems.add("timeouts must satisfy 1 <= defaultTimeoutSeconds (" + c.defaultTimeoutSeconds()
                    + ") <= maxTimeoutSeconds (" + c.maxTimeoutSeconds() + ")");
        }
        if (c.defaultMemoryBytes() < 1 || c.maxMemoryBytes() < c.defaultMemoryBytes()) {
            problems.add("memory must satisfy 1 <= defaultMemoryBytes (" + c.defaultMemoryBytes()
                    + ") <= maxMemoryBytes (" + c.maxMemoryBytes() + ")");
        }
        if (c.maxOutputBytes() < 1) {
            problems.add("maxOutputBytes must be at least 1, not " + c.maxOutputBytes());
        }
        if (c.watchdogGraceMillis() < 1) {
            problems.add("watchdogGraceMillis must be at least 1, not " + c.watchdogGraceMillis());
        }
        Map<String, Integer> overrides = new HashMap<>();
        for (String element : c.concurrency()) {
            for (String item : element.split(",")) {
                if (item.isBlank()) {
                    continue;
                }
                var m = OVERRIDE.matcher(item);
                if (!m.matches() || Integer.parseInt(m.group(2)) < 1) {
                    problems.add("concurrency entry '" + item.strip() + "' must be language=n with n >= 1, "
                            + "e.g. python=2");
                } else {
                    overrides.put(m.group(1), Integer.parseInt(m.group(2)));
                }
            }
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("invalid " + PID + " configuration: " + String.join("; ", problems));
        }
        return Map.copyOf(overrides);
    }

    @Deactivate
    void deactivate() {
        tracker.close();
        workers.shutdown();
    }

    @Reference(name = "kernel", cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void bindKernel(Kernel k) {
        kernel.set(k);
    }

    void unbindKernel(Kernel k) {
        kernel.compareAndSet(k, null);
    }

    // ---------------------------------------------------------------- execute

    @Override
    public ExecutionResult execute(ExecutionRequest request) throws ExecutionException, InterruptedException {
        ExecutionModel model = request.model();
        if (model instanceof ExecutionModel.DynamicCode code) {
            return code(code, request);
        }
        if (model instanceof ExecutionModel.ToolExecution tool) {
            return tool(tool, request.caller());
        }
        if (model instanceof ExecutionModel.AgentWorkflow agent) {
            return agent(agent, request);
        }
        throw new ExecutionException(Reason.UNSUPPORTED, "unknown execution model " + model.getClass().getSimpleName());
    }

    private ExecutionResult code(ExecutionModel.DynamicCode code, ExecutionRequest request)
            throws ExecutionException, InterruptedException {
        String language = code.language();
        if (!LANGUAGE_NAME.matcher(language).matches()) {
            throw new ExecutionException(Reason.INVALID, "language '" + abbreviate(language)
                    + "' is not a language name: lower-case letters, digits, '-' and '_', at most 32");
        }
        request.caller().authorize("code.execute:" + language, List.of("code:execute:" + language));
        EngineEntry engine = select(language);
        if (engine == null || AGENT_WORKFLOW.equals(language)) {
            throw new ExecutionException(Reason.UNSUPPORTED, "no engine for language '" + language
                    + "'; installed: " + installed());
        }
        checkSize(code.code());
        Limits limits = limits(request.limits());
        return run(engine, "code", language, code.code(), code.inputs(), limits, request.caller());
    }

    private ExecutionResult agent(ExecutionModel.AgentWorkflow agent, ExecutionRequest request)
            throws ExecutionException, InterruptedException {
        // an agent workflow defines (or replaces) the agent before it runs it: both permissions, checked before anything
        request.caller().authorize("agent.workflow", List.of("agent:define", "agent:run"));
        EngineEntry engine = select(AGENT_WORKFLOW);
        if (engine == null) {
            throw new ExecutionException(Reason.UNSUPPORTED,
                    "agent workflows need the agents bundle (feature toka-agents), which is not installed");
        }
        String json;
        try {
            json = JSON.writeValueAsString(agent.agentConfig());
        } catch (JsonProcessingException e) {
            throw new ExecutionException(Reason.INVALID, "the agent configuration is not JSON-like: "
                    + e.getOriginalMessage());
        }
        checkSize(json);
        Object name = agent.agentConfig().get("name");
        String target = name instanceof String s && !s.isBlank() ? s : "agent";
        return run(engine, "agent", target, json, agent.agentConfig(), limits(request.limits()), request.caller());
    }

    private ExecutionResult tool(ExecutionModel.ToolExecution tool, SecurityContext caller)
            throws ExecutionException {
        Instant startedAt = Instant.now();
        ToolCallResult r;
        try {
            r = tools.invoke(tool.tool(), tool.arguments(), caller);
        } catch (UnknownToolException | InvalidArgumentsException e) {
            throw new ExecutionException(Reason.INVALID, e.getMessage());
        }
        boolean ok = r.isSuccess();
        String id = nextId();
        ExecutionResult result = new ExecutionResult(id, ok, ok ? r.result().output() : null,
                ok ? null : r.result().output(), null, r.durationMs(), ResourceUsage.UNKNOWN, "tool", r.toolVersion());
        finish(new ExecutionRecord(startedAt, caller.subject(), "tool", tool.tool(), null, result));
        return result;
    }

    private static void checkSize(String code) throws ExecutionException {
        // a char is 1-3 UTF-8 bytes (a surrogate pair 4 for 2 chars), so short code need not be encoded
        if (code.length() * 3L > MAX_CODE_BYTES) {
            int bytes = code.getBytes(StandardCharsets.UTF_8).length;
            if (bytes > MAX_CODE_BYTES) {
                throw new ExecutionException(Reason.INVALID, "code is " + bytes + " bytes, over the limit of "
                        + MAX_CODE_BYTES);
            }
        }
    }

    /** Limits after defaults and caps. */
    record Limits(Duration timeout, long memoryBytes, long maxOutputBytes) {
    }

    Limits limits(ExecutionLimits requested) throws ExecutionException {
        Duration t = requested.timeout();
        if (t != null && t.isNegative()) {
            throw new ExecutionException(Reason.INVALID, "timeout must be positive, not " + t);
        }
        if (requested.memoryBytes() < 0 || requested.maxOutputBytes() < 0) {
            throw new ExecutionException(Reason.INVALID, "memoryBytes and maxOutputBytes must not be negative, not "
                    + requested.memoryBytes() + " and " + requested.maxOutputBytes());
        }
        Duration max = Duration.ofSeconds(config.maxTimeoutSeconds());
        t = t == null || t.isZero() ? Duration.ofSeconds(config.defaultTimeoutSeconds()) : t;
        t = t.compareTo(max) > 0 ? max : t;
        long memory = requested.memoryBytes() == 0 ? config.defaultMemoryBytes()
                : Math.min(requested.memoryBytes(), config.maxMemoryBytes());
        long output = requested.maxOutputBytes() == 0 ? config.maxOutputBytes()
                : Math.min(requested.maxOutputBytes(), config.maxOutputBytes());
        return new Limits(t, memory, output);
    }

    private ExecutionResult run(EngineEntry engine, String model, String target, String code,
            Map<String, Object> inputs, Limits limits, SecurityContext caller)
            throws ExecutionException, InterruptedException {
        String sha = sha256(engine.language + '\0' + code);
        Slots s = slotsFor(engine.language);
        if (!s.acquire(config.queueTimeoutMillis())) {
            throw new ExecutionException(Reason.BUSY, "engine '" + engine.language + "' is busy: " + s.running()
                    + " running, " + s.waiting() + " waiting; try again later");
        }
        Instant startedAt = Instant.now();
        long start = System.nanoTime();
        Call call = new Call(inputs, limits.timeout(), startedAt.plus(limits.timeout()), limits.memoryBytes(),
                limits.maxOutputBytes(), workspace, caller);
        Job job = new Job(engine, code, new PreparedCache.Key(engine.serviceId, sha), call, s);
        CallExecutor.Call<EngineResult> running;
        try {
            running = workers.submit(job);
        } catch (RejectedExecutionException e) {
            s.release();
            throw new ExecutionException(Reason.BUSY, "the runtime has no thread free (" + e.getMessage()
                    + "); try again later");
        }
        EngineResult r = await(running, job, limits.timeout(), start);
        String version = engine.version();
        ExecutionResult result = new ExecutionResult(nextId(), r.success(), r.output(), r.error(), r.exitCode(),
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start),
                r.usage() == null ? ResourceUsage.UNKNOWN : r.usage(), engine.language, version);
        finish(new ExecutionRecord(startedAt, caller.subject(), model, target, sha, result));
        return result;
    }

    /** Waits for the job until its deadline plus the grace; then interrupts it and waits one more grace. */
    private EngineResult await(CallExecutor.Call<EngineResult> running, Job job, Duration timeout, long start)
            throws InterruptedException {
        long grace = TimeUnit.MILLISECONDS.toNanos(config.watchdogGraceMillis());
        long left = start + timeout.toNanos() + grace - System.nanoTime();
        try {
            return running.await(Math.max(0, left));
        } catch (TimeoutException e) {
            running.cancel();
            try {
                EngineResult r = running.await(grace);
                return r == Job.INTERRUPTED ? timedOut(timeout) : r;
            } catch (TimeoutException stillRunning) {
                LOG.warn("Engine {} ignored its deadline and the interrupt; its thread keeps a slot until it ends",
                        job.engine);
                return timedOut(timeout);
            } catch (InterruptedException ie) {
                throw ie;
            } catch (Exception impossible) {
                throw new IllegalStateException(impossible);
            }
        } catch (InterruptedException e) {
            running.cancel();
            throw e;
        } catch (Exception impossible) {
            // a job returns a result for every outcome
            throw new IllegalStateException(impossible);
        }
    }

    private static EngineResult timedOut(Duration timeout) {
        String t = timeout.toMillis() % 1000 == 0 ? timeout.toSeconds() + " s" : timeout.toMillis() + " ms";
        return new EngineResult(false, null, "timed out after " + t, null, ResourceUsage.UNKNOWN);
    }

    /** One run of prepared code on a runtime thread. */
    private final class Job implements java.util.concurrent.Callable<EngineResult> {

        /** The engine threw InterruptedException. */
        static final EngineResult INTERRUPTED = new EngineResult(false, null, "interrupted", null, ResourceUsage.UNKNOWN);

        final EngineEntry engine;
        final String code;
        final PreparedCache.Key key;
        final Call call;
        final Slots slots;

        Job(EngineEntry engine, String code, PreparedCache.Key key, Call call, Slots slots) {
            this.engine = engine;
            this.code = code;
            this.key = key;
            this.call = call;
            this.slots = slots;
        }

        @Override
        public EngineResult call() {
            try {
                return runOnce();
            } finally {
                // free the slot before answering, so a caller that runs again at once finds it free
                slots.release();
            }
        }

        private EngineResult runOnce() {
            ExecutionEngine service;
            try {
                service = engine.service();
            } catch (IllegalStateException e) {
                LOG.info("Engine {} left before it could run: {}", engine, e.getMessage());
                return new EngineResult(false, null, "engine '" + engine.language
                        + "' went away before the code ran; try again", null, ResourceUsage.UNKNOWN);
            }
            try {
                Object prepared = cache.get(key);
                if (prepared == null) {
                    prepared = service.prepare(code);
                    cache.put(key, prepared);
                    if (!entries.containsKey(engine.reference)) {
                        cache.invalidate(engine.serviceId); // the engine left while we prepared
                    }
                }
                EngineResult r = service.run(prepared, call);
                return r != null ? r : new EngineResult(false, null, "engine '" + engine.language
                        + "' returned no result", null, ResourceUsage.UNKNOWN);
            } catch (CodeException e) {
                return new EngineResult(false, null, codeMessage(e), null, ResourceUsage.UNKNOWN);
            } catch (InterruptedException e) {
                return INTERRUPTED;
            } catch (Throwable e) { // NOPMD: an engine's bug must reach the caller as a result, not a stack trace
                String ref = UUID.randomUUID().toString().substring(0, 8);
                LOG.warn("Engine {} failed (reference {})", engine, ref, e);
                return new EngineResult(false, null, "engine '" + engine.language
                        + "' failed with an internal error (reference " + ref + " in the Toka log)", null,
                        ResourceUsage.UNKNOWN);
            }
        }

    }

    private static String codeMessage(CodeException e) {
        String m = e.getMessage() == null || e.getMessage().isBlank() ? "invalid code" : e.getMessage();
        return e.line() > 0 && !m.contains("line " + e.line()) ? m + " (line " + e.line() + ")" : m;
    }

    private void finish(ExecutionRecord record) {
        history.add(record);
        Kernel k = kernel.get();
        if (k != null) {
            ExecutionResult r = record.result();
            try {
                k.post(new CodeExecuted(r.id(), record.model(), record.target(), r.engine(), record.subject(),
                        r.success(), r.durationMs(), record.codeSha256()));
            } catch (RuntimeException e) {
                LOG.warn("Cannot post the code.executed event of {}", r.id(), e);
            }
        }
    }

    private String nextId() {
        return "exec-" + ids.incrementAndGet();
    }

    private Slots slotsFor(String language) {
        return slots.computeIfAbsent(language,
                l -> new Slots(overrides.getOrDefault(l, config.maxConcurrentPerEngine())));
    }

    static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    private static String abbreviate(String s) {
        return s.length() <= 40 ? s : s.substring(0, 40) + "...";
    }

    // ---------------------------------------------------------------- queries

    @Override
    public List<ExecutionRecord> history(int limit) {
        if (limit < 1 || limit > MAX_HISTORY) {
            throw new IllegalArgumentException("limit must be 1-" + MAX_HISTORY + ", not " + limit);
        }
        return history.newest(limit);
    }

    @Override
    public List<EngineInfo> engines() {
        List<EngineInfo> out = new ArrayList<>();
        for (Map.Entry<String, List<EngineEntry>> e : new TreeMap<>(index).entrySet()) {
            EngineEntry winner = e.getValue().get(0);
            Slots s = slotsFor(e.getKey());
            out.add(new EngineInfo(e.getKey(), winner.version(), s.max, s.running(), s.waiting()));
        }
        return out;
    }

    /** For tests and diagnostics: entries currently cached. */
    int cachedEntries() {
        return cache.size();
    }

    private String installed() {
        TreeSet<String> names = new TreeSet<>(index.keySet());
        names.remove(AGENT_WORKFLOW);
        return names.isEmpty() ? "none" : String.join(", ", names);
    }

    private EngineEntry select(String language) {
        List<EngineEntry> candidates = index.get(language);
        return candidates == null || candidates.isEmpty() ? null : candidates.get(0);
    }

    // ---------------------------------------------------------------- tracking

    private synchronized void reindex() {
        Map<String, List<EngineEntry>> next = new HashMap<>();
        for (EngineEntry e : entries.values()) {
            next.computeIfAbsent(e.language, k -> new ArrayList<>(2)).add(e);
        }
        next.replaceAll((k, v) -> {
            v.sort(EngineEntry.PRECEDENCE);
            return List.copyOf(v);
        });
        index = Map.copyOf(next);
    }

    private final class Customizer implements ServiceTrackerCustomizer<ExecutionEngine, EngineEntry> {

        @Override
        public EngineEntry addingService(ServiceReference<ExecutionEngine> reference) {
            Object language = reference.getProperty(ExecutionEngine.LANGUAGE);
            if (!(language instanceof String l) || !LANGUAGE_NAME.matcher(l).matches()) {
                LOG.warn("Ignoring ExecutionEngine service {} from bundle {}: its '{}' property is {}; it must be a "
                        + "lower-case language name", reference.getProperty(Constants.SERVICE_ID),
                        reference.getBundle(), ExecutionEngine.LANGUAGE, language == null ? "missing" : "'" + language + "'");
                return null;
            }
            EngineEntry entry = new EngineEntry(context, reference, l);
            entries.put(reference, entry);
            reindex();
            LOG.info("Engine {} registered", entry);
            return entry;
        }

        @Override
        public void modifiedService(ServiceReference<ExecutionEngine> reference, EngineEntry tracked) {
            // after a change of language, entries holds a newer entry than the one the tracker keeps
            EngineEntry entry = entries.getOrDefault(reference, tracked);
            if (!entry.language.equals(reference.getProperty(ExecutionEngine.LANGUAGE))) {
                // another language is another engine, with nothing prepared yet
                entries.remove(reference);
                cache.invalidate(entry.serviceId);
                entry.release();
                if (addingService(reference) == null) {
                    reindex();
                }
                return;
            }
            entry.ranking = EngineEntry.rankingOf(reference);
            reindex();
        }

        @Override
        public void removedService(ServiceReference<ExecutionEngine> reference, EngineEntry tracked) {
            EngineEntry current = entries.remove(reference);
            EngineEntry entry = current != null ? current : tracked;
            reindex();
            cache.invalidate(entry.serviceId);
            entry.release();
            LOG.info("Engine {} unregistered", entry);
        }
    }
}
