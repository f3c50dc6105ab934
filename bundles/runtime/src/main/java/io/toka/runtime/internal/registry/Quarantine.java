package io.toka.runtime.internal.registry;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Holds back tools that fail over and over: a tool whose service goes away while its bundle stays active, or whose
 * component fails to activate, {@code failures} times within {@code window} is quarantined (a crash loop), and so is
 * one whose call ran out of memory, at once. A quarantined tool takes no calls until its bundle is redeployed (updated
 * or uninstalled; the deployer's swap installs a new bundle, which starts clean). Counted per bundle and tool name, so
 * that a good version of the same tool in another bundle is unaffected.
 */
final class Quarantine {

    /** A tool of one bundle. */
    record Key(long bundleId, String tool) {
    }

    /** Why and since when a tool is held back. */
    record Hold(String reason, Instant since, String bundleSymbolicName, String bundleVersion) {
    }

    private final int failures;
    private final long windowNanos;
    private final Map<Key, Deque<Long>> recent = new ConcurrentHashMap<>();
    private final Map<Key, Hold> held = new ConcurrentHashMap<>();

    /**
     * @param failures how many failures within the window quarantine a tool; 0 turns crash-loop detection off
     * @param window the window
     */
    Quarantine(int failures, Duration window) {
        this.failures = failures;
        this.windowNanos = window.toNanos();
    }

    /**
     * Records one failure of a tool.
     *
     * @param what what happened, for the reason: e.g. "went away", "failed to activate"
     * @return the hold if this failure quarantined the tool, else {@code null}
     */
    Hold failed(ToolEntry entry, String what) {
        if (failures <= 0) {
            return null;
        }
        Key key = new Key(entry.bundleId, entry.name);
        if (held.containsKey(key)) {
            return null;
        }
        long now = System.nanoTime();
        int count;
        Deque<Long> times = recent.computeIfAbsent(key, k -> new ArrayDeque<>());
        synchronized (times) {
            times.addLast(now);
            while (!times.isEmpty() && now - times.peekFirst() > windowNanos) {
                times.removeFirst();
            }
            count = times.size();
        }
        if (count < failures) {
            return null;
        }
        recent.remove(key);
        return hold(entry, "its service " + what + " " + count + " times within " + Duration.ofNanos(windowNanos)
                .toSeconds() + " s (a crash loop)");
    }

    /** Quarantines a tool at once. */
    Hold hold(ToolEntry entry, String why) {
        Hold h = new Hold("tool '" + entry.name + "' of bundle " + entry.bundleSymbolicName + " " + entry.bundleVersion
                + " is quarantined: " + why + "; redeploy the bundle to lift it", Instant.now(),
                entry.bundleSymbolicName, entry.bundleVersion);
        Hold before = held.putIfAbsent(new Key(entry.bundleId, entry.name), h);
        return before == null ? h : null;
    }

    /** @return the hold on a bundle's tool, or {@code null} */
    Hold get(long bundleId, String tool) {
        return held.get(new Key(bundleId, tool));
    }

    /** @return a hold on any bundle's tool of that name, or {@code null} */
    Hold anyFor(String tool) {
        for (Map.Entry<Key, Hold> e : held.entrySet()) {
            if (e.getKey().tool().equals(tool)) {
                return e.getValue();
            }
        }
        return null;
    }

    /** Forgets a bundle's holds and failures: it was redeployed. @return whether it held any tool */
    boolean lift(long bundleId) {
        recent.keySet().removeIf(k -> k.bundleId() == bundleId);
        return held.keySet().removeIf(k -> k.bundleId() == bundleId);
    }

    /** @return every hold */
    List<Map.Entry<Key, Hold>> holds() {
        return List.copyOf(held.entrySet());
    }
}
