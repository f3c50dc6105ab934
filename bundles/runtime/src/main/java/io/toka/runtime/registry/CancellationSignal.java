package io.toka.runtime.registry;

import java.util.ArrayList;
import java.util.List;

/**
 * Lets the entry point that started a tool call cancel it, e.g. on an MCP {@code notifications/cancelled}. Once
 * cancelled it stays cancelled; actions registered afterwards run at once. Thread-safe.
 */
public final class CancellationSignal {

    private final List<Runnable> actions = new ArrayList<>();
    private String reason;

    /**
     * Cancels: runs every registered action once, on the calling thread. A second call does nothing.
     *
     * @param why a short reason, shown to the caller; may be {@code null}
     */
    public void cancel(String why) {
        List<Runnable> run;
        synchronized (this) {
            if (reason != null) {
                return;
            }
            reason = why == null || why.isBlank() ? "cancelled by the caller" : why;
            run = List.copyOf(actions);
            actions.clear();
        }
        run.forEach(CancellationSignal::runQuietly);
    }

    /** @return whether {@link #cancel} was called */
    public synchronized boolean isCancelled() {
        return reason != null;
    }

    /** @return the reason given to {@link #cancel}, or {@code null} while not cancelled */
    public synchronized String reason() {
        return reason;
    }

    /**
     * Registers what cancelling does (the registry interrupts the call). Runs at once if already cancelled.
     *
     * @param action what to run
     */
    public void onCancel(Runnable action) {
        synchronized (this) {
            if (reason == null) {
                actions.add(action);
                return;
            }
        }
        runQuietly(action);
    }

    private static void runQuietly(Runnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            // one failing action must not stop the others
        }
    }
}
