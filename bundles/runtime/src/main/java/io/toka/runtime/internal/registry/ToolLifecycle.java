package io.toka.runtime.internal.registry;

import java.time.Duration;
import java.util.Set;

/**
 * What the deployer needs from the registry to swap a tool bundle without a failed call. Internal to the
 * runtime bundle: registered as a service only so that DS can wire the two components.
 */
public interface ToolLifecycle {

    /**
     * The names of the tools a bundle currently provides.
     *
     * @param bundleId the bundle
     * @return the names, possibly empty
     */
    Set<String> toolsOf(long bundleId);

    /**
     * Waits until a bundle provides tools: all of {@code expected} if given, else at least one.
     *
     * @param bundleId the bundle
     * @param expected names that must all be present; empty means "any tool"
     * @param timeout how long to wait
     * @return the names the bundle provides when the wait ended
     * @throws InterruptedException if interrupted while waiting
     */
    Set<String> awaitTools(long bundleId, Set<String> expected, Duration timeout) throws InterruptedException;

    /**
     * Hides a bundle's tools from new calls, then waits until calls already running on them have finished.
     * The bundle is expected to be uninstalled next, so its services' departure does not make callers wait.
     *
     * @param bundleId the bundle
     * @param timeout how long to wait for running calls
     * @return {@code true} if no call was running when the wait ended
     * @throws InterruptedException if interrupted while waiting
     */
    boolean retireAndDrain(long bundleId, Duration timeout) throws InterruptedException;

    /**
     * Undoes {@link #retireAndDrain} for a bundle that stays after all (a failed swap).
     *
     * @param bundleId the bundle
     */
    void reinstate(long bundleId);
}
