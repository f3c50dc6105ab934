package io.toka.health;

import java.util.List;
import java.util.Objects;
import org.osgi.annotation.versioning.ProviderType;

/** Liveness and readiness, each the verdict of the health checks carrying its tag. Thread-safe. */
@ProviderType
public interface Health {

    /** The tag ({@code hc.tags}) of the checks that decide liveness. */
    String LIVE_TAG = "toka-live";
    /** The tag ({@code hc.tags}) of the checks that decide readiness. */
    String READY_TAG = "toka-ready";

    /** @return whether the process is sound: every {@link #LIVE_TAG} check passes (none: live) */
    Report live();

    /**
     * @return whether Toka may take traffic: every {@link #READY_TAG} check passes (the event store is open, the
     *     sandbox has been probed, the tool registry is up, and whatever other bundles check)
     */
    Report ready();

    /** A check's verdict. */
    enum Status {
        /** It passes (Felix: OK, or WARN: working, with something an operator should know). */
        UP,
        /** It fails (Felix: CRITICAL, TEMPORARILY_UNAVAILABLE or HEALTH_CHECK_ERROR, or it timed out). */
        DOWN
    }

    /**
     * One check.
     *
     * @param name the check's {@code hc.name}
     * @param status its verdict
     * @param warning whether it passed with a warning
     * @param message what it found, for an operator (may name paths and versions: show it only to a caller with
     *     {@code system:read})
     */
    record Check(String name, Status status, boolean warning, String message) {
        public Check {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(status, "status");
            message = message == null ? "" : message;
        }
    }

    /**
     * @param status {@link Status#UP} if every check is up
     * @param checks every check, in name order
     */
    record Report(Status status, List<Check> checks) {
        public Report {
            Objects.requireNonNull(status, "status");
            checks = List.copyOf(checks);
        }

        /** @return whether the status is {@link Status#UP} */
        public boolean up() {
            return status == Status.UP;
        }

        /** @return the names of the checks that are down */
        public List<String> failing() {
            return checks.stream().filter(c -> c.status() == Status.DOWN).map(Check::name).toList();
        }
    }
}
