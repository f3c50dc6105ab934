package io.toka.llm.internal;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.Locale;
import java.util.function.Function;

/**
 * The gateway's settings, resolved from the configuration, then the environment, then the defaults.
 *
 * <p>A missing or malformed key does not make the settings invalid: Toka must start without one, so {@link #keyProblem}
 * holds the message every request then fails with. Any other bad value is an {@link IllegalArgumentException} from
 * {@link #resolve}, which refuses the configuration.
 *
 * @param provider {@code anthropic} or {@code openai}
 * @param model the model name
 * @param baseUrl scheme, host, port and any path prefix, without a trailing slash or {@code /v1}
 * @param apiKey the key, or empty (allowed for OpenAI-compatible servers other than api.openai.com)
 * @param organization the OpenAI organization header value, or empty
 * @param rateLimitPerMinute requests per minute per agent
 * @param timeout the time one attempt may take
 * @param maxRetries further attempts after a retryable failure
 * @param retryBaseMillis first backoff delay
 * @param retryMaxMillis longest backoff delay, also the cap on Retry-After
 * @param anthropicVersion the anthropic-version header
 * @param maxConcurrent the most model calls the provider gets at once
 * @param agingMillis the queue wait that counts as one priority level
 * @param keyProblem why requests cannot be sent (no key, bad key format, no endpoint), or {@code null}
 */
record Settings(String provider, String model, URI baseUrl, String apiKey, String organization,
        int rateLimitPerMinute, Duration timeout, int maxRetries, long retryBaseMillis, long retryMaxMillis,
        String anthropicVersion, int maxConcurrent, long agingMillis, String keyProblem) {

    static final String ANTHROPIC = "anthropic";
    static final String OPENAI = "openai";
    static final String LOCAL = "local";

    static final String ANTHROPIC_BASE = "https://api.anthropic.com";
    static final String OPENAI_BASE = "https://api.openai.com";
    /** The original's claude-3-5-sonnet-20241022 has been retired by Anthropic. */
    static final String ANTHROPIC_MODEL = "claude-sonnet-4-5";
    static final String OPENAI_MODEL = "gpt-4o-mini";
    static final String LOCAL_MODEL = "local-model";
    static final int DEFAULT_RATE_LIMIT = 60;
    static final int DEFAULT_TIMEOUT_SECONDS = 30;
    static final int MAX_CONCURRENT = 1024;
    static final long MAX_AGING_MILLIS = 86_400_000L;

    private static final String CFG = "etc/io.toka.llm.cfg";

    Settings {
        apiKey = apiKey == null ? "" : apiKey;
        organization = organization == null ? "" : organization;
    }

    /**
     * @param config the configuration
     * @param env the environment, e.g. {@code System::getenv}; returns {@code null} for an unset variable
     * @throws IllegalArgumentException naming the bad setting or variable and the allowed form
     */
    static Settings resolve(LlmConfig config, Function<String, String> env) {
        String provider = firstSet(config.provider(), env.apply("LLM_PROVIDER"));
        String providerSource = !blank(config.provider()) ? "provider" : "LLM_PROVIDER";
        if (provider == null) {
            provider = infer(config.apiKey(), env);
        }
        provider = provider.trim().toLowerCase(Locale.ROOT);
        if (!provider.equals(ANTHROPIC) && !provider.equals(OPENAI) && !provider.equals(LOCAL)) {
            throw new IllegalArgumentException("Unknown LLM provider: " + provider + " (from " + providerSource
                    + "). Supported: anthropic, openai, local");
        }

        String keyVariable = switch (provider) {
            case ANTHROPIC -> "ANTHROPIC_API_KEY";
            case OPENAI -> "OPENAI_API_KEY";
            default -> "LOCAL_LLM_AUTH_TOKEN";
        };
        String key = firstSet(config.apiKey(), env.apply(keyVariable));
        key = key == null ? "" : key.trim();

        String baseText = firstSet(config.baseUrl(), env.apply("LLM_BASE_URL"));
        String baseSource = !blank(config.baseUrl()) ? "baseUrl" : "LLM_BASE_URL";
        String keyProblem = null;
        if (baseText == null) {
            switch (provider) {
                case ANTHROPIC -> baseText = ANTHROPIC_BASE;
                case OPENAI -> baseText = OPENAI_BASE;
                default -> {
                    baseText = env.apply("LOCAL_LLM_ENDPOINT");
                    baseSource = "LOCAL_LLM_ENDPOINT";
                    if (blank(baseText)) {
                        baseText = "http://127.0.0.1:11434";
                        keyProblem = "LOCAL_LLM_ENDPOINT required for local provider (or set baseUrl in " + CFG + ")";
                    }
                }
            }
        }
        URI base = baseUrl(baseText.trim(), baseSource);

        String model = firstSet(config.model(), env.apply("LLM_MODEL"));
        if (model == null) {
            model = switch (provider) {
                case ANTHROPIC -> ANTHROPIC_MODEL;
                case OPENAI -> OPENAI_MODEL;
                default -> LOCAL_MODEL;
            };
        }

        if (keyProblem == null) {
            keyProblem = keyProblem(provider, key, keyVariable, base);
        }
        String organization = firstSet(config.organization(), env.apply("OPENAI_ORGANIZATION"));

        int rateLimit = config.rateLimitPerMinute() >= 0 ? config.rateLimitPerMinute()
                : number(env.apply("LLM_RATE_LIMIT"), "LLM_RATE_LIMIT", DEFAULT_RATE_LIMIT);
        if (rateLimit <= 0) {
            throw new IllegalArgumentException("The rate limit must be a positive number of requests per minute per "
                    + "agent, not " + rateLimit + " (from " + (config.rateLimitPerMinute() >= 0
                            ? "rateLimitPerMinute" : "LLM_RATE_LIMIT") + ")");
        }
        int timeoutSeconds = config.timeoutSeconds() >= 0 ? config.timeoutSeconds()
                : number(env.apply("LLM_TIMEOUT"), "LLM_TIMEOUT", DEFAULT_TIMEOUT_SECONDS);
        if (timeoutSeconds <= 0) {
            throw new IllegalArgumentException("The timeout must be a positive number of seconds, not "
                    + timeoutSeconds + " (from " + (config.timeoutSeconds() >= 0 ? "timeoutSeconds" : "LLM_TIMEOUT")
                    + ")");
        }
        if (config.maxRetries() < 0 || config.maxRetries() > 20) {
            throw new IllegalArgumentException("maxRetries must be between 0 and 20, not " + config.maxRetries());
        }
        if (config.retryBaseMillis() <= 0 || config.retryMaxMillis() < config.retryBaseMillis()) {
            throw new IllegalArgumentException("retryBaseMillis must be positive and retryMaxMillis at least as "
                    + "large, not " + config.retryBaseMillis() + " and " + config.retryMaxMillis());
        }
        if (config.maxConcurrent() < 1 || config.maxConcurrent() > MAX_CONCURRENT) {
            throw new IllegalArgumentException("maxConcurrent must be between 1 and " + MAX_CONCURRENT
                    + " model calls at once, not " + config.maxConcurrent());
        }
        if (config.agingMillis() < 1 || config.agingMillis() > MAX_AGING_MILLIS) {
            throw new IllegalArgumentException("agingMillis must be between 1 and " + MAX_AGING_MILLIS
                    + " (one day), not " + config.agingMillis());
        }
        if (blank(config.anthropicVersion())) {
            throw new IllegalArgumentException("anthropicVersion must be set, e.g. 2023-06-01");
        }
        return new Settings(provider.equals(LOCAL) ? OPENAI : provider, model.trim(), base, key,
                organization == null ? "" : organization.trim(), rateLimit, Duration.ofSeconds(timeoutSeconds),
                config.maxRetries(), config.retryBaseMillis(), config.retryMaxMillis(),
                config.anthropicVersion().trim(), config.maxConcurrent(), config.agingMillis(), keyProblem);
    }

    /** As the original: an Anthropic key means anthropic, else an OpenAI key openai, else a local endpoint. */
    private static String infer(String configuredKey, Function<String, String> env) {
        if (!blank(configuredKey)) {
            return configuredKey.trim().startsWith("sk-ant-") || !configuredKey.trim().startsWith("sk-") ? ANTHROPIC
                    : OPENAI;
        }
        if (!blank(env.apply("ANTHROPIC_API_KEY"))) {
            return ANTHROPIC;
        }
        if (!blank(env.apply("OPENAI_API_KEY"))) {
            return OPENAI;
        }
        if (!blank(env.apply("LOCAL_LLM_ENDPOINT"))) {
            return LOCAL;
        }
        return ANTHROPIC;
    }

    /**
     * The original's key-prefix checks, applied only where they hold: a proxy or a local server in front of the
     * model may issue keys of any form.
     */
    private static String keyProblem(String provider, String key, String variable, URI base) {
        String host = base.getHost().toLowerCase(Locale.ROOT);
        switch (provider) {
            case ANTHROPIC -> {
                if (key.isEmpty()) {
                    return variable + " required for Anthropic provider (or set apiKey in " + CFG + ")";
                }
                if (host.equals("api.anthropic.com") && !key.startsWith("sk-ant-")) {
                    return "Invalid Anthropic API key format: it must start with sk-ant- (check " + variable
                            + " or apiKey in " + CFG + ")";
                }
            }
            case OPENAI -> {
                if (host.equals("api.openai.com")) {
                    if (key.isEmpty()) {
                        return variable + " required for OpenAI provider (or set apiKey in " + CFG + ")";
                    }
                    if (!key.startsWith("sk-")) {
                        return "Invalid OpenAI API key format: it must start with sk- (check " + variable
                                + " or apiKey in " + CFG + ")";
                    }
                }
            }
            default -> {
                // a local server: any key or none
            }
        }
        return null;
    }

    private static URI baseUrl(String text, String source) {
        String form = " must be an http or https URL such as https://api.anthropic.com or http://127.0.0.1:11434";
        URI uri;
        try {
            uri = new URI(text);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException(source + form + ", not '" + text + "'", e);
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!(scheme.equals("http") || scheme.equals("https")) || uri.getHost() == null || uri.getQuery() != null
                || uri.getFragment() != null || uri.getUserInfo() != null) {
            throw new IllegalArgumentException(source + form + " (no user, query or fragment), not '" + text + "'");
        }
        String path = uri.getPath() == null ? "" : uri.getPath();
        while (path.endsWith("/")) {
            path = path.substring(0, path.length() - 1);
        }
        // OpenAI's SDKs spell the base with /v1; both spellings mean the same server.
        if (path.endsWith("/v1")) {
            path = path.substring(0, path.length() - 3);
        }
        try {
            return new URI(scheme, null, uri.getHost(), uri.getPort(), path, null, null);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException(source + form + ", not '" + text + "'", e);
        }
    }

    private static int number(String text, String variable, int fallback) {
        if (blank(text)) {
            return fallback;
        }
        try {
            return Integer.parseInt(text.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(variable + " must be a whole number, not '" + text.trim() + "'");
        }
    }

    private static String firstSet(String configured, String fromEnv) {
        return !blank(configured) ? configured.trim() : blank(fromEnv) ? null : fromEnv.trim();
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }

    /** The endpoint path for the provider. */
    URI endpoint() {
        return URI.create(baseUrl + (provider.equals(ANTHROPIC) ? "/v1/messages" : "/v1/chat/completions"));
    }

    /** Never shows the key. */
    @Override
    public String toString() {
        return "Settings[provider=" + provider + ", model=" + model + ", baseUrl=" + baseUrl + ", apiKey="
                + (apiKey.isEmpty() ? "(none)" : "****") + ", organization=" + organization + ", rateLimitPerMinute="
                + rateLimitPerMinute + ", timeout=" + timeout + ", maxRetries=" + maxRetries + ", retryBaseMillis="
                + retryBaseMillis + ", retryMaxMillis=" + retryMaxMillis + ", anthropicVersion=" + anthropicVersion
                + ", maxConcurrent=" + maxConcurrent + ", agingMillis=" + agingMillis + ", keyProblem=" + keyProblem
                + "]";
    }
}
