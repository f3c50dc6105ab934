package io.toka.llm.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.toka.llm.LlmException;
import io.toka.llm.LlmException.Reason;
import io.toka.llm.LlmGateway;
import io.toka.llm.LlmRequest;
import io.toka.llm.LlmResponse;
import io.toka.llm.LlmUsage;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongUnaryOperator;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.metatype.annotations.Designate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway: per-agent rate limit, then the sanitiser, then the provider's queue ({@link ModelScheduler}: at most
 * {@code maxConcurrent} calls at once, by priority with aging, agents taking turns), then the provider with retries
 * (holding its slot), then usage accounting.
 *
 * <p>It activates without a key, so Toka starts without one; every request then fails with a CONFIGURATION error
 * naming the variable to set. Other bad settings (rate limit 0, an unknown provider, a base URL that is not http)
 * refuse the configuration. The key is never logged, never put in a message, and never follows a redirect.
 *
 * <p>The component registers its service itself rather than through DS: DS would copy every configuration property
 * into the service properties, the API key included, where every bundle and {@code service:list} could read it.
 */
@Component(service = {}, configurationPid = LlmGatewayImpl.PID)
@Designate(ocd = LlmConfig.class)
public final class LlmGatewayImpl implements LlmGateway {

    /** Configuration PID. */
    public static final String PID = "io.toka.llm";

    /** Usage is kept for this many agents; more share one line. */
    static final int MAX_USAGE_AGENTS = 10_000;
    static final String OTHER_AGENTS = "(other agents)";

    private static final Logger LOG = LoggerFactory.getLogger(LlmGatewayImpl.class);

    private final Settings settings;
    private final Provider provider;
    private final AgentRateLimiter limiter;
    private final RequestSanitizer sanitizer = new RequestSanitizer();
    private final Admission admission;
    private final ExecutorService httpThreads;
    private final Map<String, AgentUsage> usage = new ConcurrentHashMap<>();
    private volatile boolean stopped;
    private ServiceRegistration<LlmGateway> registration; // guarded by this

    private final LongAdder requests = new LongAdder();
    private final LongAdder successes = new LongAdder();
    private final LongAdder failures = new LongAdder();
    private final LongAdder rateLimited = new LongAdder();
    private final LongAdder blocked = new LongAdder();
    private final LongAdder retries = new LongAdder();
    private final LongAdder inputTokens = new LongAdder();
    private final LongAdder outputTokens = new LongAdder();
    private final LongAdder answeredMillis = new LongAdder();
    private final LongAdder secretsMasked = new LongAdder();
    private final LongAdder injectionsFiltered = new LongAdder();

    /**
     * Resolves the configuration against the process environment and registers the service.
     *
     * @throws IllegalArgumentException for a bad setting (not for a missing key), naming it and the allowed form
     */
    @Activate
    public LlmGatewayImpl(BundleContext context, LlmConfig config) {
        this(resolve(config), Thread::sleep, LlmGatewayImpl::jitter);
        synchronized (this) {
            registration = context.registerService(LlmGateway.class, this, null);
        }
    }

    private static Settings resolve(LlmConfig config) {
        try {
            return Settings.resolve(config, System::getenv);
        } catch (IllegalArgumentException e) {
            LOG.error("LLM gateway configuration ({}) refused: {}", PID, e.getMessage());
            throw e;
        }
    }

    private static long jitter(long bound) {
        return ThreadLocalRandom.current().nextLong(bound + 1);
    }

    /**
     * @param settings resolved settings
     * @param sleeper waits between retries
     * @param random jitter: a value in [0, bound]
     */
    LlmGatewayImpl(Settings settings, HttpCaller.Sleeper sleeper, LongUnaryOperator random) {
        this(settings, sleeper, random, new ModelScheduler(settings.maxConcurrent(), settings.agingMillis(),
                System::nanoTime));
    }

    /**
     * @param settings resolved settings
     * @param sleeper waits between retries
     * @param random jitter: a value in [0, bound]
     * @param admission the provider's queue (a benchmark's baseline may pass another)
     */
    LlmGatewayImpl(Settings settings, HttpCaller.Sleeper sleeper, LongUnaryOperator random, Admission admission) {
        this.settings = settings;
        this.admission = admission;
        this.limiter = new AgentRateLimiter(settings.rateLimitPerMinute());
        AtomicInteger threads = new AtomicInteger();
        this.httpThreads = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "toka-llm-http-" + threads.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        // Redirects are never followed: the key would go along to wherever the redirect points.
        HttpClient client = HttpClient.newBuilder().connectTimeout(settings.timeout())
                .followRedirects(HttpClient.Redirect.NEVER).executor(httpThreads).build();
        HttpCaller caller = new HttpCaller(client, settings.timeout(), new RetryPolicy(settings.maxRetries(),
                settings.retryBaseMillis(), settings.retryMaxMillis()), sleeper, random);
        ObjectMapper json = new ObjectMapper();
        String userAgent = "toka-llm-gateway/" + version();
        this.provider = settings.provider().equals(Settings.ANTHROPIC)
                ? new AnthropicProvider(settings, json, caller, userAgent)
                : new OpenAiProvider(settings, json, caller, userAgent);
        if (settings.keyProblem() != null) {
            LOG.warn("LLM gateway: {}; requests fail until it is set ({} {} at {})", settings.keyProblem(),
                    settings.provider(), settings.model(), settings.baseUrl());
        } else {
            LOG.info("LLM gateway: {} {} at {}, {} requests per minute per agent, {} at once (aging {} ms), timeout {}"
                    + " s, {} retries{}", settings.provider(), settings.model(), settings.baseUrl(),
                    settings.rateLimitPerMinute(), settings.maxConcurrent(), settings.agingMillis(),
                    settings.timeout().toSeconds(), settings.maxRetries(),
                    settings.apiKey().isEmpty() ? ", no key" : "");
            if (!settings.apiKey().isEmpty() && settings.baseUrl().getScheme().equals("http")
                    && !isLoopback(settings.baseUrl().getHost())) {
                LOG.warn("LLM gateway: the key goes over plain http to {}; use https", settings.baseUrl().getHost());
            }
        }
    }

    /** A gateway that is not registered, with real waits and jitter (for tests). */
    static LlmGatewayImpl create(Settings settings) {
        return new LlmGatewayImpl(settings, Thread::sleep, LlmGatewayImpl::jitter);
    }

    /**
     * Unregisters the service, fails the calls still queued (CONFIGURATION: stopped) and stops the HTTP threads.
     * Calling it twice is harmless.
     */
    @Deactivate
    void deactivate() {
        synchronized (this) {
            if (registration != null) {
                try {
                    registration.unregister();
                } catch (IllegalStateException alreadyGone) {
                    // the framework unregisters it when the bundle stops first
                }
                registration = null;
            }
        }
        stopped = true;
        admission.close();
        httpThreads.shutdownNow();
    }

    @Override
    public LlmResponse complete(LlmRequest request) throws LlmException, InterruptedException {
        Objects.requireNonNull(request, "request");
        long start = System.nanoTime();
        requests.increment();
        AgentUsage agent = usageOf(request.agent());
        try {
            if (stopped) {
                throw new LlmException(Reason.CONFIGURATION, "The LLM gateway is stopped");
            }
            if (settings.keyProblem() != null) {
                throw new LlmException(Reason.CONFIGURATION, settings.keyProblem());
            }
            long wait = limiter.tryAcquire(request.agent());
            if (wait > 0) {
                rateLimited.increment();
                long seconds = Math.max(1, (wait + 999_999_999L) / 1_000_000_000L);
                throw new LlmException(Reason.RATE_LIMITED, "Rate limit exceeded for agent '" + request.agent()
                        + "': " + limiter.perMinute() + " requests per minute; retry in " + seconds + " s");
            }
            RequestSanitizer.Result clean;
            try {
                clean = sanitizer.sanitize(request);
            } catch (LlmException e) {
                if (e.reason() == Reason.BLOCKED) {
                    blocked.increment();
                    LOG.warn("Request of agent '{}' blocked: {}", request.agent(), e.getMessage());
                }
                throw e;
            }
            secretsMasked.add(clean.secretsMasked());
            injectionsFiltered.add(clean.injectionsFiltered());
            if (clean.injectionsFiltered() > 0) {
                LOG.warn("Filtered {} prompt-injection phrase(s) from tool results of agent '{}'",
                        clean.injectionsFiltered(), request.agent());
            }
            LlmResponse answer;
            Admission.Slot slot = admission.enter(request.agent(), request.priority());
            try {
                answer = provider.complete(clean.request(), () -> {
                    agent.retries.increment();
                    retries.increment();
                });
            } finally {
                slot.release();
            }
            long millis = (System.nanoTime() - start) / 1_000_000;
            long waitMillis = slot.waitNanos() / 1_000_000;
            agent.requests.increment();
            agent.inputTokens.add(answer.inputTokens());
            agent.outputTokens.add(answer.outputTokens());
            successes.increment();
            inputTokens.add(answer.inputTokens());
            outputTokens.add(answer.outputTokens());
            answeredMillis.add(millis);
            LOG.debug("Agent '{}': {} answered in {} ms, {} of them queued ({} tokens in, {} out, stop {})",
                    request.agent(), provider.label(), millis, waitMillis, answer.inputTokens(),
                    answer.outputTokens(), answer.stopReason());
            return new LlmResponse(answer.content(), answer.stopReason(), answer.inputTokens(),
                    answer.outputTokens(), answer.provider(), answer.model(), millis, waitMillis);
        } catch (LlmException e) {
            agent.failures.increment();
            failures.increment();
            LOG.debug("Agent '{}': {} request failed ({}): {}", request.agent(), provider.label(), e.reason(),
                    e.getMessage());
            throw e;
        } catch (InterruptedException | RuntimeException e) {
            agent.failures.increment();
            failures.increment();
            throw e;
        }
    }

    @Override
    public ProviderInfo provider() {
        return new ProviderInfo(settings.provider(), settings.model(), settings.baseUrl().toString());
    }

    @Override
    public Map<String, LlmUsage> usage() {
        Map<String, LlmUsage> snapshot = new TreeMap<>();
        usage.forEach((agent, u) -> snapshot.put(agent, u.snapshot()));
        return snapshot;
    }

    @Override
    public QueueStats queueStats() {
        return admission.stats(settings.provider());
    }

    @Override
    public Metrics metrics() {
        long answered = successes.sum();
        return new Metrics(requests.sum(), answered, failures.sum(), rateLimited.sum(), blocked.sum(),
                retries.sum(), inputTokens.sum(), outputTokens.sum(), answered == 0 ? 0 : answeredMillis.sum()
                        / answered, secretsMasked.sum(), injectionsFiltered.sum());
    }

    Settings settings() {
        return settings;
    }

    private AgentUsage usageOf(String agent) {
        AgentUsage existing = usage.get(agent);
        if (existing != null) {
            return existing;
        }
        String key = usage.size() >= MAX_USAGE_AGENTS ? OTHER_AGENTS : agent;
        return usage.computeIfAbsent(key, k -> new AgentUsage());
    }

    private static boolean isLoopback(String host) {
        return host.equals("localhost") || host.startsWith("127.") || host.equals("[::1]") || host.equals("::1");
    }

    private static String version() {
        try (InputStream in = LlmGatewayImpl.class.getResourceAsStream("version.properties")) {
            if (in != null) {
                Properties p = new Properties();
                p.load(in);
                String v = p.getProperty("version", "");
                if (!v.isBlank() && !v.startsWith("$")) {
                    return v;
                }
            }
        } catch (IOException e) {
            LOG.debug("Cannot read version.properties", e);
        }
        return "0.0.0";
    }
}
