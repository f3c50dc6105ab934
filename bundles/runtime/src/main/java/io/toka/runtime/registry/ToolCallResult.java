package io.toka.runtime.registry;

import io.toka.tool.ToolResult;

/**
 * The outcome of {@link ToolRegistry#invoke}.
 *
 * @param status whether the tool succeeded, failed or timed out
 * @param result the tool's result; for a failure or timeout, a failure whose output is the message
 * @param durationNanos wall time from dispatch to result
 * @param toolVersion the version of the tool that ran
 */
public record ToolCallResult(Status status, ToolResult result, long durationNanos, String toolVersion) {

    /** How a call ended. */
    public enum Status {
        /** The tool returned a successful result. */
        SUCCESS,
        /** The tool returned a failure, threw, or could not be run. */
        FAILURE,
        /** The tool did not finish before its timeout; its thread was interrupted. */
        TIMEOUT
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
