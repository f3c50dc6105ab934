package io.toka.orchestration.internal.config;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the string resource limits of an agent configuration ({@code security.resource_limits}): memory such as
 * {@code "512MB"}, CPU such as {@code "75%"} and a timeout such as {@code "2h"}. Each method returns -1 for a string
 * that does not have the form, so the parser can name the bad value.
 */
public final class ResourceLimits {

    private static final Pattern SIZE = Pattern.compile("(\\d{1,12})\\s*(B|KB|MB|GB)", Pattern.CASE_INSENSITIVE);
    private static final Pattern PERCENT = Pattern.compile("(\\d{1,3}(?:\\.\\d{1,3})?)\\s*%");
    private static final Pattern DURATION = Pattern.compile("(\\d{1,9})\\s*(ms|s|m|h)", Pattern.CASE_INSENSITIVE);

    /** The memory forms, for messages. */
    public static final String SIZE_FORM = "a size like 512MB (B, KB, MB or GB)";
    /** The CPU forms, for messages. */
    public static final String PERCENT_FORM = "a percentage like 75% (above 0, at most 100)";
    /** The timeout forms, for messages. */
    public static final String DURATION_FORM = "a duration like 2h (ms, s, m or h)";

    private ResourceLimits() {
    }

    /** @return the size in bytes (KB = 1024 B), or -1 unless it is a positive size in B, KB, MB or GB */
    public static long bytes(String text) {
        Matcher m = SIZE.matcher(text == null ? "" : text.trim());
        if (!m.matches()) {
            return -1;
        }
        long n = Long.parseLong(m.group(1));
        long unit = switch (m.group(2).toUpperCase(Locale.ROOT)) {
            case "KB" -> 1L << 10;
            case "MB" -> 1L << 20;
            case "GB" -> 1L << 30;
            default -> 1;
        };
        return n > 0 ? n * unit : -1;
    }

    /** @return the percentage, or -1 unless it is above 0 and at most 100 */
    public static double cpuPercent(String text) {
        Matcher m = PERCENT.matcher(text == null ? "" : text.trim());
        if (!m.matches()) {
            return -1;
        }
        double p = Double.parseDouble(m.group(1));
        return p > 0 && p <= 100 ? p : -1;
    }

    /** @return the duration in milliseconds, or -1 unless it is a positive duration in ms, s, m or h */
    public static long millis(String text) {
        Matcher m = DURATION.matcher(text == null ? "" : text.trim());
        if (!m.matches()) {
            return -1;
        }
        long n = Long.parseLong(m.group(1));
        long unit = switch (m.group(2).toLowerCase(Locale.ROOT)) {
            case "s" -> 1_000L;
            case "m" -> 60_000L;
            case "h" -> 3_600_000L;
            default -> 1;
        };
        return n > 0 ? n * unit : -1;
    }
}
