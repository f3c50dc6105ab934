package io.toka.sandbox;

import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * The outcome of one sandboxed run.
 *
 * @param exitCode the program's exit code; {@code 128 + n} when killed by signal {@code n}; {@code -1} if it
 *     never exited on its own (timeout)
 * @param stdout captured standard output, at most {@link SandboxLimits#maxOutputBytes()}
 * @param stdoutTruncated whether more output was discarded
 * @param stderr captured standard error, at most {@link SandboxLimits#maxOutputBytes()}
 * @param stderrTruncated whether more output was discarded
 * @param timedOut the wall-clock timeout passed and the process tree was killed
 * @param limitHit the limit that ended the run, if known: {@code "timeout"}, {@code "memory"}, {@code "cpu"},
 *     {@code "file-size"}; {@code null} otherwise
 * @param duration wall-clock time from start to exit
 * @param peakMemoryBytes peak memory of the run's cgroup, or {@code -1} if not measurable
 * @param cpuTimeMillis CPU time of the run's cgroup, or {@code -1} if not measurable
 * @param isolation the isolation it ran under; {@link Isolation.Level#DEGRADED} means without namespaces
 */
public record SandboxResult(int exitCode, byte[] stdout, boolean stdoutTruncated, byte[] stderr,
        boolean stderrTruncated, boolean timedOut, String limitHit, Duration duration, long peakMemoryBytes,
        long cpuTimeMillis, Isolation.Level isolation) {

    /** Exit code 0 and no timeout. */
    public boolean success() {
        return exitCode == 0 && !timedOut;
    }

    /** Standard output decoded as UTF-8 (malformed bytes replaced). */
    public String stdoutText() {
        return new String(stdout, StandardCharsets.UTF_8);
    }

    /** Standard error decoded as UTF-8 (malformed bytes replaced). */
    public String stderrText() {
        return new String(stderr, StandardCharsets.UTF_8);
    }
}
