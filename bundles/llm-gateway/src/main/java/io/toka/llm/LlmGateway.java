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
     * Totals across all agents since the gateway started. Added after 1.0.0 as a default method, so existing
     * implementations (test fakes, say) still compile; the default reports nothing.
     *
     * @return the counters, never {@code null}
     */
    default Metrics metrics() {
        return new Metrics(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    }

    /**
     * @param name {@code anthropic} or {@code openai}
     * @param model the model name
     * @param baseUrl the base URL requests go to
     */
    record ProviderInfo(String name, String model, String baseUrl) {
    }

    /**
     * Gateway-wide counters.
     *
     * @param requests calls to {@link #complete}
     * @param successes calls answered
     * @param failures calls that failed or were refused, for any {@link LlmException.Reason}
     * @param rateLimited of the failures, refused by the rate limit
     * @param blocked of the failures, refused by the sanitiser
     * @param retries retries made
     * @param inputTokens prompt tokens
     * @param outputTokens reply tokens
     * @param averageResponseMs mean wall time of the answered calls, retries included
     * @param secretsMasked secrets replaced by {@code [REDACTED]} in outgoing requests
     * @param injectionsFiltered prompt-injection phrases filtered out of tool results
     */
    record Metrics(long requests, long successes, long failures, long rateLimited, long blocked, long retries,
            long inputTokens, long outputTokens, long averageResponseMs, long secretsMasked,
            long injectionsFiltered) {
    }
}
