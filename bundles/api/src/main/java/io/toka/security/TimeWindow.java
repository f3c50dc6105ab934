package io.toka.security;

import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A daily UTC time window, both ends inclusive, written {@code HH:MM-HH:MM}. A window whose start is after its end
 * wraps midnight: {@code 22:00-06:00} covers the night.
 *
 * @param start the first minute of the window
 * @param end the last minute of the window
 */
public record TimeWindow(LocalTime start, LocalTime end) {

    private static final Pattern FORMAT = Pattern.compile("\\s*(\\d{2}:\\d{2})\\s*[-\u2013]\\s*(\\d{2}:\\d{2})\\s*");
    private static final DateTimeFormatter HH_MM = DateTimeFormatter.ofPattern("HH:mm");

    /** Both ends are truncated to the minute. */
    public TimeWindow {
        Objects.requireNonNull(start, "start");
        Objects.requireNonNull(end, "end");
        start = start.withSecond(0).withNano(0);
        end = end.withSecond(0).withNano(0);
    }

    /**
     * Parses {@code HH:MM-HH:MM}.
     *
     * @param text the window
     * @return the window
     * @throws IllegalArgumentException with a message that shows the expected form
     */
    public static TimeWindow parse(String text) {
        Matcher m = text == null ? null : FORMAT.matcher(text);
        if (m == null || !m.matches()) {
            throw new IllegalArgumentException("time window '" + text + "' is not HH:MM-HH:MM (UTC), e.g. 09:00-17:30");
        }
        try {
            return new TimeWindow(LocalTime.parse(m.group(1), HH_MM), LocalTime.parse(m.group(2), HH_MM));
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("time window '" + text + "' has an invalid time; hours are 00-23 and minutes 00-59");
        }
    }

    /**
     * @param time a UTC time of day
     * @return whether the window covers it (to the minute, ends included)
     */
    public boolean contains(LocalTime time) {
        LocalTime t = time.withSecond(0).withNano(0);
        if (!start.isAfter(end)) {
            return !t.isBefore(start) && !t.isAfter(end);
        }
        return !t.isBefore(start) || !t.isAfter(end);
    }

    @Override
    public String toString() {
        return start.format(HH_MM) + "-" + end.format(HH_MM);
    }
}
