package io.toka.sandbox;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Runs programs in a sandbox: bubblewrap namespaces (no network unless allowed, a read-only {@code /usr}, a
 * private writable work directory, no capabilities), prlimit resource limits and, where the host allows it, a
 * per-run cgroup for memory, CPU and process count.
 *
 * <p>Thread-safe. Every call is independent; no process started by a call outlives it.
 */
@ProviderType
public interface SandboxLauncher {

    /**
     * Runs one program to completion, or until its timeout.
     *
     * <p>Blocks the calling thread. If the thread is interrupted the whole process tree is killed and
     * {@link InterruptedException} is thrown.
     *
     * @param request what to run and under which limits; never {@code null}
     * @return the outcome, including a non-zero exit, a timeout or a kill by a limit
     * @throws SandboxException if the program cannot be started: the sandbox is required but unavailable, the
     *     executable is not an absolute path to an existing file, or the launch itself fails
     * @throws InterruptedException if the calling thread was interrupted; the process tree has been killed
     */
    SandboxResult run(SandboxRequest request) throws SandboxException, InterruptedException;

    /**
     * What this host enforces, as probed at startup.
     *
     * @return the isolation report; never {@code null}
     */
    Isolation isolation();

    /**
     * What this launcher has run since it started, for metrics. Added in 1.1 as a default method, so other
     * implementations (test fakes) still compile; the default reports nothing.
     *
     * @return the counters, never {@code null}
     */
    default Statistics statistics() {
        return new Statistics(0, 0, 0, java.util.Map.of());
    }

    /**
     * Sandboxed runs so far.
     *
     * @param runs programs that ran to an outcome (a {@link SandboxResult}), whatever their exit
     * @param failures of those, runs that did not succeed ({@link SandboxResult#success()} false: a non-zero exit,
     *     a timeout or a kill by a limit)
     * @param refused runs that never started ({@link SandboxException}: sandbox required but unavailable, a bad
     *     request, a launch failure)
     * @param limitHits runs ended by a limit, by {@link SandboxResult#limitHit()} kind ({@code timeout},
     *     {@code memory}, {@code cpu}, {@code file-size})
     */
    record Statistics(long runs, long failures, long refused, java.util.Map<String, Long> limitHits) {
        /** Copies the map. */
        public Statistics {
            limitHits = java.util.Map.copyOf(limitHits);
        }
    }
}
