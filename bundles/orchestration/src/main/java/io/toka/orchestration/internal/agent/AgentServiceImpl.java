package io.toka.orchestration.internal.agent;

import io.toka.event.EventStore;
import io.toka.kernel.AgentRuntime;
import io.toka.kernel.CapabilityDeniedException;
import io.toka.kernel.InvalidOperationException;
import io.toka.kernel.Kernel;
import io.toka.kernel.KernelException;
import io.toka.kernel.Message;
import io.toka.kernel.Operation;
import io.toka.kernel.QueuedTask;
import io.toka.llm.LlmGateway;
import io.toka.orchestration.AgentConfig;
import io.toka.orchestration.AgentConfigException;
import io.toka.orchestration.AgentService;
import io.toka.orchestration.AgentStatus;
import io.toka.orchestration.AgentTask;
import io.toka.orchestration.internal.config.AgentCatalog;
import io.toka.runtime.registry.ToolRegistry;
import io.toka.security.SecurityContext;
import io.toka.security.TokenService;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import io.toka.orchestration.spi.LeaseLostException;
import io.toka.orchestration.spi.RunLeases;
import io.toka.orchestration.spi.TokenKeeper;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs agents, as the kernel's {@link AgentRuntime}: each run gets a token delegated from its caller's and narrowed
 * to the agent's {@code capabilities_required} (see {@link Delegation}), and a thread of a pool of
 * {@code maxConcurrentAgents}; more runs wait for a thread in state {@code READY}. An agent has at most one run at a
 * time. See {@link AgentRun} for the lifecycle, {@link TaskLoop} for one task's conversation with the model,
 * {@link Admissions} for the tasks and children the kernel admits, and {@link Recovery} for runs rebuilt after a
 * restart.
 */
@Component(service = {AgentService.class, AgentRuntime.class, SessionRuns.class}, configurationPid = AgentServiceImpl.PID)
@Designate(ocd = AgentServiceImpl.Config.class)
public final class AgentServiceImpl implements AgentService, AgentRuntime, AgentRun.Host, SessionRuns {

    /** Configuration PID. */
    public static final String PID = "io.toka.agents.runtime";

    /** Agent runtime configuration. */
    @ObjectClassDefinition(name = "Toka agent runtime", description = "How agents run: threads, retries, model limits.")
    public @interface Config {
        @AttributeDefinition(name = "Concurrent agents",
                description = "Agent runs that execute at once; more wait for a thread.", min = "1")
        int maxConcurrentAgents() default 10;

        @AttributeDefinition(name = "Retry base (ms)",
                description = "Delay before the first retry of a failed model turn; doubled for each further retry.",
                min = "1")
        long retryBaseMillis() default 1000;

        @AttributeDefinition(name = "Retry maximum (ms)", description = "The longest delay between retries.", min = "1")
        long retryMaxMillis() default 60000;

        @AttributeDefinition(name = "Retries",
                description = "Retries of a model turn that failed with RATE_LIMITED, PROVIDER or TIMEOUT.", min = "0")
        int maxRetries() default 3;

        @AttributeDefinition(name = "Reply tokens", description = "The most tokens of one model reply.", min = "1")
        int maxTokens() default 4096;

        @AttributeDefinition(name = "Agent token lifetime (min)",
                description = "Lifetime of the token delegated to an agent; never past the caller's own token.",
                min = "1")
        int tokenTtlMinutes() default 120;

        @AttributeDefinition(name = "Temperature", description = "The model temperature, 0 to 1.")
        double temperature() default 0.3;

        @AttributeDefinition(name = "Tool output (characters)",
                description = "Tool output sent back to the model, at most; longer output is truncated. The LLM "
                        + "gateway caps a whole prompt at 32 KiB.", min = "256")
        int maxToolOutputChars() default 8192;

        @AttributeDefinition(name = "Durable runs",
                description = "Record every step of a run before acting on it, so that runs resume after a crash or "
                        + "restart. An agent can turn it off for itself (durable: false in its YAML); off here, no "
                        + "run is durable.")
        boolean durable() default true;

        @AttributeDefinition(name = "State directory",
                description = "Where the tokens of durable runs and queued tasks are kept, in owner-only files; "
                        + "empty means ${karaf.data}/toka/agents.")
        String stateDirectory() default "";

        @AttributeDefinition(name = "Record timeout (s)",
                description = "How long a durable run waits for one step to be stored; a run whose step is not "
                        + "stored stops, and resumes after a restart.", min = "1")
        int recordTimeoutSeconds() default 30;

        @AttributeDefinition(name = "Verdict tool",
                description = "Offer the model the report_verdict tool (a JSON Schema); the trailing JSON verdict "
                        + "stays as the fallback. Turn it off for an OpenAI-compatible server that rejects tools.")
        boolean verdictTool() default true;

        @AttributeDefinition(name = "Resume tool wait (s)",
                description = "How long a run resumed after a restart waits for the tools it was offered to be "
                        + "registered again before it goes on.", min = "0")
        int resumeToolWaitSeconds() default 60;
    }

    private static final Logger LOG = LoggerFactory.getLogger(AgentServiceImpl.class);

    final AgentCatalog catalog;
    final ToolRegistry tools;
    final TokenService tokens;
    final Settings settings;
    final Delegation delegation;
    private final ThreadPoolExecutor pool;
    private final ScheduledThreadPoolExecutor watchdog;
    final AgentRun.Context context;
    /** Agent name → its latest run. */
    final Map<String, AgentRun> runs = new ConcurrentHashMap<>();
    /** Tokens of queued tasks (the vault keeps those of durable agents across restarts). */
    private final Map<String, String> taskTokens = new ConcurrentHashMap<>();
    private final Admissions admissions;
    /** Where the tokens of durable runs and queued tasks are kept: files, or the cluster's shared store. */
    final TokenKeeper vault;
    /** Where the sessions' tokens are kept. */
    private final TokenKeeper sessionTokens;
    /** The leases this node holds on its runs (and sessions); on one node, every lease is its own. */
    final HeldLeases held;
    private final Takeover takeover;
    final Placement placement = new Placement(this);
    final EventStore store;
    private volatile RunJournal.Hooks hooks;
    private volatile boolean stopping;
    private volatile Thread recovery;
    private final java.util.concurrent.CountDownLatch recovered = new java.util.concurrent.CountDownLatch(1);

    /** Where events go; set by the component, or by tests with {@link #setKernel}. */
    volatile Kernel kernel;

    /**
     * The component: the kernel records the runs' events and queues their tasks, and the store holds the journals
     * that durable runs are rebuilt from after a restart.
     */
    @Activate
    public AgentServiceImpl(@Reference AgentCatalog catalog, @Reference LlmGateway llm, @Reference ToolRegistry tools,
            @Reference TokenService tokens, @Reference Kernel kernel, @Reference EventStore store, Config config,
            @Reference(name = "leases", cardinality = ReferenceCardinality.OPTIONAL,
                    policyOption = ReferencePolicyOption.GREEDY) RunLeases leases,
            @Reference(name = "tokens", cardinality = ReferenceCardinality.OPTIONAL,
                    policyOption = ReferencePolicyOption.GREEDY) TokenKeeper keeper) {
        this(catalog, llm, tools, tokens, kernel, store, Settings.of(config), leases, keeper);
        recoverInBackground();
    }

    /** Without a kernel or a store (tests): nothing is durable, nothing is queued; events go to {@link #setKernel}. */
    public AgentServiceImpl(AgentCatalog catalog, LlmGateway llm, ToolRegistry tools, TokenService tokens,
            Config config) {
        this(catalog, llm, tools, tokens, null, null, Settings.of(config));
        recovered.countDown();
    }

    AgentServiceImpl(AgentCatalog catalog, LlmGateway llm, ToolRegistry tools, TokenService tokens, Kernel kernel,
            EventStore store, Settings settings) {
        this(catalog, llm, tools, tokens, kernel, store, settings, null, null);
    }

    /**
     * @param leases the cluster's leases on runs, or null on one node
     * @param keeper the cluster's store of tokens, or null: owner-only files in the state directory
     */
    AgentServiceImpl(AgentCatalog catalog, LlmGateway llm, ToolRegistry tools, TokenService tokens, Kernel kernel,
            EventStore store, Settings settings, RunLeases leases, TokenKeeper keeper) {
        this.catalog = catalog;
        this.tools = tools;
        this.tokens = tokens;
        this.kernel = kernel;
        this.store = store;
        this.settings = settings;
        this.delegation = new Delegation(tokens, tools, settings.tokenTtl());
        this.vault = keeper != null ? keeper : new TokenVault(settings.stateDirectory());
        this.sessionTokens = keeper != null ? keeper : new TokenVault(settings.stateDirectory().resolve("sessions"));
        this.held = new HeldLeases(leases != null ? leases : LocalLeases.INSTANCE);
        this.takeover = new Takeover(this);
        this.pool = new ThreadPoolExecutor(settings.maxConcurrentAgents(), settings.maxConcurrentAgents(), 0,
                TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(), threads("toka-agent-"));
        this.watchdog = new ScheduledThreadPoolExecutor(1, threads("toka-agent-watchdog-"));
        watchdog.setRemoveOnCancelPolicy(true);
        this.context = new AgentRun.Context(llm, tools, new Reporter(() -> this.kernel), settings, watchdog, this);
        this.admissions = new Admissions(this);
        LOG.info("Agent runtime started: {} concurrent agent(s), {} retries from {} ms, durable runs {}",
                settings.maxConcurrentAgents(), settings.maxRetries(), settings.retryBaseMillis(),
                durableHere() ? "on" : "off");
        if (held.shared()) {
            LOG.info("Runs are leased in the cluster as node {}: lease {} s, renewed every {} ms; tokens kept in {}",
                    held.leases().nodeId(), held.leases().ttl().toSeconds(), held.leases().renewEvery().toMillis(),
                    keeper != null ? "the cluster's store" : "local files");
        }
    }

    /** Sets the kernel events go to; for tests that build the service with {@code new}. */
    public void setKernel(Kernel kernel) {
        this.kernel = kernel;
    }

    /** For tests that stop a run at a step boundary. */
    void setJournalHooks(RunJournal.Hooks hooks) {
        this.hooks = hooks;
    }

    RunJournal.Hooks hooks() {
        return hooks;
    }

    /**
     * Stops the runtime. Durable runs stop quietly and resume at the next start (their journals stay open); the
     * others are terminated.
     */
    @Deactivate
    public void deactivate() {
        if (pool.isShutdown()) {
            return;
        }
        stopping = true;
        Thread r = recovery;
        if (r != null) {
            r.interrupt();
        }
        takeover.stop();
        runs.values().forEach(AgentRun::shutdown);
        pool.shutdownNow();
        watchdog.shutdownNow();
        try {
            if (!pool.awaitTermination(10, TimeUnit.SECONDS)) {
                LOG.warn("Some agent threads did not stop within 10 s");
            }
            if (r != null) {
                r.join(10_000);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        held.close();
    }

    /** Whether runs can be durable here at all: switched on, with a kernel to record and a store to read back. */
    boolean durableHere() {
        return settings.durable() && kernel != null && store != null;
    }

    boolean durable(AgentConfig config) {
        return durableHere() && config.durable();
    }

    RunJournal journal(AgentConfig config) {
        return durable(config) ? new RunJournal(() -> kernel, true, settings.recordTimeout(), hooks) : RunJournal.OFF;
    }

    // ---------------------------------------------------------------- configurations

    @Override
    public List<AgentConfig> agents() {
        return catalog.all();
    }

    @Override
    public Optional<AgentConfig> agent(String name) {
        return catalog.get(name);
    }

    @Override
    public AgentConfig define(String yaml, String source, SecurityContext caller) throws AgentConfigException {
        caller.authorize("agent.define", List.of(AgentPermissions.DEFINE));
        return catalog.define(yaml, source);
    }

    @Override
    public boolean remove(String name, SecurityContext caller) {
        caller.authorize("agent.remove:" + name, List.of(AgentPermissions.DEFINE));
        boolean removed = catalog.remove(name);
        if (removed) {
            dropQueue(name, "agent '" + name + "' was deleted");
        }
        return removed;
    }

    /** Frees the agent's queue in the kernel and forgets its tasks' tokens. */
    void dropQueue(String name, String reason) {
        Kernel k = kernel;
        if (k == null) {
            return;
        }
        List<QueuedTask> queued = k.queued(name);
        try {
            k.dropTasks(name, reason);
        } catch (RuntimeException e) {
            LOG.warn("Could not drop the tasks queued for agent {}: {}", name, e.toString());
            return;
        }
        queued.forEach(t -> taskDone(t.id()));
    }

    // ---------------------------------------------------------------- runs

    @Override
    public AgentStatus run(String name, SecurityContext caller) {
        return run(name, caller, null).status();
    }

    /**
     * Starts a run of a defined agent for a caller, as part of a session or not.
     *
     * @throws IllegalArgumentException for an unknown agent
     * @throws IllegalStateException if the agent is already running
     */
    AgentRun run(String name, SecurityContext caller, String session) {
        Objects.requireNonNull(caller, "caller");
        caller.authorize("agent.run:" + name, List.of(AgentPermissions.RUN));
        AgentConfig config = catalog.get(name)
                .orElseThrow(() -> new IllegalArgumentException("unknown agent '" + name + "'"));
        return start(config, caller.subject(), () -> delegation.token(config, caller, true), null, session);
    }

    /** How a new run gets its own token; null for a run of queued tasks only. */
    interface TokenSource {
        TaskLoop.TaskToken get() throws Delegation.Refused;
    }

    /**
     * Starts a run: delegates its token, keeps it (durable runs), and hands the run to the pool. A run that cannot get
     * its token fails at once, with the reason.
     *
     * @param parent the spawning run, or null
     */
    AgentRun start(AgentConfig config, String callerSubject, TokenSource token, AgentRun parent, String session) {
        String name = config.name();
        String runId = UUID.randomUUID().toString();
        AgentRun[] created = new AgentRun[1];
        runs.compute(name, (n, previous) -> {
            if (previous != null && !previous.isFinished()) {
                throw new IllegalStateException("agent '" + name + "' is already running (run " + previous.runId
                        + ")");
            }
            created[0] = prepare(config, runId, callerSubject, token, parent, session);
            return created[0];
        });
        AgentRun r = created[0];
        if (parent != null) {
            parent.adopt(r);
        }
        if (!r.isFinished()) {
            execute(r);
        }
        return r;
    }

    private AgentRun prepare(AgentConfig config, String runId, String callerSubject, TokenSource source,
            AgentRun parent, String session) {
        ResourceLimits limits;
        try {
            limits = ResourceLimits.of(config.security());
        } catch (IllegalArgumentException e) {
            return AgentRun.refused(config, runId, callerSubject, e.getMessage(), context);
        }
        TaskLoop.TaskToken own = null;
        if (source != null) {
            try {
                own = source.get();
            } catch (Delegation.Refused e) {
                LOG.info("Agent {} not started: {}", config.name(), e.getMessage());
                return AgentRun.refused(config, runId, callerSubject, e.getMessage(), context);
            }
        }
        RunJournal journal = journal(config);
        AgentRun[] created = new AgentRun[1];
        if (journal.durable() && held.shared()) {
            try {
                journal.guardWith(held.acquire("run:" + runId, () -> {
                    if (created[0] != null) {
                        created[0].abandon("this node lost the run's lease");
                    }
                }));
            } catch (LeaseLostException | RuntimeException e) {
                return AgentRun.refused(config, runId, callerSubject, "cannot lease the run in the cluster: "
                        + e.getMessage(), context);
            }
        }
        if (journal.durable() && own != null) {
            try {
                vault.put(runId, own.raw());
            } catch (RuntimeException e) {
                release(journal);
                return AgentRun.refused(config, runId, callerSubject, "cannot keep the run's token for a durable run: "
                        + e.getMessage(), context);
            }
        }
        AgentRun run = new AgentRun(config, runId, callerSubject, own, limits, context, journal,
                parent == null ? null : parent.config.name(), parent == null ? null : parent.runId, session,
                Instant.now());
        created[0] = run;
        try {
            run.open();
        } catch (RunJournal.NotRecorded | InterruptedException e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            vault.remove(runId);
            release(journal);
            return AgentRun.refused(config, runId, callerSubject, "the run's start could not be recorded: "
                    + e.getMessage(), context);
        }
        return run;
    }

    private static void release(RunJournal journal) {
        HeldLeases.Guard g = journal.guard();
        if (g != null) {
            g.release();
        }
    }

    void execute(AgentRun r) {
        try {
            pool.execute(r);
        } catch (RejectedExecutionException e) {
            r.terminate();
            throw new IllegalStateException("the agent runtime is stopping; agent '" + r.config.name()
                    + "' was not started");
        }
    }

    /**
     * A task was queued for the agent: an idle agent gets a run for its queue (the tasks' own tokens); a running one
     * takes the task after its current task.
     */
    void kick(String agent, String subject) {
        if (stopping) {
            return;
        }
        AgentRun current = runs.get(agent);
        if (current != null && !current.isFinished()) {
            return;
        }
        Optional<AgentConfig> config = catalog.get(agent);
        if (config.isEmpty() && current != null) {
            config = Optional.of(current.config);
        }
        if (config.isEmpty()) {
            dropQueue(agent, "agent '" + agent + "' is not defined");
            return;
        }
        try {
            start(config.get(), subject, null, null, null);
        } catch (IllegalStateException raced) {
            // another thread started a run, which takes the task
        }
    }

    @Override
    public AgentStatus pause(String name) {
        return latest(name).pause();
    }

    @Override
    public AgentStatus resume(String name) {
        return latest(name).resume();
    }

    @Override
    public AgentStatus terminate(String name) {
        return latest(name).terminate();
    }

    @Override
    public Optional<AgentStatus> status(String name) {
        return Optional.ofNullable(runs.get(name)).map(AgentRun::status);
    }

    @Override
    public List<AgentStatus> statuses() {
        return runs.values().stream().map(AgentRun::status).sorted(Comparator.comparing(AgentStatus::agent)).toList();
    }

    @Override
    public AgentStatus await(String name, Duration timeout) throws InterruptedException {
        return latest(name).await(timeout);
    }

    @Override
    public List<AgentTask> tasks(String name) {
        AgentRun r = runs.get(name);
        if (catalog.get(name).isEmpty() && r == null) {
            throw new IllegalArgumentException("unknown agent '" + name + "'");
        }
        List<AgentTask> out = new ArrayList<>();
        if (r != null && !r.isFinished()) {
            r.currentTask().ifPresent(t -> out.add(new AgentTask(t.taskId, t.description, "RUNNING",
                    r.callerSubject, null, r.runId, t.index)));
        }
        Kernel k = kernel;
        if (k != null) {
            for (QueuedTask q : k.queued(name)) {
                out.add(new AgentTask(q.id(), q.task(), "QUEUED", q.subject(), q.queuedAt(), null, 0));
            }
        }
        return out;
    }

    private AgentRun latest(String name) {
        AgentRun r = runs.get(name);
        if (r == null) {
            throw new IllegalArgumentException("agent '" + name + "' has not run");
        }
        return r;
    }

    // ---------------------------------------------------------------- the kernel's agent runtime

    @Override
    public Admission admit(Operation operation, SecurityContext caller) throws InvalidOperationException,
            CapabilityDeniedException {
        return admissions.admit(operation, caller);
    }

    /** A queued task's token, kept. */
    void keepTaskToken(String taskId, String raw, boolean durable) {
        taskTokens.put(taskId, raw);
        if (durable) {
            vault.put(taskId, raw);
        }
    }

    // ---------------------------------------------------------------- AgentRun.Host

    @Override
    public Optional<QueuedTask> takeTask(String agent, String runId) {
        Kernel k = kernel;
        return k == null ? Optional.empty() : k.take(agent, runId);
    }

    @Override
    public int queued(String agent) {
        Kernel k = kernel;
        return k == null ? 0 : k.queuedTasks(agent);
    }

    @Override
    public TaskLoop.TaskToken taskToken(String taskId) throws AgentRun.TokenUnavailable {
        String raw = taskTokens.get(taskId);
        if (raw == null) {
            raw = vault.get(taskId).orElse(null);
        }
        if (raw == null) {
            throw new AgentRun.TokenUnavailable("the task's token was not kept (the agent is not durable, or Toka "
                    + "restarted before it was stored), so the task cannot run");
        }
        try {
            return delegation.reauthenticate(raw, false);
        } catch (Delegation.Refused e) {
            throw new AgentRun.TokenUnavailable("the task's token is no longer valid: " + e.getMessage());
        }
    }

    @Override
    public void taskDone(String taskId) {
        if (taskId == null) {
            return;
        }
        taskTokens.remove(taskId);
        vault.remove(taskId);
    }

    @Override
    public void runEnded(AgentRun run, boolean quietly) {
        HeldLeases.Guard g = run.journal().guard();
        if (quietly) {
            if (g != null && !g.lost()) {
                g.expire(); // stopped here without an end: another node may take it over at once
            }
            return;
        }
        if (g != null && g.lost()) {
            return; // another node runs it now: its token stays kept for that node
        }
        vault.remove(run.runId);
        if (g != null) {
            g.release();
        }
        String agent = run.config.name();
        if (!stopping && queued(agent) > 0 && runs.get(agent) == run) {
            kick(agent, run.callerSubject);
        }
    }

    @Override
    public boolean canSpawn() {
        return kernel != null;
    }

    @Override
    public Optional<String> spawn(AgentRun parent, TaskLoop.TaskToken token, String child) {
        Kernel k = kernel;
        if (k == null) {
            return Optional.of("no kernel to spawn through");
        }
        try {
            k.submit(new Message(token.context().subject(), token.raw(),
                    new Operation.SpawnSubAgent(parent.config.name(), child)));
            return Optional.empty();
        } catch (KernelException e) {
            return Optional.of(e.getMessage());
        } catch (RuntimeException e) {
            LOG.warn("Agent {} could not spawn {}", parent.config.name(), child, e);
            return Optional.of("the spawn failed: " + e.getClass().getSimpleName());
        }
    }

    // ---------------------------------------------------------------- recovery

    private void recoverInBackground() {
        if (store == null || kernel == null) {
            recovered.countDown();
            return;
        }
        Thread t = new Thread(() -> {
            try {
                new Recovery(this).run();
            } catch (RuntimeException e) {
                LOG.error("Rebuilding the unfinished agent runs failed", e);
            } finally {
                recovered.countDown();
            }
            if (held.shared() && !stopping) {
                takeover.start();
            }
        }, "toka-agent-recovery");
        t.setDaemon(true);
        recovery = t;
        t.start();
    }

    /** For tests: rebuilds and resumes the unfinished runs now, on this thread. */
    Recovery.Report recover() {
        try {
            return new Recovery(this).run();
        } finally {
            recovered.countDown();
        }
    }

    // ---------------------------------------------------------------- sessions

    @Override
    public AgentStatus runInSession(String name, SecurityContext caller, String session) {
        AgentRun current = runs.get(name);
        // an agent runs once per session: its run of this session (resumed after a restart, perhaps already ended)
        if (current != null && session != null && session.equals(current.session)) {
            return current.status();
        }
        if (session != null && placement.active()) {
            // or its run of this session on another node (placed there, or ended while no node held the session)
            Optional<AgentStatus> there = placement.fromLog(name, session);
            if (there.isPresent()) {
                return there.get();
            }
            caller.authorize("agent.run:" + name, List.of(AgentPermissions.RUN));
            AgentConfig config = catalog.get(name)
                    .orElseThrow(() -> new IllegalArgumentException("unknown agent '" + name + "'"));
            return placement.place(config, caller, session, () -> run(name, caller, session).status());
        }
        return run(name, caller, session).status();
    }

    @Override
    public AgentStatus awaitInSession(AgentStatus run, String session, Duration timeout) throws InterruptedException {
        AgentRun here = runs.get(run.agent());
        if (here != null && here.runId.equals(run.runId())) {
            return here.await(timeout);
        }
        if (placement.active() && session != null && run.runId() != null) {
            return placement.await(run, session, timeout);
        }
        return await(run.agent(), timeout);
    }

    /**
     * Prepares a run of the session to be handed to another node: its token, its lease and its start are recorded as
     * for a run here, but it is not executed here, nor shown as this node's.
     */
    AgentRun prepareElsewhere(AgentConfig config, SecurityContext caller, String session) {
        return prepare(config, UUID.randomUUID().toString(), caller.subject(),
                () -> delegation.token(config, caller, true), null, session);
    }

    @Override
    public boolean awaitRecovered(Duration timeout) throws InterruptedException {
        return recovered.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    @Override
    public boolean durableRuns() {
        return durableHere();
    }

    @Override
    public java.nio.file.Path stateDirectory() {
        return settings.stateDirectory();
    }

    @Override
    public TokenKeeper sessionTokens() {
        return sessionTokens;
    }

    @Override
    public HeldLeases leases() {
        return held;
    }

    @Override
    public void takeOverRunsOf(String session, String from, Duration wait) throws InterruptedException {
        takeover.runsOf(session, from, wait);
    }

    boolean stopping() {
        return stopping;
    }

    private static ThreadFactory threads(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
