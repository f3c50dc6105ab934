package io.toka.metrics.internal;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Keeps a label's values few: the first {@code max} distinct values pass, any later one becomes {@link #OTHER}. A
 * label whose values come from outside (tool and agent names, languages) can then never grow the exposition without
 * bound. Values are also cut to 64 characters.
 */
final class LabelGuard {

    static final String OTHER = "other";
    static final int MAX_CHARS = 64;

    private final int max;
    private final Set<String> seen = ConcurrentHashMap.newKeySet();

    LabelGuard(int max) {
        this.max = max;
    }

    /** @return the value to use as the label: {@code value} (cut), {@code unknown} for none, or {@link #OTHER} */
    String admit(String value) {
        if (value == null || value.isBlank()) {
            return "unknown";
        }
        String v = value.length() > MAX_CHARS ? value.substring(0, MAX_CHARS) : value;
        if (seen.contains(v)) {
            return v;
        }
        synchronized (seen) {
            if (seen.size() < max) {
                seen.add(v);
                return v;
            }
        }
        return seen.contains(v) ? v : OTHER;
    }
}
