package io.toka.runtime.registry;

import java.time.Instant;
import java.util.Objects;

/**
 * A tool the registry holds back or watches, and why: what an operator sees in {@code toka:tool-errors} and
 * {@code GET /api/v1/tools/errors}.
 *
 * @param tool the tool name
 * @param bundleSymbolicName the bundle that provides it
 * @param bundleVersion that bundle's version
 * @param bundleId that bundle's id
 * @param kind what is wrong
 * @param reason a sentence for the operator, naming what happened and how it ends
 * @param since when it started
 * @since 1.3
 */
public record ToolProblem(String tool, String bundleSymbolicName, String bundleVersion, long bundleId, Kind kind,
        String reason, Instant since) {

    /** What is wrong with a tool. */
    public enum Kind {
        /** Its component failed to activate: every call fails with the reason until its service is registered again. */
        ACTIVATION_FAILED,
        /**
         * Refused until its bundle is redeployed: its service went away and came back too often (a crash loop), or a
         * call ran out of memory.
         */
        QUARANTINED,
        /**
         * Calls that ran past their deadline and ignore interruption still hold threads; at the configured number the
         * tool's new calls are refused until they end.
         */
        OVERRUNNING
    }

    /** Checks the fields. */
    public ToolProblem {
        Objects.requireNonNull(tool, "tool");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(reason, "reason");
        Objects.requireNonNull(since, "since");
    }
}
