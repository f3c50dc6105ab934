package io.toka.sandbox.internal;

import io.toka.sandbox.SandboxLimits;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Per-run cgroups: where they go (probed once) and what one run does with them.
 *
 * <p>Groups are named {@code toka-<jvm pid>-<n>} so that a JVM only ever removes its own leftovers, even when
 * several JVMs share a parent cgroup.
 */
abstract class Cgroups {

    static final String PREFIX = "toka-";

    /** {@code "v1"} or {@code "v2"}. */
    abstract String version();

    /** What the probe found missing but could live without (for example no cpuacct: no CPU time). */
    abstract List<String> notes();

    /** Creates the run's groups and sets their limits; the caller adds the process via {@link Run#procsFiles}. */
    abstract Run create(String name, SandboxLimits limits) throws IOException;

    /** Removes groups left behind by JVMs that are no longer running. */
    abstract void removeStale();

    /** The groups of one run. */
    abstract static class Run {
        /** The {@code cgroup.procs} files the launch script writes its pid into before it execs. */
        abstract List<Path> procsFiles();

        /** Peak memory in bytes, or -1. */
        abstract long peakMemoryBytes();

        /** CPU time in milliseconds, or -1. */
        abstract long cpuTimeMillis();

        /** Whether the kernel OOM killer killed a process of this run. */
        abstract boolean oomKilled();

        /** Whether the memory limit was reached at least once (allocation failed or reclaim forced). */
        abstract boolean memoryLimitReached();

        /** The pids currently in the group. */
        abstract List<Long> pids();

        /**
         * Sends SIGKILL to every process in the group, again and again, until every process still listed has
         * already been sent one. A process with SIGKILL pending never runs user code again and cannot fork, so
         * from then on nothing of the run can act, even if some processes take a few more milliseconds to exit
         * (bubblewrap's init tearing down its namespaces, or a zombie waiting to be reaped by the host's init).
         */
        void killAll() {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
            Set<Long> killed = new HashSet<>();
            while (System.nanoTime() < deadline) {
                boolean fresh = false;
                for (long pid : pids()) {
                    if (killed.add(pid)) {
                        fresh = true;
                        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
                    }
                }
                if (!fresh) {
                    return;
                }
            }
        }

        /**
         * Waits (briefly, bounded) until every process left in the group is dead: gone or a zombie. That is mostly
         * bubblewrap's init finishing the namespace teardown; letting it overlap the next run's namespace setup
         * makes that run slower (measured: 17 ms instead of 9 ms p50). Zombies are not waited for: reaping them
         * is up to the host's init and can take several milliseconds.
         */
        void awaitDead() {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
            while (System.nanoTime() < deadline) {
                boolean alive = false;
                for (long pid : pids()) {
                    if (!zombieOrGone(pid)) {
                        alive = true;
                        break;
                    }
                }
                if (!alive) {
                    return;
                }
                LockSupport.parkNanos(50_000);
            }
        }

        private static boolean zombieOrGone(long pid) {
            String stat = read(Path.of("/proc", Long.toString(pid), "stat"));
            int close = stat.lastIndexOf(')');
            return close < 0 || close + 2 >= stat.length() || stat.charAt(close + 2) == 'Z'
                    || stat.charAt(close + 2) == 'X';
        }

        /** Removes the group directories that can be removed; false while processes are still leaving. */
        abstract boolean tryRemove();
    }

    // ---------------------------------------------------------------------------------------------------------

    /** Probes cgroup v2 (a writable subtree with memory and pids enabled), then v1. */
    static Optional<Cgroups> probe(List<String> whyNot) {
        Map<String, String> ownPaths = new LinkedHashMap<>();
        List<String[]> mounts = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/cgroup"))) {
                String[] f = line.split(":", 3);
                if (f.length == 3) {
                    for (String c : f[1].split(",")) {
                        ownPaths.put(c, f[2]);
                    }
                }
            }
            for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
                int dash = line.indexOf(" - ");
                if (dash < 0) {
                    continue;
                }
                String[] pre = line.substring(0, dash).split(" ");
                String[] post = line.substring(dash + 3).split(" ");
                if (pre.length >= 5 && post.length >= 3 && post[0].startsWith("cgroup")) {
                    mounts.add(new String[] {post[0], pre[3], unescape(pre[4]), post[2]});
                }
            }
        } catch (IOException e) {
            whyNot.add("cannot read /proc/self/cgroup or mountinfo: " + e.getMessage());
            return Optional.empty();
        }
        Optional<Cgroups> v2 = V2.probe(mounts, ownPaths.get(""), whyNot);
        if (v2.isPresent()) {
            return v2;
        }
        return V1.probe(mounts, ownPaths, whyNot);
    }

    private static String unescape(String s) {
        return s.replace("\\040", " ").replace("\\011", "\t").replace("\\012", "\n").replace("\\134", "\\");
    }

    /** The directory for our own cgroup inside a hierarchy mounted at mountPoint with the given root. */
    private static Path ownDir(String mountRoot, String mountPoint, String own) {
        if (own == null) {
            return null;
        }
        String rel = own;
        if (!"/".equals(mountRoot)) {
            if (!own.startsWith(mountRoot)) {
                return null;
            }
            rel = own.substring(mountRoot.length());
        }
        Path dir = Path.of(mountPoint, rel.replaceFirst("^/+", ""));
        return Files.isDirectory(dir) ? dir : null;
    }

    /** Tries to make and remove a child, returning the base where that works. */
    private static Path writableBase(List<Path> candidates, List<String> files) {
        for (Path base : candidates) {
            if (base == null) {
                continue;
            }
            Path probe = base.resolve(PREFIX + "probe-" + ProcessHandle.current().pid() + "-" + System.nanoTime());
            try {
                Files.createDirectory(probe);
                try {
                    boolean ok = files.stream().allMatch(f -> Files.isWritable(probe.resolve(f)));
                    if (ok) {
                        return base;
                    }
                } finally {
                    Files.deleteIfExists(probe);
                }
            } catch (IOException | SecurityException e) {
                // not writable here: try the next candidate
            }
        }
        return null;
    }

    static void write(Path file, String value) throws IOException {
        Files.write(file, value.getBytes(StandardCharsets.US_ASCII));
    }

    static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.US_ASCII);
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }

    static long readLong(Path file) {
        String s = read(file).trim();
        try {
            return s.isEmpty() ? -1 : Long.parseLong(s);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** The value of {@code key} in a "key value" per line file, or -1. */
    static long keyed(Path file, String key) {
        for (String line : read(file).split("\n")) {
            String[] kv = line.trim().split("\\s+");
            if (kv.length == 2 && kv[0].equals(key)) {
                try {
                    return Long.parseLong(kv[1]);
                } catch (NumberFormatException e) {
                    return -1;
                }
            }
        }
        return -1;
    }

    static List<Long> pidsOf(Path procs) {
        List<Long> out = new ArrayList<>();
        for (String line : read(procs).split("\n")) {
            if (!line.isBlank()) {
                try {
                    out.add(Long.parseLong(line.trim()));
                } catch (NumberFormatException e) {
                    // ignore
                }
            }
        }
        return out;
    }

    /** Removes a group directory; false if it still has processes (EBUSY). */
    static boolean rmdir(Path dir) {
        try {
            Files.deleteIfExists(dir);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    static void removeStale(Path base) {
        if (base == null) {
            return;
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(base, PREFIX + "*")) {
            for (Path dir : ds) {
                String[] parts = dir.getFileName().toString().split("-");
                // toka-<pid>-<n> or toka-probe-<pid>-<nanos>
                String pid = parts.length >= 3 ? ("probe".equals(parts[1]) ? parts[2] : parts[1]) : null;
                try {
                    long p = Long.parseLong(pid);
                    if (p != ProcessHandle.current().pid() && ProcessHandle.of(p).isEmpty()
                            && pidsOf(dir.resolve("cgroup.procs")).isEmpty()) {
                        Files.deleteIfExists(dir);
                    }
                } catch (NumberFormatException | IOException | NullPointerException e) {
                    // not ours, or still busy
                }
            }
        } catch (IOException e) {
            // nothing to clean
        }
    }

    // ---------------------------------------------------------------------------------------------------------

    /** cgroup v1: separate memory, pids, cpu and cpuacct hierarchies (cpu and cpuacct are often co-mounted). */
    static final class V1 extends Cgroups {
        private final Path memory;
        private final Path pids;
        private final Path cpu;
        private final Path cpuacct;
        private final boolean memsw;
        private final long cfsPeriod;
        private final List<String> notes;

        private V1(Path memory, Path pids, Path cpu, Path cpuacct, boolean memsw, long cfsPeriod, List<String> notes) {
            this.memory = memory;
            this.pids = pids;
            this.cpu = cpu;
            this.cpuacct = cpuacct;
            this.memsw = memsw;
            this.cfsPeriod = cfsPeriod;
            this.notes = List.copyOf(notes);
        }

        static Optional<Cgroups> probe(List<String[]> mounts, Map<String, String> own, List<String> whyNot) {
            Path memory = base(mounts, own, "memory", List.of("memory.limit_in_bytes", "cgroup.procs"));
            Path pids = base(mounts, own, "pids", List.of("pids.max", "cgroup.procs"));
            if (memory == null || pids == null) {
                whyNot.add("cgroup v1: no writable " + (memory == null ? "memory" : "pids") + " hierarchy");
                return Optional.empty();
            }
            List<String> notes = new ArrayList<>();
            Path cpu = base(mounts, own, "cpu", List.of("cpu.cfs_quota_us", "cgroup.procs"));
            if (cpu == null) {
                notes.add("cgroup v1 cpu hierarchy not writable: no CPU quota");
            }
            Path cpuacct = base(mounts, own, "cpuacct", List.of("cpuacct.usage", "cgroup.procs"));
            if (cpuacct == null) {
                notes.add("cgroup v1 cpuacct hierarchy not writable: CPU time not measured");
            } else if (cpuacct.equals(cpu)) {
                cpuacct = null;
            }
            boolean memsw = Files.exists(memory.resolve("memory.memsw.limit_in_bytes"));
            long period = cpu == null ? 100_000 : readLong(cpu.resolve("cpu.cfs_period_us"));
            return Optional.of(new V1(memory, pids, cpu, cpuacct, memsw, period > 0 ? period : 100_000, notes));
        }

        private static Path base(List<String[]> mounts, Map<String, String> own, String controller,
                List<String> files) {
            for (String[] m : mounts) {
                if (!"cgroup".equals(m[0]) || !List.of(m[3].split(",")).contains(controller)) {
                    continue;
                }
                List<Path> candidates = new ArrayList<>();
                candidates.add(ownDir(m[1], m[2], own.get(controller)));
                if ("/".equals(m[1])) {
                    candidates.add(Path.of(m[2]));
                }
                Path base = writableBase(candidates, files);
                if (base != null) {
                    return base;
                }
            }
            return null;
        }

        @Override
        String version() {
            return "v1";
        }

        @Override
        List<String> notes() {
            return notes;
        }

        @Override
        void removeStale() {
            Cgroups.removeStale(memory);
            Cgroups.removeStale(pids);
            Cgroups.removeStale(cpu);
            Cgroups.removeStale(cpuacct);
        }

        @Override
        Run create(String name, SandboxLimits limits) throws IOException {
            List<Path> dirs = new ArrayList<>();
            RunV1 run = new RunV1(dirs);
            try {
                Path mem = mkdir(memory, name, dirs);
                write(mem.resolve("memory.limit_in_bytes"), Long.toString(limits.memoryBytes()));
                if (memsw) {
                    write(mem.resolve("memory.memsw.limit_in_bytes"), Long.toString(limits.memoryBytes()));
                }
                Path pid = mkdir(pids, name, dirs);
                write(pid.resolve("pids.max"), Integer.toString(limits.maxProcesses()));
                if (cpu != null) {
                    Path c = mkdir(cpu, name, dirs);
                    long quota = Math.max(1000, cfsPeriod * limits.cpuPercent() / 100);
                    write(c.resolve("cpu.cfs_quota_us"), Long.toString(quota));
                }
                if (cpuacct != null) {
                    mkdir(cpuacct, name, dirs);
                }
                return run;
            } catch (IOException | RuntimeException e) {
                run.tryRemove();
                throw e;
            }
        }

        private static Path mkdir(Path base, String name, List<Path> dirs) throws IOException {
            Path dir = Files.createDirectory(base.resolve(name));
            dirs.add(dir);
            return dir;
        }

        private final class RunV1 extends Run {
            private final List<Path> dirs;
            private final Set<Path> removed = new HashSet<>();

            RunV1(List<Path> dirs) {
                this.dirs = dirs;
            }

            @Override
            List<Path> procsFiles() {
                return dirs.stream().map(d -> d.resolve("cgroup.procs")).toList();
            }

            private Path dir(Path base) {
                for (Path d : dirs) {
                    if (base != null && d.getParent().equals(base)) {
                        return d;
                    }
                }
                return null;
            }

            @Override
            long peakMemoryBytes() {
                Path d = dir(memory);
                return d == null ? -1 : readLong(d.resolve("memory.max_usage_in_bytes"));
            }

            @Override
            long cpuTimeMillis() {
                Path d = dir(cpuacct != null ? cpuacct : cpu);
                if (d == null) {
                    return -1;
                }
                long ns = readLong(d.resolve("cpuacct.usage"));
                return ns < 0 ? -1 : ns / 1_000_000;
            }

            @Override
            boolean oomKilled() {
                Path d = dir(memory);
                return d != null && keyed(d.resolve("memory.oom_control"), "oom_kill") > 0;
            }

            @Override
            boolean memoryLimitReached() {
                Path d = dir(memory);
                return d != null && readLong(d.resolve("memory.failcnt")) > 0;
            }

            @Override
            List<Long> pids() {
                Path d = dir(pids);
                return d == null ? List.of() : pidsOf(d.resolve("cgroup.procs"));
            }

            @Override
            boolean tryRemove() {
                synchronized (removed) {
                    for (Path d : dirs) {
                        if (!removed.contains(d) && rmdir(d)) {
                            removed.add(d);
                        }
                    }
                    return removed.size() == dirs.size();
                }
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------------

    /** cgroup v2: one unified group per run under a subtree that has memory and pids enabled for its children. */
    static final class V2 extends Cgroups {
        private final Path base;
        private final boolean cpu;
        private final List<String> notes;

        private V2(Path base, boolean cpu, List<String> notes) {
            this.base = base;
            this.cpu = cpu;
            this.notes = List.copyOf(notes);
        }

        static Optional<Cgroups> probe(List<String[]> mounts, String own, List<String> whyNot) {
            for (String[] m : mounts) {
                if (!"cgroup2".equals(m[0])) {
                    continue;
                }
                List<Path> candidates = new ArrayList<>();
                candidates.add(ownDir(m[1], m[2], own));
                if ("/".equals(m[1])) {
                    candidates.add(Path.of(m[2]));
                }
                for (Path c : candidates) {
                    if (c == null) {
                        continue;
                    }
                    List<String> available = List.of(read(c.resolve("cgroup.controllers")).trim().split("\\s+"));
                    if (!available.contains("memory") || !available.contains("pids")) {
                        continue;
                    }
                    String enable = available.contains("cpu") ? "+memory +pids +cpu" : "+memory +pids";
                    try {
                        write(c.resolve("cgroup.subtree_control"), enable);
                    } catch (IOException e) {
                        // already enabled, or not allowed (a cgroup with processes cannot delegate): checked below
                    }
                    List<String> enabled = List.of(read(c.resolve("cgroup.subtree_control")).trim().split("\\s+"));
                    if (!enabled.contains("memory") || !enabled.contains("pids")) {
                        continue;
                    }
                    if (writableBase(List.of(c), List.of("memory.max", "pids.max", "cgroup.procs")) != null) {
                        List<String> notes = new ArrayList<>();
                        if (!enabled.contains("cpu")) {
                            notes.add("cgroup v2 cpu controller not enabled: no CPU quota");
                        }
                        return Optional.of(new V2(c, enabled.contains("cpu"), notes));
                    }
                }
                whyNot.add("cgroup v2: no writable subtree with the memory and pids controllers enabled");
            }
            return Optional.empty();
        }

        @Override
        String version() {
            return "v2";
        }

        @Override
        List<String> notes() {
            return notes;
        }

        @Override
        void removeStale() {
            Cgroups.removeStale(base);
        }

        @Override
        Run create(String name, SandboxLimits limits) throws IOException {
            Path dir = Files.createDirectory(base.resolve(name));
            RunV2 run = new RunV2(dir);
            try {
                write(dir.resolve("memory.max"), Long.toString(limits.memoryBytes()));
                if (Files.exists(dir.resolve("memory.swap.max"))) {
                    write(dir.resolve("memory.swap.max"), "0");
                }
                write(dir.resolve("pids.max"), Integer.toString(limits.maxProcesses()));
                if (cpu) {
                    write(dir.resolve("cpu.max"), Math.max(1000, 100_000L * limits.cpuPercent() / 100) + " 100000");
                }
                return run;
            } catch (IOException | RuntimeException e) {
                run.tryRemove();
                throw e;
            }
        }

        private static final class RunV2 extends Run {
            private final Path dir;

            RunV2(Path dir) {
                this.dir = dir;
            }

            @Override
            List<Path> procsFiles() {
                return List.of(dir.resolve("cgroup.procs"));
            }

            @Override
            long peakMemoryBytes() {
                return readLong(dir.resolve("memory.peak"));
            }

            @Override
            long cpuTimeMillis() {
                long us = keyed(dir.resolve("cpu.stat"), "usage_usec");
                return us < 0 ? -1 : us / 1000;
            }

            @Override
            boolean oomKilled() {
                return keyed(dir.resolve("memory.events"), "oom_kill") > 0;
            }

            @Override
            boolean memoryLimitReached() {
                return keyed(dir.resolve("memory.events"), "max") > 0;
            }

            @Override
            List<Long> pids() {
                return pidsOf(dir.resolve("cgroup.procs"));
            }

            @Override
            void killAll() {
                Path kill = dir.resolve("cgroup.kill");
                if (Files.exists(kill)) {
                    try {
                        write(kill, "1");
                    } catch (IOException e) {
                        // fall back to killing pid by pid
                    }
                }
                super.killAll();
            }

            @Override
            boolean tryRemove() {
                return rmdir(dir);
            }
        }
    }
}
