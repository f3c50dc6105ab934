package io.toka.orchestration.internal.agent;

import io.toka.orchestration.AgentConfig;
import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An agent's resource limits as enforced. The timeout is the run's wall-clock deadline and is enforced; memory and
 * CPU are not: the agent loop runs in the JVM, where one thread's heap and CPU cannot be capped, while the tools it
 * calls run under their own limits (the sandbox). They are stated in the run's first message and the log, never
 * pretended.
 *
 * @param timeout the deadline, or {@code null} for none
 * @param timeoutText the timeout as written, e.g. {@code 2h}
 * @param maxMemory as written
 * @param maxCpu as written
 */
record ResourceLimits(Duration timeout, String timeoutText, String maxMemory, String maxCpu) {

    private static final Pattern DURATION = Pattern.compile("(\\d{1,12})\\s*(ms|s|m|h|d)?");

    /** @throws IllegalArgumentException if the timeout is not a duration; the message names the allowed form */
    static ResourceLimits of(AgentConfig.Security security) {
        String t = security == null ? null : security.timeout();
        Duration timeout = t == null || t.isBlank() ? null : parseDuration(t);
        return new ResourceLimits(timeout, t == null ? "" : t.trim(), security == null ? null : security.maxMemory(),
                security == null ? null : security.maxCpu());
    }

    /** "500ms", "30s", "30m", "2h", "1d"; a bare number is seconds, as in the original. */
    static Duration parseDuration(String text) {
        Matcher m = DURATION.matcher(text.trim().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw new IllegalArgumentException("security.timeout '" + text
                    + "' is not a duration: use a whole number with ms, s, m, h or d, e.g. 500ms, 30m, 2h");
        }
        long n = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "s" : m.group(2);
        Duration d = switch (unit) {
            case "ms" -> Duration.ofMillis(n);
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            default -> Duration.ofDays(n);
        };
        if (d.isZero()) {
            throw new IllegalArgumentException("security.timeout '" + text + "' must be positive");
        }
        return d;
    }

    /** For the status and the log: what is enforced and what is not. */
    String describe() {
        StringBuilder b = new StringBuilder();
        b.append(timeout == null ? "no timeout" : "timeout " + timeoutText + " enforced");
        if (present(maxMemory) || present(maxCpu)) {
            b.append("; ");
            if (present(maxMemory)) {
                b.append("max_memory ").append(maxMemory.trim());
            }
            if (present(maxCpu)) {
                b.append(present(maxMemory) ? " and " : "").append("max_cpu ").append(maxCpu.trim());
            }
            b.append(" not enforced: the agent runs in the JVM; its tools run under their own limits");
        }
        return b.toString();
    }

    private static boolean present(String s) {
        return s != null && !s.isBlank();
    }
}
