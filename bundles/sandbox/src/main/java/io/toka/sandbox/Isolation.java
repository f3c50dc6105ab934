package io.toka.sandbox;

import java.util.List;
import java.util.Objects;

/**
 * What the sandbox enforces on this host.
 *
 * @param level the overall level
 * @param namespaces bubblewrap works with all namespaces (mount, pid, ipc, uts, net, user)
 * @param network {@code allow_network: false} gives a private network namespace with only loopback
 * @param rlimits prlimit enforces address space, CPU seconds, open files, processes and file size
 * @param cgroup the cgroup version used for per-run memory, CPU and pids limits: {@code "v2"}, {@code "v1"} or
 *     {@code "none"}
 * @param notes why something is missing, one sentence each; empty when everything works
 */
public record Isolation(Level level, boolean namespaces, boolean network, boolean rlimits, String cgroup, List<String> notes) {

    /** The overall isolation level. */
    public enum Level {
        /** Namespaces, rlimits and a cgroup. */
        FULL,
        /** Namespaces and rlimits, but no per-run cgroup (memory is bounded by address-space rlimit only). */
        NAMESPACES,
        /** No namespaces: programs run only if {@code sandbox.required=false}, under prlimit, marked degraded. */
        DEGRADED,
        /** Nothing can be enforced; programs are refused. */
        NONE
    }

    public Isolation {
        Objects.requireNonNull(level, "level");
        Objects.requireNonNull(cgroup, "cgroup");
        notes = List.copyOf(notes);
    }
}
