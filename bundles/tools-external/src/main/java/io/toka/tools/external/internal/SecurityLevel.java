package io.toka.tools.external.internal;

import io.toka.sandbox.SandboxLimits;
import java.time.Duration;
import java.util.Locale;

/**
 * The original's security levels and the sandbox limits each gives by default ({@code security.rs}): memory, CPU
 * share, wall time, output per stream and largest writable file ("Disk" in the original table). Explicit
 * {@code sandbox} values override them. {@link #NONE} is used when a manifest has no {@code security} section.
 */
enum SecurityLevel {
    HIGH(512L << 20, 50, Duration.ofSeconds(600), 10L << 20, 256L << 20),
    MEDIUM(256L << 20, 25, Duration.ofSeconds(300), 5L << 20, 128L << 20),
    BASIC(128L << 20, 10, Duration.ofSeconds(60), 1L << 20, 64L << 20),
    /** No security section: a medium-sized box with a one-minute timeout and 1 MiB of output per stream. */
    NONE(256L << 20, 50, Duration.ofSeconds(60), 1L << 20, 128L << 20);

    final SandboxLimits limits;

    SecurityLevel(long memory, int cpu, Duration timeout, long output, long fileBytes) {
        this.limits = SandboxLimits.DEFAULT.withMemoryBytes(memory).withCpuPercent(cpu).withTimeout(timeout)
                .withMaxOutputBytes(output).withMaxFileBytes(fileBytes);
    }

    /**
     * @param text {@code high}, {@code medium}, {@code low} or {@code basic}, any case
     * @return the level, or {@code null} if unknown
     */
    static SecurityLevel parse(String text) {
        return switch (text.trim().toLowerCase(Locale.ROOT)) {
            case "high" -> HIGH;
            case "medium" -> MEDIUM;
            case "low", "basic" -> BASIC;
            default -> null;
        };
    }
}
