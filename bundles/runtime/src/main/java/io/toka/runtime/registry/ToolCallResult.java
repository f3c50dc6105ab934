package io.toka.runtime.registry;

import io.toka.security.RateLimitDecision;
import io.toka.tool.ToolResult;

/**
 * The outcome of {@link ToolRegistry#invoke}.
 *
 * @param status whether the tool succeeded, failed or timed out
 * @param result the tool's result; for a failure or timeout, a failure whose output is the message
 * @param durationNanos wall time from dispatch to result
 * @param toolVersion the version of the tool that ran
 * @param rateLimit the rate-limit decision that admitted the call, for {@code X-RateLimit-*} headers; {@code null}
 *     when the registry runs without a rate limiter (unit tests)
 */
public record ToolCallResult(Status status, ToolResult result, long durationNanos, String toolVersion,
        RateLimitDecision rateLimit) {

    /** A result without a rate-limit decision. */
    public ToolCallResult(Status status, ToolResult result, long durationNanos, String toolVersion) {
        this(status, result, durationNanos, toolVersion, null);
    }

    /**
     * @param decision the decision that admitted the call
     * @return this result carrying it
     */
    public ToolCallResult withRateLimit(RateLimitDecision decision) {
        return new ToolCallResult(status, result, durationNanos, toolVersion, decision);
    }

    /** How a call ended. */
    public enum Status {
        /** The tool returned a successful result. */
        SUCCESS,
        /** The tool returned a failure, threw, or could not be run. */
        FAILURE,
        /** The tool did not finish before its timeout; its thread was interrupted. */
        TIMEOUT,
        /** The caller cancelled the call (see {@link CancellationSignal}); the tool's thread was interrupted. */
        CANCELLED
    }

    /** @return {@code true} if the tool succeeded */
    public boolean isSuccess() {
        return status == Status.SUCCESS;
    }

    /** @return the duration in whole milliseconds */
    public long durationMs() {
        return durationNanos / 1_000_000L;
    }
}
