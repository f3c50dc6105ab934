package io.toka.engine.process.internal;

import io.toka.sandbox.testing.SandboxRequirement;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.toka.runtime.execution.ExecutionEngine;
import io.toka.runtime.execution.ExecutionEngine.Call;
import io.toka.runtime.execution.ExecutionEngine.CodeException;
import io.toka.runtime.execution.ExecutionEngine.EngineResult;
import io.toka.sandbox.internal.SandboxLauncherImpl;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.annotation.Annotation;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The shell and python engines on the real sandbox launcher: real bubblewrap, real interpreters. Each hostile test
 * has a control that lifts its limit and shows the behaviour change, so it fails if the limit is not enforced.
 */
class ProcessEnginesTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(20);

    private static Path workRoot;
    private static SandboxLauncherImpl launcher;
    private static PythonEngine python;
    private static ShellEngine shell;

    @BeforeAll
    static void setUp() throws IOException {
        // not a JUnit @TempDir, as in the sandbox's own tests: the launcher needs a work root it can hand over
        workRoot = Files.createTempDirectory("toka-engine-process-test-");
        launcher = SandboxLauncherImpl.withDefaults(workRoot, true);
        python = new PythonEngine(launcher, config(false));
        shell = new ShellEngine(launcher, config(false));
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
        if (workRoot != null && Files.exists(workRoot)) {
            try (Stream<Path> s = Files.walk(workRoot)) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    static ProcessConfig config(boolean allowNetwork) {
        return config("/usr/bin/python3", allowNetwork);
    }

    static ProcessConfig config(String pythonPath, boolean allowNetwork) {
        return new ProcessConfig() {
            @Override
            public Class<? extends Annotation> annotationType() {
                return ProcessConfig.class;
            }

            @Override
            public String bashPath() {
                return "/bin/bash";
            }

            @Override
            public String pythonPath() {
                return pythonPath;
            }

            @Override
            public boolean allowNetwork() {
                return allowNetwork;
            }

            @Override
            public int maxProcesses() {
                return 64;
            }
        };
    }

    private static EngineResult run(ExecutionEngine engine, String code, Map<String, Object> inputs, Duration timeout,
            long memoryBytes) throws Exception {
        Call call = new Call(inputs, timeout, Instant.now().plus(timeout), memoryBytes, 1 << 20, workRoot);
        return engine.run(engine.prepare(code), call);
    }

    private static EngineResult run(ExecutionEngine engine, String code, Map<String, Object> inputs) throws Exception {
        return run(engine, code, inputs, TIMEOUT, 256L << 20);
    }

    // ------------------------------------------------------------------------------------------- python

    @Test
    void pythonRunsCodeAndReportsVersionAndUsage() throws Exception {
        EngineResult r = run(python, "print(1+1)", Map.of());
        assertThat(r.success()).as(r.error()).isTrue();
        assertThat(r.output()).isEqualTo("2\n");
        assertThat(r.error()).isNull();
        assertThat(r.exitCode()).isZero();
        if (!"none".equals(launcher.isolation().cgroup())) {
            assertThat(r.usage().peakMemoryBytes()).isPositive();
        }
        assertThat(python.language()).isEqualTo("python");
        assertThat(python.version()).matches("Python 3\\.\\d+\\.\\d+.*");
    }

    @Test
    void pythonReadsItsInputsAsJsonOnStdin() throws Exception {
        EngineResult r = run(python, "import json,sys; d=json.load(sys.stdin); print(d['x']*2, d['name'])",
                Map.of("x", 21, "name", "ünï"));
        assertThat(r.output()).as(r.error()).isEqualTo("42 ünï\n");
    }

    @Test
    void pythonSyntaxErrorGivesPythonsMessageAndLine() throws Exception {
        assertThatThrownBy(() -> run(python, "print('a'\n", Map.of()))
                .isInstanceOfSatisfying(CodeException.class, e -> {
                    assertThat(e.getMessage()).startsWith("SyntaxError: ");
                    assertThat(e.line()).isEqualTo(1);
                });
        assertThatThrownBy(() -> run(python, "x = 1\nif x:\nprint(x)\n", Map.of()))
                .isInstanceOfSatisfying(CodeException.class, e -> {
                    assertThat(e.getMessage()).startsWith("IndentationError: ");
                    assertThat(e.line()).isEqualTo(3);
                });
    }

    @Test
    void pythonRuntimeErrorIsAFailedResultWithTheTraceback() throws Exception {
        EngineResult r = run(python, "print('before')\nraise ValueError('bad value')\n", Map.of());
        assertThat(r.success()).isFalse();
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.output()).isEqualTo("before\n");
        assertThat(r.error()).contains("line 2").contains("ValueError: bad value");
    }

    @Test
    void exitCodesPropagate() throws Exception {
        EngineResult r = run(python, "import sys; print('x'); sys.exit(3)", Map.of());
        assertThat(r.success()).isFalse();
        assertThat(r.exitCode()).isEqualTo(3);
        assertThat(r.error()).isEqualTo("exited with code 3");

        EngineResult sh = run(shell, "echo out; echo err >&2; exit 7", Map.of());
        assertThat(sh.success()).isFalse();
        assertThat(sh.exitCode()).isEqualTo(7);
        assertThat(sh.output()).isEqualTo("out\n");
        assertThat(sh.error()).isEqualTo("err");
    }

    @Test
    void emptyCodeIsRefusedByPrepare() {
        assertThatThrownBy(() -> python.prepare("  \n")).isInstanceOf(CodeException.class)
                .hasMessage("the python code is empty");
    }

    // ------------------------------------------------------------------------------------------- shell

    @Test
    void shellRunsAScriptWithItsInputsOnStdin() throws Exception {
        EngineResult r = run(shell, "read -r line; echo \"got $line\"; echo \"bash ${BASH_VERSINFO[0]}\"",
                Map.of("x", 1));
        assertThat(r.success()).as(r.error()).isTrue();
        assertThat(r.output()).startsWith("got {\"x\":1}\nbash ");

        EngineResult cat = run(shell, "cat", Map.of("list", List.of(1, 2)));
        assertThat(cat.output()).isEqualTo("{\"list\":[1,2]}");
        assertThat(shell.version()).startsWith("bash ");
    }

    @Test
    void shellSyntaxErrorNamesTheLine() throws Exception {
        EngineResult r = run(shell, "echo ok\nif then fi\n", Map.of());
        assertThat(r.success()).isFalse();
        assertThat(r.error()).contains("line 2").contains("syntax error");
    }

    // ------------------------------------------------------------------------------------------- hostile

    @Test
    void infiniteLoopIsStoppedAtTheTimeout() throws Exception {
        long start = System.nanoTime();
        EngineResult r = run(python, "while True: pass", Map.of(), Duration.ofSeconds(1), 256L << 20);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(6));
        assertThat(r.success()).isFalse();
        assertThat(r.error()).isEqualTo("timed out after 1 s");
        assertThat(r.exitCode()).isNull();

        EngineResult sh = run(shell, "while :; do :; done", Map.of(), Duration.ofSeconds(1), 256L << 20);
        assertThat(sh.error()).isEqualTo("timed out after 1 s");

        // control: a loop that ends within the timeout succeeds
        EngineResult control = run(python, "n = 0\nwhile n < 1000: n += 1\nprint(n)", Map.of(),
                Duration.ofSeconds(1), 256L << 20);
        assertThat(control.output()).as(control.error()).isEqualTo("1000\n");
    }

    @Test
    void memoryBombIsStoppedAtTheMemoryLimit() throws Exception {
        String bomb = "chunks = []\n"
                + "for i in range(N):\n"
                + "    chunks.append(b'\\x01' * (1 << 20))\n"
                + "print('allocated', len(chunks), 'MiB')\n";
        EngineResult killed = run(python, bomb.replace("N", "1024"), Map.of(), TIMEOUT, 64L << 20);
        assertThat(killed.success()).isFalse();
        assertThat(killed.output()).doesNotContain("allocated");
        if ("none".equals(launcher.isolation().cgroup())) {
            assertThat(killed.error()).contains("MemoryError");
        } else {
            assertThat(killed.error()).startsWith("killed: memory limit of 64 MiB");
            assertThat(killed.usage().peakMemoryBytes()).isLessThanOrEqualTo(64L << 20);
        }

        EngineResult control = run(python, bomb.replace("N", "20"), Map.of(), TIMEOUT, 64L << 20);
        assertThat(control.success()).as(control.error()).isTrue();
        assertThat(control.output()).isEqualTo("allocated 20 MiB\n");
    }

    @Test
    void networkIsOffUnlessConfigured() throws Exception {
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
            EngineResult isolated = run(python, client, Map.of());
            assertThat(isolated.success()).isFalse();
            assertThat(isolated.error()).contains("ConnectionRefusedError");

            EngineResult allowed = run(new PythonEngine(launcher, config(true)), client, Map.of());
            assertThat(allowed.success()).as(allowed.error()).isTrue();
            assertThat(allowed.output()).isEqualTo("read Z\n");
        }
    }

    @Test
    void interruptionKillsTheRunAndPropagates() throws Exception {
        String marker = "toka-interrupt-" + UUID.randomUUID();
        CompletableFuture<Throwable> outcome = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                run(shell, "exec -a " + marker + " /usr/bin/sleep 60", Map.of());
                outcome.complete(null);
            } catch (Throwable e) {
                outcome.complete(e);
            }
        });
        t.start();
        await().atMost(Duration.ofSeconds(10)).until(() -> anyProcessWith(marker));
        t.interrupt();
        assertThat(outcome.get(10, TimeUnit.SECONDS)).isInstanceOf(InterruptedException.class);
        await().atMost(Duration.ofSeconds(5)).until(() -> !anyProcessWith(marker));
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

    @Test
    void badConfigurationIsRejected() {
        assertThatThrownBy(() -> new PythonEngine(launcher, config("python3", false)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("absolute path").hasMessageContaining("'python3'");
    }
}
