package io.toka.runtime.execution;

import java.time.Duration;

/**
 * Optional per-request limits; {@code null} or {@code 0} means the engine's configured default. An engine never
 * grants more than its configured maximum.
 *
 * @param timeout wall-clock limit
 * @param memoryBytes memory limit
 * @param maxOutputBytes output cap
 */
public record ExecutionLimits(Duration timeout, long memoryBytes, long maxOutputBytes) {

    /** Every limit at the engine's default. */
    public static final ExecutionLimits DEFAULT = new ExecutionLimits(null, 0, 0);
}
