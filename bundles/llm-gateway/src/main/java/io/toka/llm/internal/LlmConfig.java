package io.toka.llm.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * Configuration of the LLM gateway ({@code etc/io.toka.llm.cfg}). Empty strings and negative numbers mean "not set
 * here": the original environment variable is used, then the built-in default.
 */
@ObjectClassDefinition(name = "Toka LLM gateway",
        description = "Which language model Toka asks, with which key, and how hard: rate limit, timeout, retries, "
                + "concurrent calls and their order.")
public @interface LlmConfig {

    @AttributeDefinition(name = "Provider",
            description = "anthropic, openai (any OpenAI-compatible Chat Completions server: OpenAI, Ollama, vLLM, "
                    + "llama.cpp) or local (openai with LOCAL_LLM_ENDPOINT and LOCAL_LLM_AUTH_TOKEN). Empty: "
                    + "LLM_PROVIDER, else inferred from which key is set, else anthropic.")
    String provider() default "";

    @AttributeDefinition(name = "Model", description = "Model name. Empty: LLM_MODEL, else the provider's default.")
    String model() default "";

    @AttributeDefinition(name = "Base URL",
            description = "Where requests go, e.g. http://127.0.0.1:11434 for Ollama (a trailing /v1 is accepted). "
                    + "Empty: LLM_BASE_URL, else https://api.anthropic.com or https://api.openai.com.")
    String baseUrl() default "";

    @AttributeDefinition(name = "API key", type = org.osgi.service.metatype.annotations.AttributeType.PASSWORD,
            description = "The provider's key. Empty: ANTHROPIC_API_KEY or OPENAI_API_KEY. May stay empty for an "
                    + "OpenAI-compatible server other than api.openai.com (Ollama needs none).")
    String apiKey() default "";

    @AttributeDefinition(name = "OpenAI organization",
            description = "Sent as OpenAI-Organization. Empty: OPENAI_ORGANIZATION, else not sent.")
    String organization() default "";

    @AttributeDefinition(name = "Rate limit per agent",
            description = "Requests per minute for each agent. -1: LLM_RATE_LIMIT, else 60. Must be positive.")
    int rateLimitPerMinute() default -1;

    @AttributeDefinition(name = "Timeout (s)",
            description = "Seconds one attempt may take, connect to last byte. -1: LLM_TIMEOUT, else 30. Must be "
                    + "positive.")
    int timeoutSeconds() default -1;

    @AttributeDefinition(name = "Retries",
            description = "Further attempts after a 429, a 5xx, a connection failure or a timeout. 0 for none.")
    int maxRetries() default 3;

    @AttributeDefinition(name = "Retry base (ms)",
            description = "First backoff delay; it doubles per retry, with jitter, up to the maximum.")
    long retryBaseMillis() default 1000;

    @AttributeDefinition(name = "Retry maximum (ms)",
            description = "Longest wait before a retry, also the cap on a provider's Retry-After.")
    long retryMaxMillis() default 60000;

    @AttributeDefinition(name = "Concurrent calls",
            description = "The most model calls the provider gets at once; the others queue, ordered by the agent's "
                    + "priority (critical, high, medium, low) with aging, agents of one priority taking turns. "
                    + "1 to 1024.")
    int maxConcurrent() default 8;

    @AttributeDefinition(name = "Aging (ms)",
            description = "A queued call moves up one priority for each this many milliseconds it waits: a low "
                    + "priority call queued 3 x this before a critical one is overdue and goes first, through the "
                    + "aging lane (a quarter of the slots; the others always go by priority). 1 to 86400000.")
    long agingMillis() default 10000;

    @AttributeDefinition(name = "anthropic-version", description = "Value of the anthropic-version header.")
    String anthropicVersion() default "2023-06-01";
}
