package io.toka.llm;

import java.util.Map;
import org.osgi.annotation.versioning.ProviderType;

/** Asks the configured language model. Thread-safe. */
@ProviderType
public interface LlmGateway {

    /**
     * Sends one turn of a conversation and returns the model's reply. Rate-limited per {@link LlmRequest#agent()};
     * queued while the provider's concurrency cap is reached, in the order of {@link LlmRequest#priority()} with aging
     * and turns between agents (the wait is {@link LlmResponse#queueWaitMs()}); retried with exponential backoff and
     * jitter on 429 and 5xx (honouring {@code Retry-After}). A request that is interrupted while it queues leaves the
     * queue and takes no slot.
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
     * The provider's queue as it is now: the cap, the calls in flight and queued, and the queue wait per priority.
     * For metrics: cheap enough to read every few seconds. Added in 1.1.0 as a default method; the default reports a
     * gateway that never queues.
     *
     * @return the snapshot, never {@code null}
     */
    default QueueStats queueStats() {
        return QueueStats.none(provider().name());
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

    /**
     * The queue of model calls to one provider (since 1.1.0).
     *
     * @param provider the provider's name, as in {@link ProviderInfo#name()}
     * @param maxConcurrent the most calls the provider gets at once; 0 for a gateway without a queue
     * @param agingMillis a queued call moves up one priority for each this many milliseconds it waits
     * @param inFlight calls holding a slot now
     * @param queued calls waiting for one now
     * @param cancelled calls that left the queue without a slot since the start (interrupted, or the gateway stopped)
     * @param aged calls since the start that got a slot ahead of a waiting call of higher priority, because they had
     *     waited longer than their priority allows
     * @param priorities per priority, every one of them present
     */
    record QueueStats(String provider, int maxConcurrent, long agingMillis, int inFlight, int queued, long cancelled,
            long aged, Map<LlmRequest.Priority, Waits> priorities) {

        public QueueStats {
            java.util.EnumMap<LlmRequest.Priority, Waits> copy = new java.util.EnumMap<>(LlmRequest.Priority.class);
            copy.putAll(priorities);
            priorities = java.util.Collections.unmodifiableMap(copy);
        }

        /** A gateway that never queues. */
        public static QueueStats none(String provider) {
            Map<LlmRequest.Priority, Waits> empty = new java.util.EnumMap<>(LlmRequest.Priority.class);
            for (LlmRequest.Priority p : LlmRequest.Priority.values()) {
                empty.put(p, new Waits(0, 0, 0, 0, 0, 0));
            }
            return new QueueStats(provider, 0, 0, 0, 0, 0, 0, empty);
        }
    }

    /**
     * Queue waits of one priority. The percentiles and the maximum are over the latest calls (up to 1024) that got a
     * slot; the count and the total are since the start, for rates and means.
     *
     * @param queued calls of this priority waiting now
     * @param granted calls that got a slot since the start (those that did not wait included)
     * @param totalWaitMillis their waits added up
     * @param p50Millis the median wait
     * @param p99Millis the 99th percentile
     * @param maxMillis the longest wait
     */
    record Waits(int queued, long granted, double totalWaitMillis, double p50Millis, double p99Millis,
            double maxMillis) {
    }
}
