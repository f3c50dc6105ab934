package io.toka.orchestration.internal.agent;

import io.toka.kernel.Kernel;
import io.toka.llm.LlmGateway;
import io.toka.orchestration.AgentConfig;
import io.toka.orchestration.AgentConfigException;
import io.toka.orchestration.AgentService;
import io.toka.orchestration.AgentStatus;
import io.toka.orchestration.internal.config.AgentCatalog;
import io.toka.runtime.registry.ToolRegistry;
import io.toka.security.AccessDeniedException;
import io.toka.security.AuthenticationException;
import io.toka.security.DelegationRequest;
import io.toka.security.IssuedToken;
import io.toka.security.SecurityContext;
import io.toka.security.TokenClaims;
import io.toka.security.TokenRequestException;
import io.toka.security.TokenService;
import java.time.Duration;
import java.time.Instant;
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
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs agents: each run gets a token delegated from the caller's and narrowed to the agent's
 * {@code capabilities_required} (see {@link AgentPermissions}), and a thread of a pool of
 * {@code maxConcurrentAgents}; more runs wait for a thread in state {@code READY}. See {@link AgentRun} for the
 * lifecycle and {@link TaskLoop} for one task's conversation with the model.
 */
@Component(service = AgentService.class, configurationPid = AgentServiceImpl.PID)
@Designate(ocd = AgentServiceImpl.Config.class)
public final class AgentServiceImpl implements AgentService {

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
    }

    private static final Logger LOG = LoggerFactory.getLogger(AgentServiceImpl.class);

    private final AgentCatalog catalog;
    private final ToolRegistry tools;
    private final TokenService tokens;
    private final Settings settings;
    private final ThreadPoolExecutor pool;
    private final ScheduledThreadPoolExecutor watchdog;
    private final AgentRun.Context context;
    /** Agent name → its latest run. */
    private final Map<String, AgentRun> runs = new ConcurrentHashMap<>();

    /** Where progress and results are posted; absent in plain unit tests. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    volatile Kernel kernel;

    @Activate
    public AgentServiceImpl(@Reference AgentCatalog catalog, @Reference LlmGateway llm, @Reference ToolRegistry tools,
            @Reference TokenService tokens, Config config) {
        this.catalog = catalog;
        this.tools = tools;
        this.tokens = tokens;
        this.settings = Settings.of(config);
        this.pool = new ThreadPoolExecutor(settings.maxConcurrentAgents(), settings.maxConcurrentAgents(), 0,
                TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(), threads("toka-agent-"));
        this.watchdog = new ScheduledThreadPoolExecutor(1, threads("toka-agent-watchdog-"));
        watchdog.setRemoveOnCancelPolicy(true);
        this.context = new AgentRun.Context(llm, tools, new Reporter(() -> kernel), settings, watchdog);
        LOG.info("Agent runtime started: {} concurrent agent(s), {} retries from {} ms", settings.maxConcurrentAgents(),
                settings.maxRetries(), settings.retryBaseMillis());
    }

    /** Sets the kernel events go to; for tests that build the service with {@code new}. */
    public void setKernel(Kernel kernel) {
        this.kernel = kernel;
    }

    @Deactivate
    public void deactivate() {
        if (pool.isShutdown()) {
            return;
        }
        runs.values().forEach(AgentRun::terminate);
        pool.shutdownNow();
        watchdog.shutdownNow();
        try {
            if (!pool.awaitTermination(10, TimeUnit.SECONDS)) {
                LOG.warn("Some agent threads did not stop within 10 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
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
        return catalog.remove(name);
    }

    // ---------------------------------------------------------------- runs

    @Override
    public AgentStatus run(String name, SecurityContext caller) {
        Objects.requireNonNull(caller, "caller");
        caller.authorize("agent.run:" + name, List.of(AgentPermissions.RUN));
        AgentConfig config = catalog.get(name)
                .orElseThrow(() -> new IllegalArgumentException("unknown agent '" + name + "'"));
        String runId = UUID.randomUUID().toString();
        AgentRun[] created = new AgentRun[1];
        runs.compute(name, (n, previous) -> {
            if (previous != null && !previous.isFinished()) {
                throw new IllegalStateException("agent '" + name + "' is already running (run " + previous.runId
                        + ")");
            }
            created[0] = prepare(config, runId, caller);
            return created[0];
        });
        AgentRun r = created[0];
        if (!r.isFinished()) {
            try {
                pool.execute(r);
            } catch (RejectedExecutionException e) {
                r.terminate();
                throw new IllegalStateException("the agent runtime is stopping; agent '" + name + "' was not started");
            }
        }
        return r.status();
    }

    /** Delegates and authenticates the agent's token; a run that cannot get one is failed at once, with the reason. */
    private AgentRun prepare(AgentConfig config, String runId, SecurityContext caller) {
        ResourceLimits limits;
        try {
            limits = ResourceLimits.of(config.security());
        } catch (IllegalArgumentException e) {
            return AgentRun.refused(config, runId, caller.subject(), e.getMessage(), context);
        }
        List<String> capabilities = AgentPermissions.capabilities(
                config.security() == null ? List.of() : config.security().capabilitiesRequired());
        if (capabilities.isEmpty()) {
            return AgentRun.refused(config, runId, caller.subject(),
                    "security.capabilities_required is empty: an agent token needs at least one permission", context);
        }
        List<String> permissions = AgentPermissions.delegated(capabilities, tools.list(), caller);
        SecurityContext agent;
        try {
            // A caller with a token (HTTP) delegates from it, so the agent's token is a narrowed child in its chain.
            // A shell user logged in through JAAS has no token: Toka issues one for the agent, which needs
            // token:issue and every permission granted (checked by the token service).
            IssuedToken token = caller.token().isPresent()
                    ? tokens.delegate(caller, new DelegationRequest("agent:" + config.name(), permissions,
                            ttl(caller), List.of(), java.util.Set.of()))
                    : tokens.issue(caller, new io.toka.security.TokenRequest("agent:" + config.name(), null,
                            permissions, settings.tokenTtl()));
            agent = tokens.authenticate(token.token());
        } catch (AccessDeniedException | TokenRequestException | AuthenticationException e) {
            String reason = "cannot delegate the agent's token from " + caller.subject() + ": " + e.getMessage();
            LOG.info("Agent {} not started: {}", config.name(), reason);
            return AgentRun.refused(config, runId, caller.subject(), reason, context);
        }
        return new AgentRun(config, runId, caller.subject(), agent, limits, context);
    }

    /** The configured lifetime, or null (expire with the caller's token) when that would outlive it. */
    private Duration ttl(SecurityContext caller) {
        Optional<Instant> parentExpiry = caller.token().map(TokenClaims::expiresAt);
        if (parentExpiry.isPresent() && Instant.now().plus(settings.tokenTtl()).isAfter(parentExpiry.get())) {
            return null;
        }
        return settings.tokenTtl();
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

    private AgentRun latest(String name) {
        AgentRun r = runs.get(name);
        if (r == null) {
            throw new IllegalArgumentException("agent '" + name + "' has not run");
        }
        return r;
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
