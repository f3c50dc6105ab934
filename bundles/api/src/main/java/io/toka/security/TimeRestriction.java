package io.toka.security;

import java.time.DayOfWeek;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * When a delegated token may be used: in any of the UTC {@code windows} (none means all day) on any of the
 * {@code days} (1 = Monday … 7 = Sunday; none means every day). A token carries one restriction per delegation
 * step that added one, and must satisfy all of them, so a child can only narrow its parent.
 *
 * @param windows the allowed daily windows
 * @param days the allowed ISO weekdays
 */
public record TimeRestriction(List<TimeWindow> windows, Set<Integer> days) {

    /** Copies the lists and checks the days. */
    public TimeRestriction {
        windows = List.copyOf(windows);
        for (Integer d : days) {
            if (d == null || d < 1 || d > 7) {
                throw new IllegalArgumentException("day " + d + " is not a weekday number: 1 = Monday ... 7 = Sunday");
            }
        }
        days = java.util.Collections.unmodifiableSet(new TreeSet<>(days));
    }

    /** @return whether this restricts nothing */
    public boolean isEmpty() {
        return windows.isEmpty() && days.isEmpty();
    }

    /**
     * @param now the instant to test
     * @return whether the restriction allows use at that instant
     */
    public boolean permits(Instant now) {
        ZonedDateTime utc = now.atZone(ZoneOffset.UTC);
        DayOfWeek day = utc.getDayOfWeek();
        if (!days.isEmpty() && !days.contains(day.getValue())) {
            return false;
        }
        if (windows.isEmpty()) {
            return true;
        }
        for (TimeWindow w : windows) {
            if (w.contains(utc.toLocalTime())) {
                return true;
            }
        }
        return false;
    }

    @Override
    public String toString() {
        return "windows " + (windows.isEmpty() ? "any" : windows) + ", days " + (days.isEmpty() ? "any" : days);
    }
}
