package io.toka.sandbox;

import java.time.Duration;
import java.util.Objects;

/**
 * Resource limits for one sandboxed run.
 *
 * @param memoryBytes memory cap: the cgroup memory limit (swap included) where available, otherwise the
 *     address-space rlimit (which also counts reserved but unused memory, so runtimes such as the JVM or Node.js
 *     need far more of it); {@code > 0}
 * @param cpuPercent CPU share of one core, 1–100 times the core count, enforced by a cgroup CPU quota where
 *     available
 * @param timeout wall-clock limit; when it passes the whole process tree is killed. Also bounds CPU seconds.
 * @param maxProcesses processes and threads (cgroup pids and the nproc rlimit); {@code > 0}
 * @param maxOpenFiles open file descriptors (nofile rlimit); {@code > 0}
 * @param maxFileBytes largest file the program may write (fsize rlimit, which may be rounded up to a multiple of
 *     512 bytes); {@code > 0}
 * @param maxOutputBytes cap on each of stdout and stderr as captured; the rest is discarded and the result says
 *     so; {@code > 0}
 */
public record SandboxLimits(long memoryBytes, int cpuPercent, Duration timeout, int maxProcesses, int maxOpenFiles,
        long maxFileBytes, long maxOutputBytes) {

    /** 512 MiB memory, 100 % of one core, 30 s, 64 processes, 256 files, 64 MiB files, 1 MiB output. */
    public static final SandboxLimits DEFAULT = new SandboxLimits(512L << 20, 100, Duration.ofSeconds(30), 64, 256,
            64L << 20, 1L << 20);

    public SandboxLimits {
        Objects.requireNonNull(timeout, "timeout");
        if (memoryBytes <= 0 || cpuPercent <= 0 || maxProcesses <= 0 || maxOpenFiles <= 0 || maxFileBytes <= 0
                || maxOutputBytes <= 0 || timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("every sandbox limit must be positive: " + this);
        }
    }

    public SandboxLimits withMemoryBytes(long v) {
        return new SandboxLimits(v, cpuPercent, timeout, maxProcesses, maxOpenFiles, maxFileBytes, maxOutputBytes);
    }

    public SandboxLimits withCpuPercent(int v) {
        return new SandboxLimits(memoryBytes, v, timeout, maxProcesses, maxOpenFiles, maxFileBytes, maxOutputBytes);
    }

    public SandboxLimits withTimeout(Duration v) {
        return new SandboxLimits(memoryBytes, cpuPercent, v, maxProcesses, maxOpenFiles, maxFileBytes, maxOutputBytes);
    }

    public SandboxLimits withMaxProcesses(int v) {
        return new SandboxLimits(memoryBytes, cpuPercent, timeout, v, maxOpenFiles, maxFileBytes, maxOutputBytes);
    }

    public SandboxLimits withMaxOpenFiles(int v) {
        return new SandboxLimits(memoryBytes, cpuPercent, timeout, maxProcesses, v, maxFileBytes, maxOutputBytes);
    }

    public SandboxLimits withMaxFileBytes(long v) {
        return new SandboxLimits(memoryBytes, cpuPercent, timeout, maxProcesses, maxOpenFiles, v, maxOutputBytes);
    }

    public SandboxLimits withMaxOutputBytes(long v) {
        return new SandboxLimits(memoryBytes, cpuPercent, timeout, maxProcesses, maxOpenFiles, maxFileBytes, v);
    }
}
