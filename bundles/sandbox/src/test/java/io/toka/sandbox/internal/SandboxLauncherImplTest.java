package io.toka.sandbox.internal;

import io.toka.sandbox.testing.SandboxRequirement;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.toka.sandbox.Isolation;
import io.toka.sandbox.SandboxException;
import io.toka.sandbox.SandboxLimits;
import io.toka.sandbox.SandboxRequest;
import io.toka.sandbox.SandboxResult;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Real bubblewrap, real processes, no mocks. Every hostile test would fail if its limit were not enforced; most
 * are paired with a control run that lifts the limit and shows the behaviour change.
 */
class SandboxLauncherImplTest {

    private static final String PY = "/usr/bin/python3";
    private static final String SH = "/usr/bin/sh";

    private static Path workRoot;
    private static Path scratch;
    private static SandboxLauncherImpl launcher;

    @BeforeAll
    static void setUp() throws IOException {
        // not a JUnit @TempDir: that is mode 700, which the unprivileged run-as uid could not traverse
        workRoot = Files.createTempDirectory("toka-sandbox-test-");
        scratch = Files.createTempDirectory("toka-sandbox-scratch-");
        Files.setPosixFilePermissions(scratch, PosixFilePermissions.fromString("rwxrwxrwx"));
        launcher = SandboxLauncherImpl.withDefaults(workRoot, true);
    }

    @BeforeEach
    void needsBubblewrap() {
        // per test, not in @BeforeAll: only a skipped test shows the reason in the report
        SandboxRequirement.assumeNamespaces(launcher.isolation());
    }

    @AfterAll
    static void tearDown() throws IOException {
        if (launcher != null) {
            launcher.close();
        }
        try {
            // the fallback work root of aWorkRootTheRunAsUserCannotReach..., shared, so only removed when empty
            Files.deleteIfExists(Path.of(System.getProperty("java.io.tmpdir"), "toka-sandbox-65534"));
        } catch (IOException e) {
            // in use
        }
        for (Path dir : new Path[] {workRoot, scratch}) {
            if (dir != null && Files.exists(dir)) {
                try (Stream<Path> s = Files.walk(dir)) {
                    s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                }
            }
        }
    }

    private static SandboxResult run(SandboxRequest.Builder b) throws Exception {
        return launcher.run(b.build());
    }

    private static SandboxRequest.Builder sh(String script) {
        return SandboxRequest.builder(SH, "-c", script);
    }

    private static SandboxRequest.Builder py(String code) {
        return SandboxRequest.builder(PY, "-c", code);
    }

    private static SandboxLimits limits() {
        return SandboxLimits.DEFAULT.withTimeout(Duration.ofSeconds(20));
    }

    private static boolean anyProcessWith(String marker) {
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            return procs.filter(p -> p.getFileName().toString().chars().allMatch(Character::isDigit))
                    .anyMatch(p -> {
                        try {
                            return new String(Files.readAllBytes(p.resolve("cmdline")), UTF_8).contains(marker);
                        } catch (IOException e) {
                            return false;
                        }
                    });
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    // ------------------------------------------------------------------------------------------- basics

    @Test
    void isolationReportsWhatThisHostEnforces() {
        Isolation iso = launcher.isolation();
        assertThat(iso.namespaces()).isTrue();
        assertThat(iso.network()).isTrue();
        assertThat(iso.rlimits()).isTrue();
        if (Files.isWritable(Path.of("/sys/fs/cgroup/memory")) && Files.isWritable(Path.of("/sys/fs/cgroup/pids"))) {
            // this machine: hybrid v1 + v2, only v1 has writable controllers
            assertThat(iso.level()).isEqualTo(Isolation.Level.FULL);
            assertThat(iso.cgroup()).isEqualTo("v1");
        }
    }

    @Test
    void runsAProgramAsAnUnprivilegedUserInWork() throws Exception {
        SandboxResult r = run(sh("id -u; pwd; echo $HOME; grep CapEff /proc/self/status").limits(limits()));
        assertThat(r.success()).as(r.stderrText()).isTrue();
        assertThat(r.timedOut()).isFalse();
        assertThat(r.limitHit()).isNull();
        assertThat(r.isolation()).isEqualTo(launcher.isolation().level());
        assertThat(r.stdoutText()).contains("/work\n/work\n").contains("CapEff:\t0000000000000000");
        if (launcher.switchesUser()) {
            assertThat(r.stdoutText()).startsWith("65534\n");
        }
        if ("v1".equals(launcher.isolation().cgroup())) {
            assertThat(r.peakMemoryBytes()).isPositive();
            assertThat(r.cpuTimeMillis()).isNotNegative();
        }
    }

    @Test
    void stdinReachesTheProgramAndFilesAppearInWork() throws Exception {
        SandboxResult r = run(SandboxRequest.builder("/usr/bin/cat", "-", "/work/a.txt", "sub/b.txt")
                .stdin("from stdin;".getBytes(UTF_8))
                .file("a.txt", "file a;".getBytes(UTF_8))
                .file("sub/b.txt", "file b".getBytes(UTF_8)).limits(limits()));
        assertThat(r.stdoutText()).isEqualTo("from stdin;file a;file b");

        byte[] big = new byte[3 << 20];
        r = run(SandboxRequest.builder("/usr/bin/wc", "-c").stdin(big).limits(limits()));
        assertThat(r.stdoutText().trim()).isEqualTo(Integer.toString(big.length));
    }

    @Test
    void filesMayBeExecutedFromWork() throws Exception {
        SandboxResult r = run(SandboxRequest.builder("/work/tool.sh", "x")
                .file("tool.sh", "#!/bin/sh\necho tool $1\n".getBytes(UTF_8)).limits(limits()));
        assertThat(r.stdoutText()).isEqualTo("tool x\n");
    }

    @Test
    void hostEnvironmentIsNotInherited() throws Exception {
        String hostVar = System.getenv().keySet().stream()
                .filter(k -> !List.of("PATH", "HOME", "LANG", "PWD", "SHLVL", "_").contains(k))
                .findFirst().orElseThrow();
        SandboxResult r = run(SandboxRequest.builder("/usr/bin/env").env("GIVEN", "a value with spaces")
                .limits(limits()));
        assertThat(r.stdoutText()).contains("GIVEN=a value with spaces\n", "PATH=/usr/local/bin:/usr/bin:/bin\n",
                "HOME=/work\n").doesNotContain(hostVar + "=");
    }

    @Test
    void workDirectoriesAreDeletedAfterEachRun() throws Exception {
        run(SandboxRequest.builder("/usr/bin/true").file("x", new byte[10]).limits(limits()));
        try (Stream<Path> left = Files.list(workRoot)) {
            assertThat(left).isEmpty();
        }
    }

    // ------------------------------------------------------------------------------------------- refusals

    @Test
    void refusesProgramsThatAreNotAbsoluteExistingAndVisible() {
        assertThatThrownBy(() -> run(SandboxRequest.builder("python3", "-c", "pass")))
                .isInstanceOf(SandboxException.class).hasMessageContaining("absolute").hasMessageContaining("python3");
        assertThatThrownBy(() -> run(SandboxRequest.builder("/usr/bin/no-such-program")))
                .isInstanceOf(SandboxException.class).hasMessageContaining("does not exist");
        assertThatThrownBy(() -> run(SandboxRequest.builder("/opt/x/tool")))
                .isInstanceOf(SandboxException.class).hasMessageContaining("not visible");
        assertThatThrownBy(() -> run(SandboxRequest.builder("/usr/bin/true").file("../escape", new byte[1])))
                .isInstanceOf(SandboxException.class).hasMessageContaining("../escape");
        assertThatThrownBy(() -> run(SandboxRequest.builder("/usr/bin/true").env("X", "a\0b")))
                .isInstanceOf(SandboxException.class).hasMessageContaining("NUL");
    }

    // ------------------------------------------------------------------------------------------- hostile

    @Test
    void memoryBombIsStoppedWhileTheSameProgramWithRoomSucceeds() throws Exception {
        String bomb = "chunks = []\n"
                + "for i in range(N):\n"
                + "    chunks.append(b'\\x01' * (1 << 20))\n"
                + "print('allocated', len(chunks), 'MiB')\n";
        SandboxResult killed = run(py(bomb.replace("N", "2048"))
                .limits(limits().withMemoryBytes(64L << 20)));
        assertThat(killed.success()).isFalse();
        assertThat(killed.stdoutText()).doesNotContain("allocated");
        if ("none".equals(launcher.isolation().cgroup())) {
            assertThat(killed.stderrText()).contains("MemoryError");
        } else {
            assertThat(killed.limitHit()).isEqualTo("memory");
            assertThat(killed.exitCode()).isEqualTo(128 + 9);
            assertThat(killed.peakMemoryBytes()).isLessThanOrEqualTo(64L << 20);
        }

        SandboxResult control = run(py(bomb.replace("N", "100")).limits(limits().withMemoryBytes(512L << 20)));
        assertThat(control.success()).as(control.stderrText()).isTrue();
        assertThat(control.stdoutText()).contains("allocated 100 MiB");
        if ("v1".equals(launcher.isolation().cgroup())) {
            assertThat(control.peakMemoryBytes()).isGreaterThan(100L << 20);
        }
    }

    @Test
    void runtimesThatReserveAddressSpaceStillStart() throws Exception {
        // the JVM reserves its heap up front: under an address-space limit of 512 MiB it does not start
        assumeTrue(!"none".equals(launcher.isolation().cgroup()), "needs a memory cgroup");
        Path java = Path.of(System.getProperty("java.home"), "bin", "java").toRealPath();
        assumeTrue(java.startsWith("/usr"), "the JVM must be under /usr to be visible in the sandbox");
        SandboxResult r = run(SandboxRequest.builder(java.toString(), "-Xshare:off", "-version")
                .limits(limits().withMemoryBytes(512L << 20)));
        assertThat(r.success()).as(r.stderrText()).isTrue();
        assertThat(r.stderrText()).contains("version");
    }

    @Test
    void statisticsCountRunsFailuresRefusalsAndLimitHitsByKind() throws Exception {
        SandboxLauncherImpl own = SandboxLauncherImpl.withDefaults(workRoot, true);
        try {
            assertThat(own.statistics().runs()).isZero();
            assertThat(own.run(py("print('ok')").build()).success()).isTrue();
            assertThat(own.run(py("import sys; sys.exit(3)").build()).exitCode()).isEqualTo(3);
            assertThat(own.run(py("while True: pass").limits(limits().withTimeout(Duration.ofMillis(500))).build())
                    .limitHit()).isEqualTo("timeout");
            assertThatThrownBy(() -> own.run(SandboxRequest.builder("relative/python").build()))
                    .isInstanceOf(SandboxException.class);

            io.toka.sandbox.SandboxLauncher.Statistics s = own.statistics();
            assertThat(s.runs()).isEqualTo(3);
            assertThat(s.failures()).isEqualTo(2);
            assertThat(s.refused()).isEqualTo(1);
            assertThat(s.limitHits()).containsExactly(java.util.Map.entry("timeout", 1L));
        } finally {
            own.close();
        }
    }

    @Test
    void busyLoopIsKilledAtTheTimeout() throws Exception {
        long start = System.nanoTime();
        SandboxResult r = run(py("while True: pass").limits(limits().withTimeout(Duration.ofSeconds(1))));
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
        assertThat(r.timedOut()).isTrue();
        assertThat(r.limitHit()).isEqualTo("timeout");
        assertThat(r.exitCode()).isEqualTo(-1);
        assertThat(r.success()).isFalse();
    }

    @Test
    void processCountIsLimitedAndLiftingTheLimitLetsAllStart() throws Exception {
        String spawn = "import subprocess\n"
                + "ps = []\n"
                + "for i in range(200):\n"
                + "    try:\n"
                + "        ps.append(subprocess.Popen(['/usr/bin/sleep', '30']))\n"
                + "    except OSError:\n"
                + "        pass\n"
                + "print(len(ps))\n"
                + "for p in ps:\n"
                + "    p.kill()\n";
        SandboxResult limited = run(py(spawn).limits(limits().withMaxProcesses(32)));
        assertThat(Integer.parseInt(limited.stdoutText().trim())).isLessThan(40);

        SandboxResult control = run(py(spawn).limits(limits().withMaxProcesses(512).withMaxOpenFiles(1024)));
        assertThat(control.stdoutText().trim()).isEqualTo("200");
    }

    @Test
    void concurrentRunsEachGetTheirOwnProcessLimit() throws Exception {
        // all runs share the run-as uid; a per-uid limit would let only about 32 of the 150 children start
        String spawn = "import subprocess\n"
                + "ps = [subprocess.Popen(['/usr/bin/sleep', '30']) for i in range(25)]\n"
                + "print(len(ps))\n"
                + "for p in ps:\n"
                + "    p.kill()\n";
        List<CompletableFuture<SandboxResult>> calls = new java.util.ArrayList<>();
        java.util.concurrent.ExecutorService callers = java.util.concurrent.Executors.newFixedThreadPool(6);
        for (int i = 0; i < 6; i++) {
            calls.add(CompletableFuture.supplyAsync(() -> {
                try {
                    return run(py(spawn).limits(limits().withMaxProcesses(32)));
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }, callers));
        }
        try {
            for (CompletableFuture<SandboxResult> call : calls) {
                SandboxResult r = call.get(30, TimeUnit.SECONDS);
                assertThat(r.stdoutText()).as(r.stderrText()).isEqualTo("25\n");
            }
        } finally {
            callers.shutdownNow();
        }
    }

    @Test
    void forkBombReturnsAndLeavesNothingBehind() throws Exception {
        String marker = "forkbomb-" + UUID.randomUUID();
        long start = System.nanoTime();
        // the script stays alive so the bomb rages until the timeout, when the whole tree must go
        SandboxResult r = run(SandboxRequest.builder("/usr/bin/bash", "-c", ":(){ :|:& };:; sleep 30", marker)
                .limits(limits().withTimeout(Duration.ofSeconds(3))));
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
        assertThat(r.timedOut()).isTrue();
        await().atMost(Duration.ofSeconds(5)).until(() -> !anyProcessWith(marker));
    }

    @Test
    void networkIsLoopbackOnlyUnlessAllowed() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 10, InetAddress.getByName("127.0.0.1"))) {
            CompletableFuture.runAsync(() -> {
                while (!server.isClosed()) {
                    try (Socket s = server.accept(); OutputStream os = s.getOutputStream()) {
                        os.write('Z');
                    } catch (IOException e) {
                        return;
                    }
                }
            });
            String client = "import socket\n"
                    + "s = socket.create_connection(('127.0.0.1', " + server.getLocalPort() + "), timeout=5)\n"
                    + "print('read', s.recv(1).decode())\n";
            SandboxResult isolated = run(py(client).limits(limits()));
            assertThat(isolated.success()).isFalse();
            assertThat(isolated.stderrText()).contains("ConnectionRefusedError");

            SandboxResult allowed = run(py(client).allowNetwork(true).limits(limits()));
            assertThat(allowed.success()).as(allowed.stderrText()).isTrue();
            assertThat(allowed.stdoutText()).isEqualTo("read Z\n");
        }
    }

    @Test
    void writesOnlyWhereGranted() throws Exception {
        Path dir = Files.createDirectory(scratch.resolve("grant-" + UUID.randomUUID()));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
        String write = "echo data > " + dir + "/out.txt";

        SandboxResult readOnly = run(sh(write).readOnly(dir).limits(limits()));
        assertThat(readOnly.success()).isFalse();
        assertThat(readOnly.stderrText()).contains("Read-only file system");
        assertThat(dir.resolve("out.txt")).doesNotExist();

        SandboxResult notGranted = run(sh(write).limits(limits()));
        assertThat(notGranted.success()).isFalse();
        assertThat(dir.resolve("out.txt")).doesNotExist();

        SandboxResult writable = run(sh(write).writable(dir).limits(limits()));
        assertThat(writable.success()).as(writable.stderrText()).isTrue();
        assertThat(dir.resolve("out.txt")).hasContent("data");

        SandboxResult usr = run(sh("touch /usr/toka-sandbox-probe").limits(limits()));
        assertThat(usr.success()).isFalse();
        assertThat(usr.stderrText()).contains("Read-only file system");
        assertThat(Path.of("/usr/toka-sandbox-probe")).doesNotExist();
    }

    @Test
    void secretsOfTheHostAreNotReadable() throws Exception {
        // precondition: the test itself (root) can read them, so a pass below means the sandbox hid them
        assumeTrue(Files.isReadable(Path.of("/etc/shadow")), "needs a host where the test can read /etc/shadow");
        assertThat(Files.readAllBytes(Path.of("/etc/shadow"))).isNotEmpty();
        assertThat(Files.list(Path.of("/root")).count()).isPositive();

        SandboxResult shadow = run(sh("cat /etc/shadow").limits(limits()));
        assertThat(shadow.success()).isFalse();
        assertThat(shadow.stdout()).isEmpty();
        SandboxResult root = run(sh("ls -A /root").limits(limits()));
        assertThat(root.success()).isFalse();
        assertThat(root.stdout()).isEmpty();
    }

    @Test
    void fileSizeLimitKillsWithSigxfszAndControlWritesTheFile() throws Exception {
        // dd, not Python: Python ignores SIGXFSZ and gets EFBIG instead
        SandboxRequest.Builder write = SandboxRequest.builder("/usr/bin/dd", "if=/dev/zero", "of=/work/big",
                "bs=5000", "count=1", "status=none");
        SandboxResult limited = run(write.limits(limits().withMaxFileBytes(1000)));
        assertThat(limited.exitCode()).isEqualTo(128 + 25);
        assertThat(limited.limitHit()).isEqualTo("file-size");

        SandboxResult control = run(write.limits(limits().withMaxFileBytes(1 << 20)));
        assertThat(control.success()).as(control.stderrText()).isTrue();
        assertThat(control.limitHit()).isNull();
    }

    @Test
    void outputIsCappedPerStreamAndFlaggedSeparately() throws Exception {
        SandboxLimits cap = limits().withMaxOutputBytes(1000);
        SandboxResult r = run(py("import sys\nsys.stdout.write('o' * 5_000_000)\nsys.stderr.write('e' * 10)\n")
                .limits(cap));
        assertThat(r.success()).isTrue();
        assertThat(r.stdout()).hasSize(1000);
        assertThat(r.stdoutTruncated()).isTrue();
        assertThat(r.stderrText()).isEqualTo("e".repeat(10));
        assertThat(r.stderrTruncated()).isFalse();

        r = run(py("import sys\nsys.stdout.write('o' * 10)\nsys.stderr.write('e' * 5000)\n").limits(cap));
        assertThat(r.stdoutText()).isEqualTo("o".repeat(10));
        assertThat(r.stdoutTruncated()).isFalse();
        assertThat(r.stderr()).hasSize(1000);
        assertThat(r.stderrTruncated()).isTrue();
    }

    // --------------------------------------------------------------------------------------- teardown

    @Test
    void aDaemonLeftBehindBySuccessfulScriptIsKilled() throws Exception {
        String marker = "daemon-" + UUID.randomUUID();
        SandboxResult r = run(sh("setsid /usr/bin/sh -c 'sleep 1000; :' " + marker
                + " >/dev/null 2>&1 </dev/null & echo started").limits(limits()));
        assertThat(r.success()).isTrue();
        assertThat(r.stdoutText()).isEqualTo("started\n");
        await().atMost(Duration.ofSeconds(3)).until(() -> !anyProcessWith(marker));
    }

    @Test
    void aDaemonOfATimedOutScriptIsKilled() throws Exception {
        String marker = "daemon-" + UUID.randomUUID();
        SandboxResult r = run(sh("setsid /usr/bin/sh -c 'sleep 1000; :' " + marker + " & sleep 60")
                .limits(limits().withTimeout(Duration.ofSeconds(1))));
        assertThat(r.timedOut()).isTrue();
        await().atMost(Duration.ofSeconds(3)).until(() -> !anyProcessWith(marker));
    }

    @Test
    void interruptingTheCallerKillsTheTreeAndThrows() throws Exception {
        String marker = "interrupt-" + UUID.randomUUID();
        CompletableFuture<SandboxResult> call = new CompletableFuture<>();
        Thread caller = new Thread(() -> {
            try {
                call.complete(run(sh("setsid /usr/bin/sh -c 'sleep 1000; :' " + marker + " & sleep 60")
                        .limits(limits())));
            } catch (Throwable t) {
                call.completeExceptionally(t);
            }
        });
        caller.start();
        await().atMost(Duration.ofSeconds(10)).until(() -> anyProcessWith(marker));
        caller.interrupt();
        assertThatThrownBy(() -> call.get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .hasCauseInstanceOf(InterruptedException.class);
        await().atMost(Duration.ofSeconds(3)).until(() -> !anyProcessWith(marker));
    }

    // --------------------------------------------------------------------------------------- degraded

    private static Settings withBwrap(Path bwrap, boolean required) {
        Settings d = Settings.defaults(workRoot, required);
        return new Settings(required, bwrap, d.prlimit(), d.setpriv(), d.cgroups(), d.dropPrivileges(), d.uid(),
                d.gid(), d.workRoot(), d.extraReadOnly());
    }

    @Test
    void withoutBubblewrapARequiredSandboxRefusesToRun() {
        SandboxLauncherImpl missing = new SandboxLauncherImpl(withBwrap(Path.of("/nonexistent/bwrap"), true));
        try {
            assertThat(missing.isolation().level()).isEqualTo(Isolation.Level.NONE);
            assertThat(missing.isolation().namespaces()).isFalse();
            assertThatThrownBy(() -> missing.run(SandboxRequest.builder("/usr/bin/true").build()))
                    .isInstanceOf(SandboxException.class)
                    .hasMessageStartingWith("sandbox unavailable: ")
                    .hasMessageContaining("/nonexistent/bwrap not found")
                    .hasMessageContaining("required=false");
        } finally {
            missing.close();
        }
    }

    @Test
    void withoutBubblewrapAnOptionalSandboxRunsDegradedUnderPrlimit() throws Exception {
        SandboxLauncherImpl degraded = new SandboxLauncherImpl(withBwrap(Path.of("/nonexistent/bwrap"), false));
        try {
            assertThat(degraded.isolation().level()).isEqualTo(Isolation.Level.DEGRADED);
            String marker = "degraded-" + UUID.randomUUID();
            SandboxResult r = degraded.run(sh("ulimit -n; cat in.txt; setsid /usr/bin/sh -c 'sleep 1000; :' "
                    + marker + " >/dev/null 2>&1 </dev/null &").file("in.txt", "x".getBytes(UTF_8))
                    .limits(limits().withMaxOpenFiles(77)).build());
            assertThat(r.isolation()).isEqualTo(Isolation.Level.DEGRADED);
            assertThat(r.success()).as(r.stderrText()).isTrue();
            assertThat(r.stdoutText()).isEqualTo("77\nx");
            if (!"none".equals(degraded.isolation().cgroup())) {
                // without a pid namespace only the cgroup finds a daemon that has left the process tree
                await().atMost(Duration.ofSeconds(3)).until(() -> !anyProcessWith(marker));
            }
            assertThatThrownBy(() -> degraded.run(SandboxRequest.builder("/usr/bin/true").env("LD_PRELOAD", "/x.so")
                    .build())).isInstanceOf(SandboxException.class).hasMessageContaining("LD_PRELOAD");
        } finally {
            degraded.close();
        }
    }

    @Test
    void aWorkRootTheRunAsUserCannotReachIsReplacedAndSaidSo() throws Exception {
        Path hidden = Files.createDirectories(scratch.resolve("private-" + UUID.randomUUID()).resolve("root"));
        Files.setPosixFilePermissions(hidden.getParent(), PosixFilePermissions.fromString("rwx------"));
        SandboxLauncherImpl other = SandboxLauncherImpl.withDefaults(hidden, true);
        try {
            SandboxRequirement.assumeNamespaces(other.isolation());
            if (other.switchesUser()) {
                assertThat(other.isolation().notes()).anySatisfy(n -> assertThat(n).contains(hidden.toString())
                        .contains("not reachable by uid 65534"));
            }
            SandboxResult r = other.run(SandboxRequest.builder("/usr/bin/cat", "f").file("f", "ok".getBytes(UTF_8))
                    .limits(limits()).build());
            assertThat(r.stdoutText()).isEqualTo("ok");
        } finally {
            other.close();
        }
    }

    @Test
    void withoutCgroupsPrlimitInsideTheSandboxStillBoundsProcessesMemoryAndFiles() throws Exception {
        Settings d = Settings.defaults(workRoot, true);
        SandboxLauncherImpl noCgroups = new SandboxLauncherImpl(new Settings(true, d.bwrap(), d.prlimit(),
                d.setpriv(), false, d.dropPrivileges(), d.uid(), d.gid(), d.workRoot(), d.extraReadOnly()));
        try {
            assertThat(noCgroups.isolation().level()).isEqualTo(Isolation.Level.NAMESPACES);
            assertThat(noCgroups.isolation().cgroup()).isEqualTo("none");
            assumeTrue(noCgroups.switchesUser(), "RLIMIT_NPROC does not apply to root");
            String spawn = "import subprocess\n"
                    + "ps = []\n"
                    + "for i in range(100):\n"
                    + "    try:\n"
                    + "        ps.append(subprocess.Popen(['/usr/bin/sleep', '30']))\n"
                    + "    except OSError:\n"
                    + "        pass\n"
                    + "print(len(ps))\n"
                    + "for p in ps:\n"
                    + "    p.kill()\n";
            SandboxResult procs = noCgroups.run(py(spawn).limits(limits().withMaxProcesses(16)).build());
            assertThat(Integer.parseInt(procs.stdoutText().trim())).isLessThan(16);
            SandboxResult mem = noCgroups.run(py("x = b'1' * (200 << 20)\nprint('allocated')")
                    .limits(limits().withMemoryBytes(64L << 20)).build());
            assertThat(mem.stderrText()).contains("MemoryError");
            assertThat(mem.peakMemoryBytes()).isEqualTo(-1);
            SandboxResult big = noCgroups.run(SandboxRequest.builder("/usr/bin/dd", "if=/dev/zero", "of=/work/big",
                    "bs=5000", "count=1", "status=none").limits(limits().withMaxFileBytes(1000)).build());
            assertThat(big.limitHit()).isEqualTo("file-size");
        } finally {
            noCgroups.close();
        }
    }

    @Test
    void aGrantedPathTheRunAsUserCannotReachIsALaunchFailure() throws Exception {
        assumeTrue(launcher.switchesUser(), "only an unprivileged run-as uid is kept out of root-only directories");
        Path closed = Files.createDirectory(scratch.resolve("closed-" + UUID.randomUUID()));
        Files.setPosixFilePermissions(closed, PosixFilePermissions.fromString("rwx------"));
        Path inside = Files.createDirectory(closed.resolve("data"));
        assertThatThrownBy(() -> run(SandboxRequest.builder("/usr/bin/true").readOnly(inside).limits(limits())))
                .isInstanceOf(SandboxException.class).hasMessageContaining("sandbox launch failed: bwrap: ")
                .hasMessageContaining(inside.toString()).hasMessageContaining("accessible to it");
    }

    @Test
    void aStoppedLauncherRefusesToRun() {
        SandboxLauncherImpl stopped = SandboxLauncherImpl.withDefaults(workRoot, true);
        stopped.close();
        stopped.close();
        assertThatThrownBy(() -> stopped.run(SandboxRequest.builder("/usr/bin/true").build()))
                .isInstanceOf(SandboxException.class).hasMessageContaining("stopped");
    }

    @Test
    void grantedPathsMustExist() {
        assertThatThrownBy(() -> run(SandboxRequest.builder("/usr/bin/true").readOnly(Path.of("/no/such/dir"))))
                .isInstanceOf(SandboxException.class).hasMessageContaining("/no/such/dir");
    }

    @Test
    void environmentValuesDoNotAppearOnCommandLines() throws Exception {
        String secret = "secret-" + UUID.randomUUID();
        CompletableFuture<SandboxResult> call = CompletableFuture.supplyAsync(() -> {
            try {
                return run(SandboxRequest.builder("/usr/bin/sleep", "2").env("TOKEN", secret).limits(limits()));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        await().atMost(Duration.ofSeconds(5)).until(() -> anyProcessWith("/usr/bin/sleep\u00002"));
        assertThat(anyProcessWith(secret)).isFalse();
        assertThat(call.get(10, TimeUnit.SECONDS).success()).isTrue();
    }
}
