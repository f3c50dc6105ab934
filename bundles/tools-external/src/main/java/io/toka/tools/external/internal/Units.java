package io.toka.tools.external.internal;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Sizes, durations and CPU shares as written in manifests. Each parser returns the value or throws
 * {@link IllegalArgumentException} with a message for the operator, quoting the bad text and the allowed form.
 *
 * <p>Sizes: a number and a unit {@code B}, {@code KB}/{@code K}/{@code KiB}, {@code MB}/{@code M}/{@code MiB},
 * {@code GB}/{@code G}/{@code GiB} (case-insensitive, binary: 1 KB = 1024 B); a bare integer is bytes. Durations:
 * one or more number-unit pairs with units {@code ms}, {@code s}, {@code m}, {@code h} ({@code 30s}, {@code 1m30s},
 * {@code 1.5h}); a bare integer is seconds. CPU: a percentage of one core ({@code 50%}, or a bare number), from 1 to
 * 100 times the number of cores.
 */
final class Units {

    private static final Pattern SIZE = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*([a-z]*)");
    private static final Pattern DURATION_PART = Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|s|m|h)");
    private static final Pattern PERCENT = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*%?");
    private static final Map<String, Long> SIZE_UNITS = Map.ofEntries(
            Map.entry("", 1L), Map.entry("b", 1L),
            Map.entry("k", 1L << 10), Map.entry("kb", 1L << 10), Map.entry("kib", 1L << 10),
            Map.entry("m", 1L << 20), Map.entry("mb", 1L << 20), Map.entry("mib", 1L << 20),
            Map.entry("g", 1L << 30), Map.entry("gb", 1L << 30), Map.entry("gib", 1L << 30));

    private Units() {
    }

    /**
     * @param text e.g. {@code 512MB}
     * @return the size in bytes, positive
     */
    static long size(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        Matcher m = SIZE.matcher(t);
        Long unit = m.matches() ? SIZE_UNITS.get(m.group(2)) : null;
        if (unit == null) {
            throw new IllegalArgumentException(quote(text) + " is not a size (use e.g. 512MB)");
        }
        long bytes;
        try {
            bytes = new BigDecimal(m.group(1)).multiply(BigDecimal.valueOf(unit)).longValueExact();
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException(quote(text) + " is not a whole number of bytes or is too large (use e.g. 512MB)");
        }
        if (bytes <= 0) {
            throw new IllegalArgumentException(quote(text) + " must be more than 0 bytes (use e.g. 512MB)");
        }
        return bytes;
    }

    /**
     * @param text e.g. {@code 30s} or {@code 1m30s}
     * @return the duration, positive
     */
    static Duration duration(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        if (t.matches("\\d+")) {
            t = t + "s";
        }
        Matcher m = DURATION_PART.matcher(t);
        int at = 0;
        BigDecimal millis = BigDecimal.ZERO;
        while (at < t.length() && m.find(at) && m.start() == at) {
            long unit = switch (m.group(2)) {
                case "ms" -> 1;
                case "s" -> 1_000;
                case "m" -> 60_000;
                default -> 3_600_000;
            };
            millis = millis.add(new BigDecimal(m.group(1)).multiply(BigDecimal.valueOf(unit)));
            at = m.end();
        }
        if (at == 0 || at != t.length()) {
            throw new IllegalArgumentException(quote(text) + " is not a duration (use e.g. 30s, 5m or 1m30s)");
        }
        long ms;
        try {
            ms = millis.setScale(0, java.math.RoundingMode.CEILING).longValueExact();
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException(quote(text) + " is too long a duration");
        }
        if (ms <= 0) {
            throw new IllegalArgumentException(quote(text) + " must be longer than 0 (use e.g. 30s)");
        }
        return Duration.ofMillis(ms);
    }

    /**
     * @param text e.g. {@code 50%}
     * @param cores the number of cores; the upper bound is {@code 100 * cores}
     * @return the percentage of one core
     */
    static int cpuPercent(String text, int cores) {
        Matcher m = PERCENT.matcher(text.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException(quote(text) + " is not a CPU share (use e.g. 50%)");
        }
        BigDecimal v = new BigDecimal(m.group(1));
        int max = 100 * Math.max(1, cores);
        if (v.compareTo(BigDecimal.ONE) < 0 || v.compareTo(BigDecimal.valueOf(max)) > 0) {
            throw new IllegalArgumentException(quote(text) + " is out of range: use 1% to " + max + "% ("
                    + Math.max(1, cores) + " core(s) here)");
        }
        return v.setScale(0, java.math.RoundingMode.HALF_UP).intValue();
    }

    /** @return e.g. {@code 30s}, {@code 1m30s}, {@code 250ms} */
    static String human(Duration d) {
        long ms = d.toMillis();
        if (ms % 1000 != 0) {
            return ms + "ms";
        }
        long s = ms / 1000;
        StringBuilder b = new StringBuilder();
        if (s >= 3600) {
            b.append(s / 3600).append('h');
            s %= 3600;
        }
        if (s >= 60) {
            b.append(s / 60).append('m');
            s %= 60;
        }
        if (s > 0 || b.length() == 0) {
            b.append(s).append('s');
        }
        return b.toString();
    }

    private static String quote(String text) {
        return "\"" + text + "\"";
    }
}
