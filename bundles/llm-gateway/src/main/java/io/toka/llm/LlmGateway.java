package io.toka.llm;

import java.util.Map;
import org.osgi.annotation.versioning.ProviderType;

/** Asks the configured language model. Thread-safe. */
@ProviderType
public interface LlmGateway {

    /**
     * Sends one turn of a conversation and returns the model's reply. Rate-limited per {@link LlmRequest#agent()};
     * retried with exponential backoff and jitter on 429 and 5xx (honouring {@code Retry-After}).
     *
     * @param request the conversation so far, the tools offered, and limits
     * @return the reply: text and/or tool calls
     * @throws LlmException if the request is refused (configuration, rate limit, sanitiser, size) or the provider
     *     fails after its retries
     * @throws InterruptedException if the calling thread is interrupted
     */
    LlmResponse complete(LlmRequest request) throws LlmException, InterruptedException;

    /** The provider in use, e.g. {@code anthropic}, its model and base URL (never the key). */
    ProviderInfo provider();

    /** Usage so far, by agent. */
    Map<String, LlmUsage> usage();

    /**
     * @param name {@code anthropic} or {@code openai}
     * @param model the model name
     * @param baseUrl the base URL requests go to
     */
    record ProviderInfo(String name, String model, String baseUrl) {
    }
}
