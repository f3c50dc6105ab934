package io.toka.runtime.internal.registry;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The calls that outlived their deadline and have not returned yet, with the thread each one holds: a pool thread,
 * or the caller's own thread for a call that ran inline. A tool that ignores interruption keeps its thread; Toka
 * cannot take it back inside one JVM, but it accounts for it (the tools API and {@code toka:tool-errors} list it),
 * sends the tool's later calls to the bounded pool for good, and refuses them once the tool holds
 * {@code maxPerTool} such threads, so that one runaway tool cannot drain the pool or the HTTP threads.
 */
final class Overruns {

    /** A call still running this long after its deadline (and its interrupt) is taken to ignore interruption. */
    static final long IGNORED_NANOS = TimeUnit.SECONDS.toNanos(1);

    /** One call past its deadline. */
    record Overrun(ToolEntry entry, String thread, long deadlineNanos, Instant deadline) {
        /** @return whether it has run {@link #IGNORED_NANOS} past its deadline */
        boolean ignoresInterruption() {
            return System.nanoTime() - deadlineNanos > IGNORED_NANOS;
        }
    }

    private final Set<Overrun> running = ConcurrentHashMap.newKeySet();

    /**
     * Accounts for a call whose deadline passed, until it returns.
     *
     * @param deadlineNanos its deadline, a {@link System#nanoTime()} value
     */
    void started(ToolEntry entry, CallExecutor.Call<?> call, long deadlineNanos) {
        Thread t = call.runner();
        Overrun o = new Overrun(entry, t == null ? "?" : t.getName(), deadlineNanos,
                Instant.now().minusNanos(Math.max(0, System.nanoTime() - deadlineNanos)));
        running.add(o);
        call.onDone(() -> {
            running.remove(o);
            if (o.ignoresInterruption()) {
                entry.pace.poolOnly();
            }
        });
    }

    /**
     * @return how many calls of this tool are past their deadline; sends the tool to the pool for good if one of
     *     them ignores interruption
     */
    int count(ToolEntry entry) {
        if (running.isEmpty()) {
            return 0;
        }
        int n = 0;
        for (Overrun o : running) {
            if (o.entry() == entry) {
                n++;
                if (o.ignoresInterruption()) {
                    entry.pace.poolOnly();
                }
            }
        }
        return n;
    }

    /** @return the calls that ignore interruption, oldest first */
    List<Overrun> ignoringInterruption() {
        List<Overrun> out = new ArrayList<>();
        for (Overrun o : running) {
            if (o.ignoresInterruption()) {
                out.add(o);
            }
        }
        out.sort((a, b) -> Long.compare(a.deadlineNanos(), b.deadlineNanos()));
        return out;
    }
}
