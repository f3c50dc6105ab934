package io.toka.sandbox.internal;

import io.toka.sandbox.Isolation;
import io.toka.sandbox.SandboxException;
import io.toka.sandbox.SandboxLauncher;
import io.toka.sandbox.SandboxLimits;
import io.toka.sandbox.SandboxRequest;
import io.toka.sandbox.SandboxResult;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.metatype.annotations.Designate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs programs under bubblewrap, prlimit and a per-run cgroup.
 *
 * <p>The launch is one argv, never a shell string built from request data:
 * <pre>
 * /bin/sh -c SCRIPT sh ARGS_FILE RLIMITS CGROUP_PROCS... --  (opens ARGS_FILE as fd 3, sets rlimits, joins cgroups)
 *   setpriv --reuid=U --regid=G --clear-groups --            (only when started as root: a real unprivileged uid)
 *   bwrap --args 3 --                                        (namespaces, mounts, environment: read from fd 3)
 *   [prlimit --as --cpu --nofile --nproc --fsize --]         (only without a per-run cgroup)
 *   PROGRAM ARGS...
 * </pre>
 * The bubblewrap options travel through a root-only file rather than the command line, so environment values
 * (tokens, say) never show in {@code ps}.
 *
 * <p>With a per-run cgroup (memory, pids) the shell sets the CPU, open-file and file-size rlimits with its
 * {@code ulimit} builtin, which saves an exec (about 1 ms) per run; the cgroup limits memory and processes. Without
 * one, prlimit runs inside the new user namespace, where {@code --nproc} counts only this run's processes (set
 * before bubblewrap it is not enforced in the sandbox, measured) and {@code --as} bounds memory.
 *
 * <p>Why a real unprivileged uid (setpriv) rather than bubblewrap's {@code --uid} alone: bubblewrap started by
 * root maps the sandbox user to host uid 0, so the kernel still sees root. RLIMIT_NPROC does not apply to root
 * (fork bombs are then held only by the pids cgroup), files written to granted paths are root's, and a program
 * allowed on the network could present uid 0 to host services that trust peer credentials. As uid 65534 all of
 * that is an ordinary user. The cost is one exec (about 0.5-1 ms) and that granted paths must be accessible to
 * that uid; {@code dropPrivileges=false} restores the root-mapped mode.
 */
@Component(service = SandboxLauncher.class, configurationPid = SandboxLauncherImpl.PID)
@Designate(ocd = SandboxConfig.class)
public final class SandboxLauncherImpl implements SandboxLauncher {

    /** Configuration PID. */
    public static final String PID = "io.toka.sandbox";

    private static final Logger LOG = LoggerFactory.getLogger(SandboxLauncherImpl.class);

    /**
     * Constant launch script; request data only ever arrives as positional parameters. $1 is the bwrap options
     * file (opened as fd 3), $2-$5 the CPU hard and soft seconds, open files and file-size blocks (all "-" to leave
     * rlimits to prlimit), then cgroup.procs files up to "--", then the argv. Joining the cgroups before exec
     * means every process of the run, from the first, is accounted and limited.
     */
    static final String SCRIPT = "exec 3<\"$1\"; "
            + "if [ \"$2\" != - ]; then ulimit -S -t \"$3\" && ulimit -H -t \"$2\" && ulimit -n \"$4\" "
            + "&& ulimit -f \"$5\" || { echo \"toka-sandbox: cannot set resource limits\" >&2; exit 125; }; fi; "
            + "shift 5; "
            + "while [ \"$1\" != -- ]; do echo $$ >\"$1\" || { echo \"toka-sandbox: cannot join $1\" >&2; exit 125; }; "
            + "shift; done; shift; exec \"$@\"";

    /** Exit code of the launch script when it could not set the rlimits or join the cgroups. */
    private static final int SCRIPT_FAILED = 125;

    private static final int SIGKILL = 9;
    private static final int SIGXCPU = 24;
    private static final int SIGXFSZ = 25;

    /** Largest stdin written on the calling thread: a fresh pipe always holds one page without blocking. */
    private static final int INLINE_STDIN = 4096;

    private static final Duration DRAIN_WAIT = Duration.ofSeconds(2);

    /** Bound only when the run may use the network: name resolution and TLS trust. */
    private static final List<String> NETWORK_FILES = List.of("/etc/resolv.conf", "/etc/hosts",
            "/etc/nsswitch.conf", "/etc/gai.conf", "/etc/host.conf", "/etc/ssl/certs");

    private static final java.nio.file.attribute.FileAttribute<?> OWNER_ONLY_DIR =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"));
    private static final java.nio.file.attribute.FileAttribute<?> OWNER_ONLY_FILE =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));

    private final Settings settings;
    private final boolean bwrapWorks;
    private final String unavailable;
    private final boolean prlimitWorks;
    /** Started as root. */
    private final boolean root;
    /** Switch to settings.uid/gid with setpriv before bubblewrap (or before prlimit when degraded). */
    private final boolean switchUser;
    /** Started as root without switching: bwrap maps the run-as uid inside and drops capabilities. */
    private final boolean rootInside;
    private final Cgroups cgroups;
    private final Path workRoot;
    private final List<String> rootLinks;
    private final List<Path> extraReadOnly;
    private final Isolation isolation;
    private final ExecutorService io;
    /** Run ids continue from the clock so that a restarted component in the same JVM never reuses a name. */
    private final AtomicLong runs = new AtomicLong(System.currentTimeMillis() * 1000);
    /** {@link #statistics()}. */
    private final java.util.concurrent.atomic.LongAdder completedRuns = new java.util.concurrent.atomic.LongAdder();
    private final java.util.concurrent.atomic.LongAdder failedRuns = new java.util.concurrent.atomic.LongAdder();
    private final java.util.concurrent.atomic.LongAdder refusedRuns = new java.util.concurrent.atomic.LongAdder();
    private final Map<String, java.util.concurrent.atomic.LongAdder> limitHits =
            new java.util.concurrent.ConcurrentHashMap<>();
    private final AtomicBoolean degradedWarned = new AtomicBoolean();
    private final long jvmPid = ProcessHandle.current().pid();

    @Activate
    public SandboxLauncherImpl(SandboxConfig config) {
        this(Settings.from(config));
    }

    SandboxLauncherImpl(Settings settings) {
        this.settings = settings;
        List<String> notes = new ArrayList<>();
        this.root = isRoot();
        this.rootLinks = rootLinks();
        this.extraReadOnly = settings.extraReadOnly().stream().filter(Files::exists).toList();

        this.prlimitWorks = Files.isExecutable(settings.prlimit())
                && probe(List.of(settings.prlimit().toString(), "--nofile=64", "--", trueBinary())) == null;
        if (!prlimitWorks) {
            notes.add("prlimit (" + settings.prlimit() + ") does not work: no rlimits");
        }

        boolean canSwitch = root && settings.dropPrivileges() && Files.isExecutable(settings.setpriv())
                && probe(List.of(settings.setpriv().toString(), "--reuid=" + settings.uid(),
                        "--regid=" + settings.gid(), "--clear-groups", "--", trueBinary())) == null;
        if (root && settings.dropPrivileges() && !canSwitch) {
            notes.add("cannot switch to uid " + settings.uid() + " with " + settings.setpriv()
                    + ": programs run as root outside their user namespace");
        }

        String why;
        boolean switched = canSwitch;
        if (!Files.isRegularFile(settings.bwrap())) {
            why = settings.bwrap() + " not found";
        } else if (!Files.isExecutable(settings.bwrap())) {
            why = settings.bwrap() + " is not executable";
        } else {
            why = probe(bwrapProbe(canSwitch, root));
            if (why != null && canSwitch) {
                String asRoot = probe(bwrapProbe(false, root));
                if (asRoot == null) {
                    notes.add("bubblewrap does not work as uid " + settings.uid() + " (" + why
                            + "): programs run as root outside their user namespace");
                    switched = false;
                    why = null;
                }
            }
            if (why != null) {
                why = "bubblewrap cannot create namespaces: " + why;
            }
        }
        this.bwrapWorks = why == null;
        this.unavailable = why;
        this.switchUser = switched;
        this.rootInside = root && !switched;

        this.workRoot = prepareWorkRoot(settings.workRoot(), notes);

        Cgroups cg = null;
        if (settings.cgroups()) {
            List<String> whyNot = new ArrayList<>();
            cg = Cgroups.probe(whyNot).orElse(null);
            if (cg == null) {
                notes.add("no usable cgroup (" + String.join("; ", whyNot)
                        + "): memory bounded by the address-space rlimit only, no CPU quota");
            } else {
                notes.addAll(cg.notes());
                cg.removeStale();
            }
        } else {
            notes.add("per-run cgroups disabled by configuration");
        }
        this.cgroups = cg;

        Isolation.Level level;
        // with a cgroup the launch shell sets the rlimits itself (see script), prlimit is not needed
        boolean rlimits = prlimitWorks || bwrapWorks && cgroups != null;
        if (bwrapWorks) {
            level = cgroups != null ? Isolation.Level.FULL : Isolation.Level.NAMESPACES;
        } else {
            notes.add(0, why);
            level = settings.required() ? Isolation.Level.NONE : Isolation.Level.DEGRADED;
        }
        this.isolation = new Isolation(level, bwrapWorks, bwrapWorks, rlimits,
                cgroups == null ? "none" : cgroups.version(), notes);

        AtomicInteger threads = new AtomicInteger();
        ThreadPoolExecutor pool = new ThreadPoolExecutor(0, Integer.MAX_VALUE, 30, TimeUnit.SECONDS,
                new SynchronousQueue<>(), r -> {
                    Thread t = new Thread(r, "toka-sandbox-io-" + threads.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
        this.io = pool;

        String parts = (bwrapWorks ? "bwrap namespaces" : "no namespaces") + (rlimits ? ", rlimits" : "")
                + (cgroups != null ? ", cgroup " + cgroups.version() : "")
                + (switchUser ? ", uid " + settings.uid() : rootInside ? ", root outside the user namespace" : "");
        if (level == Isolation.Level.FULL) {
            LOG.info("Sandbox isolation: {} ({})", level, parts);
        } else {
            LOG.info("Sandbox isolation: {} ({}); {}", level, parts, String.join("; ", notes));
        }
    }

    /**
     * A launcher with the default configuration that probes this host now; for plain unit tests and tools.
     *
     * @param workRoot where per-run work directories are made (created if missing)
     * @param required refuse to run without working bubblewrap namespaces
     * @return a ready launcher; {@link #close()} releases its I/O threads
     */
    public static SandboxLauncherImpl withDefaults(Path workRoot, boolean required) {
        return new SandboxLauncherImpl(Settings.defaults(workRoot, required));
    }

    /**
     * For benchmarks: the defaults, but choosing whether a root JVM switches to the run-as uid before bubblewrap
     * ({@code true}, the default) or lets bubblewrap map it inside its user namespace.
     */
    public static SandboxLauncherImpl withDefaults(Path workRoot, boolean required, boolean dropPrivileges) {
        Settings d = Settings.defaults(workRoot, required);
        return new SandboxLauncherImpl(d.withDropPrivileges(dropPrivileges));
    }

    /** Releases the I/O threads. Harmless to call twice. */
    @Deactivate
    public void close() {
        io.shutdownNow();
    }

    @Override
    public Isolation isolation() {
        return isolation;
    }

    // ------------------------------------------------------------------------------------------------- run

    @Override
    public SandboxResult run(SandboxRequest request) throws SandboxException, InterruptedException {
        SandboxResult result;
        try {
            result = launch(request);
        } catch (SandboxException e) {
            refusedRuns.increment();
            throw e;
        }
        completedRuns.increment();
        if (!result.success()) {
            failedRuns.increment();
        }
        if (result.limitHit() != null) {
            limitHits.computeIfAbsent(result.limitHit(), k -> new java.util.concurrent.atomic.LongAdder()).increment();
        }
        return result;
    }

    @Override
    public Statistics statistics() {
        Map<String, Long> hits = new java.util.TreeMap<>();
        limitHits.forEach((kind, n) -> hits.put(kind, n.sum()));
        return new Statistics(completedRuns.sum(), failedRuns.sum(), refusedRuns.sum(), hits);
    }

    private SandboxResult launch(SandboxRequest request) throws SandboxException, InterruptedException {
        if (Thread.interrupted()) {
            throw new InterruptedException();
        }
        if (!bwrapWorks) {
            if (settings.required()) {
                throw new SandboxException("sandbox unavailable: " + unavailable
                        + "; set required=false in etc/io.toka.sandbox.cfg to run without namespaces (degraded)");
            }
            if (degradedWarned.compareAndSet(false, true)) {
                LOG.warn("Running programs WITHOUT namespaces (degraded): {}", unavailable);
            }
        }
        validate(request);
        if (io.isShutdown()) {
            throw new SandboxException("the sandbox launcher has been stopped");
        }
        SandboxLimits limits = request.limits();
        String id = jvmPid + "-" + runs.incrementAndGet();
        Path work = workRoot.resolve(id);
        Path argsFile = workRoot.resolve(id + ".args");
        Cgroups.Run cgroup = null;
        Process process = null;
        try {
            prepareWorkDir(work, request);
            if (cgroups != null) {
                try {
                    cgroup = cgroups.create(Cgroups.PREFIX + id, limits);
                } catch (IOException e) {
                    throw new SandboxException("cannot create the run's cgroup: " + e.getMessage(), e);
                }
            }
            List<String> command = bwrapWorks ? fullCommand(request, argsFile, work, cgroup)
                    : degradedCommand(request, cgroup);
            ProcessBuilder pb = new ProcessBuilder(command);
            pb.environment().clear();
            if (!bwrapWorks) {
                pb.environment().putAll(environment(request, work.toString()));
            }
            pb.directory(bwrapWorks ? workRoot.toFile() : hostWorkingDirectory(request, work).toFile());

            long started = System.nanoTime();
            try {
                process = pb.start();
            } catch (IOException e) {
                throw new SandboxException("cannot start " + request.command().get(0) + ": " + e.getMessage(), e);
            }
            Capture out = new Capture(process.getInputStream(), limits.maxOutputBytes());
            Capture err = new Capture(process.getErrorStream(), limits.maxOutputBytes());
            Future<?> outDone = io.submit(out);
            Future<?> errDone = io.submit(err);
            feedStdin(process, request.stdin());

            boolean exited;
            try {
                exited = process.waitFor(limits.timeout().toNanos(), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                killTree(process, cgroup);
                throw e;
            }
            if (!exited) {
                killTree(process, cgroup);
            }
            Duration duration = Duration.ofNanos(System.nanoTime() - started);
            if (cgroup != null) {
                // Daemons a program leaves behind (setsid ... &) are in its cgroup even after reparenting. With
                // bubblewrap they are already dying with the pid namespace.
                cgroup.killAll();
            }
            await(outDone);
            await(errDone);

            int exit = exited ? process.exitValue() : -1;
            byte[] stderr = err.bytes();
            if (exited) {
                checkLaunch(exit, stderr);
            }
            long peak = cgroup == null ? -1 : cgroup.peakMemoryBytes();
            long cpu = cgroup == null ? -1 : cgroup.cpuTimeMillis();
            String limitHit = limitHit(exited, exit, cgroup, cpu, limits);
            return new SandboxResult(exit, out.bytes(), out.truncated(), stderr, err.truncated(), !exited, limitHit,
                    duration, peak, cpu, isolation.level());
        } finally {
            if (process != null && process.isAlive()) {
                killTree(process, cgroup);
            }
            if (cgroup != null) {
                // every process left has SIGKILL pending from here on: none can run code or fork again
                cgroup.killAll();
            }
            cleanUp(cgroup, id, argsFile, work);
        }
    }

    /**
     * Waits for the run's last processes to finish dying, removes its cgroup and deletes its files, off the caller's
     * thread: all of that is bookkeeping after every process has been sent SIGKILL, and it took about 1 ms of each
     * call (cgroup rmdir, file deletion; measured) that the caller need not wait for. Inline if the launcher is
     * stopped.
     */
    private void cleanUp(Cgroups.Run cgroup, String id, Path argsFile, Path work) {
        Runnable task = () -> {
            if (cgroup != null) {
                cgroup.awaitDead();
                if (!cgroup.tryRemove()) {
                    removeLater(cgroup, id);
                }
            }
            deleteRunFiles(argsFile, work);
        };
        try {
            io.execute(task);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            task.run();
        }
    }

    /**
     * Removes a run's cgroup once its last processes have left. They have all been sent SIGKILL; typically this is
     * bubblewrap's init finishing its teardown, or a zombie the host's init has not reaped yet (0.3-8 ms here), so
     * the caller need not wait for it.
     */
    private void removeLater(Cgroups.Run cgroup, String id) {
        try {
            io.submit(() -> {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (!cgroup.tryRemove()) {
                    if (System.nanoTime() > deadline) {
                        LOG.warn("Could not remove cgroup {}{}: processes still in it", Cgroups.PREFIX, id);
                        return;
                    }
                    cgroup.killAll();
                    java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            LOG.debug("Launcher stopped: cgroup {}{} is left to the next start", Cgroups.PREFIX, id);
        }
    }

    private static void await(Future<?> drained) throws InterruptedException {
        try {
            drained.get(DRAIN_WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            // Capture catches its own I/O errors
        } catch (TimeoutException e) {
            // an escaped process holds the pipe open: return what was captured
            drained.cancel(true);
        }
    }

    private void feedStdin(Process process, byte[] stdin) {
        OutputStream os = process.getOutputStream();
        if (stdin.length <= INLINE_STDIN) {
            writeAndClose(os, stdin);
        } else {
            io.submit(() -> writeAndClose(os, stdin));
        }
    }

    private static void writeAndClose(OutputStream os, byte[] bytes) {
        try (os) {
            if (bytes.length > 0) {
                os.write(bytes);
            }
        } catch (IOException e) {
            // the program exited or closed stdin without reading it all: not an error of the run
        }
    }

    /** Kills the direct child, its descendants and everything in the run's cgroup. */
    private static void killTree(Process process, Cgroups.Run cgroup) {
        List<ProcessHandle> descendants = process.descendants().toList();
        process.destroyForcibly();
        descendants.forEach(ProcessHandle::destroyForcibly);
        if (cgroup != null) {
            cgroup.killAll();
        }
        boolean interrupted = Thread.interrupted();
        try {
            process.waitFor(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            interrupted = true;
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** bubblewrap reports its own setup failures (a bind source it cannot reach, say) as exit 1 with "bwrap: ". */
    private void checkLaunch(int exit, byte[] stderr) throws SandboxException {
        String text = new String(stderr, 0, Math.min(stderr.length, 2000), StandardCharsets.UTF_8);
        if (bwrapWorks && exit == 1 && text.startsWith("bwrap: ")) {
            String line = text.lines().findFirst().orElse(text);
            String hint = switchUser ? " (sandboxed programs run as uid " + settings.uid()
                    + ": granted paths must be accessible to it)" : "";
            throw new SandboxException("sandbox launch failed: " + line + hint);
        }
        if ((exit == 126 || exit == 127) && text.startsWith("prlimit: failed to execute")) {
            throw new SandboxException("cannot execute the program: " + text.lines().findFirst().orElse(text));
        }
        if (exit == SCRIPT_FAILED && text.contains("toka-sandbox: ")) {
            throw new SandboxException("sandbox launch failed: " + text.strip().replace('\n', ' '));
        }
    }

    private static String limitHit(boolean exited, int exit, Cgroups.Run cgroup, long cpuMillis,
            SandboxLimits limits) {
        if (!exited) {
            return "timeout";
        }
        if (cgroup != null && cgroup.oomKilled()) {
            return "memory";
        }
        if (exit == 128 + SIGXCPU) {
            return "cpu";
        }
        if (exit == 128 + SIGXFSZ) {
            return "file-size";
        }
        if (exit == 128 + SIGKILL && cpuMillis >= cpuSeconds(limits) * 1000L) {
            return "cpu";
        }
        if (exit != 0 && cgroup != null && cgroup.memoryLimitReached()) {
            return "memory";
        }
        return null;
    }

    // ---------------------------------------------------------------------------------------------- argv

    private List<String> fullCommand(SandboxRequest request, Path argsFile, Path work, Cgroups.Run cgroup)
            throws SandboxException {
        List<String> b = new ArrayList<>(64);
        b.add("--unshare-all");
        if (request.allowNetwork()) {
            b.add("--share-net");
        }
        b.addAll(List.of("--die-with-parent", "--new-session", "--clearenv", "--hostname", "sandbox"));
        b.addAll(List.of("--ro-bind", "/usr", "/usr"));
        b.addAll(rootLinks);
        b.addAll(List.of("--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"));
        b.addAll(List.of("--bind", work.toString(), SandboxRequest.WORK_DIR));
        for (Path p : extraReadOnly) {
            b.addAll(List.of("--ro-bind-try", p.toString(), p.toString()));
        }
        if (request.allowNetwork()) {
            for (String p : NETWORK_FILES) {
                b.addAll(List.of("--ro-bind-try", p, p));
            }
        }
        if (prlimitWorks && !settings.prlimit().startsWith("/usr/")) {
            b.addAll(List.of("--ro-bind", settings.prlimit().toString(), settings.prlimit().toString()));
        }
        for (Path p : request.readOnlyPaths()) {
            String s = p.normalize().toString();
            b.addAll(List.of("--ro-bind", s, s));
        }
        for (Path p : request.writablePaths()) {
            String s = p.normalize().toString();
            b.addAll(List.of("--bind", s, s));
        }
        String wd = request.workingDirectory() == null ? SandboxRequest.WORK_DIR
                : request.workingDirectory().normalize().toString();
        b.addAll(List.of("--chdir", wd));
        environment(request, SandboxRequest.WORK_DIR).forEach((k, v) -> b.addAll(List.of("--setenv", k, v)));
        b.add("--unshare-user");
        if (switchUser || rootInside) {
            b.addAll(List.of("--uid", Integer.toString(settings.uid()), "--gid", Integer.toString(settings.gid())));
        }
        if (rootInside) {
            // bubblewrap run by root keeps capabilities unless told otherwise
            b.addAll(List.of("--cap-drop", "ALL"));
        }

        ByteArrayOutputStream bytes = new ByteArrayOutputStream(2048);
        for (String arg : b) {
            bytes.writeBytes(arg.getBytes(StandardCharsets.UTF_8));
            bytes.write(0);
        }
        try {
            // root-only: it holds the environment
            Files.write(Files.createFile(argsFile, OWNER_ONLY_FILE), bytes.toByteArray());
        } catch (IOException e) {
            throw new SandboxException("cannot prepare the sandbox: " + e.getMessage(), e);
        }

        List<String> cmd = new ArrayList<>(32 + request.command().size());
        script(cmd, argsFile.toString(), cgroup, request.limits());
        if (switchUser) {
            setpriv(cmd);
        }
        cmd.addAll(List.of(settings.bwrap().toString(), "--args", "3", "--"));
        if (cgroup == null) {
            prlimit(cmd, request.limits());
        }
        cmd.addAll(request.command());
        return cmd;
    }

    private List<String> degradedCommand(SandboxRequest request, Cgroups.Run cgroup) {
        List<String> cmd = new ArrayList<>(24 + request.command().size());
        script(cmd, "/dev/null", cgroup, null);
        if (switchUser) {
            setpriv(cmd);
        }
        prlimit(cmd, request.limits());
        cmd.addAll(request.command());
        return cmd;
    }

    /** The launch script; rlimits set by the shell only when given (with a cgroup for memory and processes). */
    private static void script(List<String> cmd, String argsFile, Cgroups.Run cgroup, SandboxLimits shellLimits) {
        cmd.addAll(List.of("/bin/sh", "-c", SCRIPT, "sh", argsFile));
        if (shellLimits == null || cgroup == null) {
            cmd.addAll(List.of("-", "-", "-", "-"));
        } else {
            long cpu = cpuSeconds(shellLimits);
            cmd.addAll(List.of(Long.toString(cpu + 1), Long.toString(cpu),
                    Integer.toString(shellLimits.maxOpenFiles()),
                    // ulimit -f counts 512-byte blocks: the limit is rounded up to the next block
                    Long.toString((shellLimits.maxFileBytes() + 511) / 512)));
        }
        if (cgroup != null) {
            cgroup.procsFiles().forEach(p -> cmd.add(p.toString()));
        }
        cmd.add("--");
    }

    private void setpriv(List<String> cmd) {
        cmd.addAll(List.of(settings.setpriv().toString(), "--reuid=" + settings.uid(), "--regid=" + settings.gid(),
                "--clear-groups", "--"));
    }

    private void prlimit(List<String> cmd, SandboxLimits l) {
        if (!prlimitWorks) {
            return;
        }
        long cpu = cpuSeconds(l);
        cmd.add(settings.prlimit().toString());
        if (cgroups == null) {
            // Only without a memory cgroup: the address-space limit also counts memory that is reserved but never
            // used, so `java -version` and `node -e 1` cannot even start under --as=512M (measured). The cgroup
            // limits what is really used, and its OOM kill is reported as limitHit "memory".
            cmd.add("--as=" + l.memoryBytes());
        }
        cmd.addAll(List.of(
                // soft limit first: SIGXCPU (exit 152) says "cpu" more clearly than the hard limit's SIGKILL
                "--cpu=" + cpu + ":" + (cpu + 1), "--nofile=" + l.maxOpenFiles(), "--nproc=" + l.maxProcesses(),
                "--fsize=" + l.maxFileBytes(), "--"));
    }

    private static long cpuSeconds(SandboxLimits l) {
        long ms = l.timeout().toMillis();
        return (ms + 999) / 1000 + 1;
    }

    private static Map<String, String> environment(SandboxRequest request, String home) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("PATH", "/usr/local/bin:/usr/bin:/bin");
        env.put("HOME", home);
        env.put("LANG", "C.UTF-8");
        env.putAll(request.environment());
        return env;
    }

    // ------------------------------------------------------------------------------------------ validation

    private void validate(SandboxRequest request) throws SandboxException {
        String exe = request.command().get(0);
        if (!exe.startsWith("/")) {
            throw new SandboxException("command[0] must be an absolute path to the program, got \"" + exe + "\"");
        }
        for (String arg : request.command()) {
            if (arg.indexOf('\0') >= 0) {
                throw new SandboxException("command arguments must not contain NUL characters");
            }
        }
        for (Map.Entry<String, String> e : request.environment().entrySet()) {
            String k = e.getKey();
            if (k.isEmpty() || k.indexOf('=') >= 0 || k.indexOf('\0') >= 0 || e.getValue().indexOf('\0') >= 0) {
                throw new SandboxException("invalid environment variable \"" + k.replace('\0', '?')
                        + "\": names must be non-empty without '=' and values without NUL");
            }
            if (!bwrapWorks && root && loaderVariable(k)) {
                // without bubblewrap the environment passes through prlimit/setpriv running as root
                throw new SandboxException("environment variable " + k + " is not allowed without namespaces");
            }
        }
        for (String name : request.files().keySet()) {
            relative(name);
        }
        List<Path> granted = new ArrayList<>();
        for (Path p : concat(request.readOnlyPaths(), request.writablePaths())) {
            if (!p.isAbsolute()) {
                throw new SandboxException("granted paths must be absolute, got \"" + p + "\"");
            }
            if (!Files.exists(p)) {
                throw new SandboxException("granted path " + p + " does not exist");
            }
            granted.add(p.normalize());
        }
        if (request.workingDirectory() != null && !request.workingDirectory().isAbsolute()) {
            throw new SandboxException("workingDirectory must be an absolute path inside the sandbox, got \""
                    + request.workingDirectory() + "\"");
        }
        Path exePath = Path.of(exe).normalize();
        if (bwrapWorks && exePath.startsWith(SandboxRequest.WORK_DIR)) {
            String rel = Path.of(SandboxRequest.WORK_DIR).relativize(exePath).toString();
            boolean present = request.files().keySet().stream().anyMatch(k -> Path.of(k).normalize().toString()
                    .equals(rel));
            if (!present) {
                throw new SandboxException("program " + exe + " is not among the request's files");
            }
            return;
        }
        if (bwrapWorks && !visible(exePath, granted)) {
            throw new SandboxException("program " + exe + " is not visible in the sandbox: only /usr (with /bin, "
                    + "/lib links), /work and granted paths are; grant its directory in readOnlyPaths");
        }
        if (!Files.isRegularFile(exePath)) {
            throw new SandboxException("program " + exe + " does not exist");
        }
    }

    private static boolean loaderVariable(String name) {
        return name.startsWith("LD_") || name.startsWith("MALLOC_") || name.equals("GLIBC_TUNABLES")
                || name.equals("GCONV_PATH") || name.equals("LOCPATH") || name.equals("NLSPATH")
                || name.equals("HOSTALIASES") || name.equals("RESOLV_HOST_CONF");
    }

    private boolean visible(Path exe, List<Path> granted) {
        if (exe.startsWith("/usr")) {
            return true;
        }
        for (int i = 0; i + 2 < rootLinks.size(); i += 3) {
            if (exe.startsWith(rootLinks.get(i + 2))) {
                return true;
            }
        }
        return granted.stream().anyMatch(exe::startsWith);
    }

    private static Path relative(String name) throws SandboxException {
        Path rel = Path.of(name).normalize();
        if (name.isEmpty() || rel.isAbsolute() || rel.toString().isEmpty() || rel.startsWith("..")) {
            throw new SandboxException("file names must be relative paths inside the work directory, got \""
                    + name + "\"");
        }
        return rel;
    }

    private static List<Path> concat(List<Path> a, List<Path> b) {
        List<Path> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    // ---------------------------------------------------------------------------------------- work dirs

    private void prepareWorkDir(Path work, SandboxRequest request) throws SandboxException {
        try {
            Files.createDirectory(work, OWNER_ONLY_DIR);
            chown(work);
            for (Map.Entry<String, byte[]> f : request.files().entrySet()) {
                Path target = work.resolve(relative(f.getKey()));
                Path parent = target.getParent();
                if (!Files.isDirectory(parent)) {
                    Files.createDirectories(parent);
                    for (Path d = parent; !d.equals(work); d = d.getParent()) {
                        chown(d);
                    }
                }
                Files.write(target, f.getValue());
                Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rwx------"));
                chown(target);
            }
        } catch (IOException e) {
            throw new SandboxException("cannot prepare the work directory: " + e.getMessage(), e);
        }
    }

    private void chown(Path p) throws IOException {
        if (switchUser) {
            Files.setAttribute(p, "unix:uid", settings.uid(), LinkOption.NOFOLLOW_LINKS);
            Files.setAttribute(p, "unix:gid", settings.gid(), LinkOption.NOFOLLOW_LINKS);
        }
    }

    private Path hostWorkingDirectory(SandboxRequest request, Path work) throws SandboxException {
        Path wd = request.workingDirectory();
        if (wd == null || wd.normalize().toString().equals(SandboxRequest.WORK_DIR)) {
            return work;
        }
        if (!Files.isDirectory(wd)) {
            throw new SandboxException("workingDirectory " + wd + " does not exist (running without namespaces)");
        }
        return wd;
    }

    private static void deleteRunFiles(Path argsFile, Path work) {
        try {
            Files.deleteIfExists(argsFile);
            Files.deleteIfExists(work);
        } catch (IOException e) {
            // not empty: the program or the request left files
            deleteTree(work);
        }
    }

    private static void deleteTree(Path root) {
        if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.deleteIfExists(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException exc) throws IOException {
                    Files.deleteIfExists(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
                    Files.deleteIfExists(dir);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            LOG.warn("Could not delete sandbox work directory {}: {}", root, e.toString());
        }
    }

    /** Creates the work root (mode 711) and checks that the run-as uid can reach it; else a temp dir. */
    private Path prepareWorkRoot(Path configured, List<String> notes) {
        Path root = ensureDir(configured);
        if (root != null && (!switchUser || reachable(root))) {
            return root;
        }
        Path fallback = ensureDir(Path.of(System.getProperty("java.io.tmpdir"), "toka-sandbox-" + settings.uid())
                .toAbsolutePath());
        notes.add("work root " + configured + " is not " + (root == null ? "writable" : "reachable by uid "
                + settings.uid()) + ": using " + fallback);
        if (fallback != null) {
            removeStaleRuns(fallback);
        }
        return fallback == null ? configured : fallback;
    }

    private Path ensureDir(Path dir) {
        try {
            Files.createDirectories(dir);
            int owner = (Integer) Files.getAttribute(dir, "unix:uid", LinkOption.NOFOLLOW_LINKS);
            int mode = (Integer) Files.getAttribute(dir, "unix:mode", LinkOption.NOFOLLOW_LINKS);
            if (owner != ownUid() || (mode & 0022) != 0 || Files.isSymbolicLink(dir)) {
                // someone else could swap run directories for symlinks while we write into them as root
                LOG.warn("Sandbox work root {} is not owned by this process or is writable by others", dir);
                return null;
            }
            if (switchUser) {
                Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx--x--x"));
            }
            removeStaleRuns(dir);
            return dir;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private static int ownUid() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Uid:")) {
                    return Integer.parseInt(line.substring(4).trim().split("\\s+")[1]);
                }
            }
        } catch (IOException | RuntimeException e) {
            // fall through
        }
        return -1;
    }

    /** Run directories are named {@code <jvm pid>-<n>}: those of JVMs no longer running are left-overs. */
    private void removeStaleRuns(Path dir) {
        try (var entries = Files.list(dir)) {
            entries.forEach(p -> {
                String n = p.getFileName().toString();
                int dash = n.indexOf('-');
                if (dash > 0) {
                    try {
                        long pid = Long.parseLong(n.substring(0, dash));
                        Long.parseLong(n.substring(dash + 1).replace(".args", ""));
                        if (pid != jvmPid && ProcessHandle.of(pid).isEmpty()) {
                            deleteTree(p);
                        }
                    } catch (NumberFormatException e) {
                        // not a run directory
                    }
                }
            });
        } catch (IOException e) {
            // nothing to clean
        }
    }

    /** Whether every ancestor of dir is searchable by the run-as uid/gid (checked on the mode bits). */
    private boolean reachable(Path dir) {
        try {
            for (Path p = dir; p != null; p = p.getParent()) {
                int mode = (Integer) Files.getAttribute(p, "unix:mode");
                int owner = (Integer) Files.getAttribute(p, "unix:uid");
                int group = (Integer) Files.getAttribute(p, "unix:gid");
                boolean ok = owner == settings.uid() ? (mode & 0100) != 0
                        : group == settings.gid() ? (mode & 0010) != 0 : (mode & 0001) != 0;
                if (!ok) {
                    return false;
                }
            }
            return true;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    // ------------------------------------------------------------------------------------------- probing

    private List<String> bwrapProbe(boolean viaSetpriv, boolean root) {
        List<String> cmd = new ArrayList<>();
        if (viaSetpriv) {
            setpriv(cmd);
        }
        cmd.addAll(List.of(settings.bwrap().toString(), "--unshare-all", "--die-with-parent", "--new-session",
                "--clearenv", "--ro-bind", "/usr", "/usr"));
        cmd.addAll(rootLinks);
        cmd.addAll(List.of("--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"));
        for (Path p : extraReadOnly) {
            cmd.addAll(List.of("--ro-bind-try", p.toString(), p.toString()));
        }
        cmd.add("--unshare-user");
        if (root) {
            cmd.addAll(List.of("--uid", Integer.toString(settings.uid()), "--gid", Integer.toString(settings.gid())));
            if (!viaSetpriv) {
                cmd.addAll(List.of("--cap-drop", "ALL"));
            }
        }
        cmd.add(trueBinary());
        return cmd;
    }

    /** Runs a probe command; null if it exited 0, else why not. */
    private static String probe(List<String> command) {
        try {
            ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
            pb.environment().clear();
            Process p = pb.start();
            p.getOutputStream().close();
            Future<byte[]> output = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try {
                    return p.getInputStream().readAllBytes();
                } catch (IOException e) {
                    return new byte[0];
                }
            });
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                return command.get(0) + " did not finish within 10 s";
            }
            if (p.exitValue() == 0) {
                return null;
            }
            String text;
            try {
                text = new String(output.get(2, TimeUnit.SECONDS), StandardCharsets.UTF_8).trim();
            } catch (ExecutionException | TimeoutException e) {
                text = "";
            }
            return "exit " + p.exitValue() + (text.isEmpty() ? "" : ": " + text.lines().findFirst().orElse(""));
        } catch (IOException e) {
            return e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }

    private static String trueBinary() {
        return Files.isExecutable(Path.of("/usr/bin/true")) ? "/usr/bin/true" : "/bin/true";
    }

    private static boolean isRoot() {
        return ownUid() == 0;
    }

    /** /bin, /lib and friends as on the host: symlinks into /usr are recreated, real directories bound. */
    private static List<String> rootLinks() {
        List<String> args = new ArrayList<>();
        for (String name : List.of("/bin", "/sbin", "/lib", "/lib64", "/lib32", "/libx32")) {
            Path p = Path.of(name);
            try {
                if (Files.isSymbolicLink(p)) {
                    args.addAll(List.of("--symlink", Files.readSymbolicLink(p).toString(), name));
                } else if (Files.isDirectory(p)) {
                    args.addAll(List.of("--ro-bind", name, name));
                }
            } catch (IOException e) {
                // skip what cannot be read
            }
        }
        return args;
    }

    @Override
    public String toString() {
        return "SandboxLauncherImpl[" + isolation + ", workRoot=" + workRoot + "]";
    }

    /** Whether programs run as the configured unprivileged uid on the host (started as root, setpriv works). */
    boolean switchesUser() {
        return switchUser;
    }
}
