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
}
