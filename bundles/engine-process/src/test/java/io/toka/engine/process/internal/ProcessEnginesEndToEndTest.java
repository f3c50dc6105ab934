package io.toka.engine.process.internal;

import io.toka.sandbox.testing.SandboxRequirement;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.toka.runtime.execution.ExecutionEngine;
import io.toka.runtime.execution.ExecutionLimits;
import io.toka.runtime.execution.ExecutionModel;
import io.toka.runtime.execution.ExecutionRequest;
import io.toka.runtime.execution.ExecutionResult;
import io.toka.runtime.execution.RuntimeManager.EngineInfo;
import io.toka.runtime.internal.execution.RuntimeManagerImpl;
import io.toka.runtime.registry.ToolRegistry;
import io.toka.sandbox.internal.SandboxLauncherImpl;
import io.toka.security.AccessDeniedException;
import io.toka.security.SecurityContext;
import io.toka.security.TokenClaims;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.Hashtable;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.apache.felix.framework.FrameworkFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.Constants;
import org.osgi.framework.launch.Framework;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The whole path: the real runtime manager finds the real engines as services in an embedded Felix, checks the
 * language permission, and the code runs in the real sandbox.
 */
class ProcessEnginesEndToEndTest {

    private static final Logger LOG = LoggerFactory.getLogger(ProcessEnginesEndToEndTest.class);

    @TempDir
    Path felixDir;

    private Path workRoot;
    private Framework framework;
    private SandboxLauncherImpl launcher;
    private RuntimeManagerImpl manager;

    /** A caller holding exactly the given permissions. */
    private record Caller(String subject, String... grants) implements SecurityContext {
        @Override
        public void checkLive() {
            // no token, nothing to lose
        }

        @Override
        public Optional<TokenClaims> token() {
            return Optional.empty();
        }

        @Override
        public boolean isPermitted(String permission) {
            return Arrays.asList(grants).contains(permission);
        }

        @Override
        public void authorize(String action, Collection<String> permissions) {
            for (String p : permissions) {
                if (!isPermitted(p)) {
                    throw new AccessDeniedException(p, "permission '" + p + "' is required for " + action);
                }
            }
        }
    }

    private static final Caller CALLER = new Caller("alice", "code:execute:python", "code:execute:shell");

    @BeforeEach
    void setUp() throws Exception {
        workRoot = Files.createTempDirectory("toka-engine-e2e-");
        launcher = SandboxLauncherImpl.withDefaults(workRoot, true);
        SandboxRequirement.assumeNamespaces(launcher.isolation());
        framework = new FrameworkFactory().newFramework(Map.of(
                Constants.FRAMEWORK_STORAGE, felixDir.resolve("felix-cache").toString(),
                Constants.FRAMEWORK_STORAGE_CLEAN, Constants.FRAMEWORK_STORAGE_CLEAN_ONFIRSTINIT));
        framework.init();
        framework.start();
        var ctx = framework.getBundleContext();
        ctx.registerService(ExecutionEngine.class, new PythonEngine(launcher, ProcessEnginesTest.config(false)),
                new Hashtable<>(Map.of(ExecutionEngine.LANGUAGE, "python")));
        ctx.registerService(ExecutionEngine.class, new ShellEngine(launcher, ProcessEnginesTest.config(false)),
                new Hashtable<>(Map.of(ExecutionEngine.LANGUAGE, "shell")));
        manager = new RuntimeManagerImpl(ctx, defaults(RuntimeManagerImpl.Config.class), noTools());
    }

    @AfterEach
    void tearDown() throws Exception {
        if (framework != null) {
            framework.stop();
            framework.waitForStop(10_000);
        }
        if (launcher != null) {
            launcher.close();
        }
        try (Stream<Path> s = Files.walk(workRoot)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    /** A configuration annotation answering every attribute with its default. */
    @SuppressWarnings("unchecked")
    private static <A> A defaults(Class<A> type) {
        return (A) Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, (proxy, method, args) ->
                method.getName().equals("annotationType") ? type : method.getDefaultValue());
    }

    private static ToolRegistry noTools() {
        return (ToolRegistry) Proxy.newProxyInstance(ToolRegistry.class.getClassLoader(),
                new Class<?>[] {ToolRegistry.class}, (proxy, method, args) -> {
                    throw new AssertionError("no tool should be called");
                });
    }

    private ExecutionResult run(String language, String code, Map<String, Object> inputs, SecurityContext caller)
            throws Exception {
        return manager.execute(new ExecutionRequest(new ExecutionModel.DynamicCode(language, code, inputs), caller,
                new ExecutionLimits(Duration.ofSeconds(10), 0, 0)));
    }

    @Test
    void pythonAndShellRunThroughTheManager() throws Exception {
        ExecutionResult py = run("python", "import json,sys; d=json.load(sys.stdin); print(d['x']*2)",
                Map.of("x", 21), CALLER);
        assertThat(py.success()).as(py.error()).isTrue();
        assertThat(py.output()).isEqualTo("42\n");
        assertThat(py.engine()).isEqualTo("python");
        assertThat(py.engineVersion()).startsWith("Python 3.");
        assertThat(py.exitCode()).isZero();

        ExecutionResult sh = run("shell", "read -r x; echo \"$x\" | wc -c", Map.of("k", "v"), CALLER);
        assertThat(sh.output()).as(sh.error()).isEqualTo("10\n");
        assertThat(sh.engineVersion()).startsWith("bash ");

        ExecutionResult syntax = run("python", "def f(:\n    pass\n", Map.of(), CALLER);
        assertThat(syntax.success()).isFalse();
        assertThat(syntax.error()).startsWith("SyntaxError: ").endsWith("(line 1)");

        assertThat(manager.engines()).extracting(EngineInfo::language).containsExactly("python", "shell");
        assertThat(manager.history(10)).hasSize(3);
    }

    @Test
    void eachLanguageNeedsItsOwnPermission() {
        Caller shellOnly = new Caller("bob", "code:execute:shell");
        assertThatThrownBy(() -> run("python", "print(1)", Map.of(), shellOnly))
                .isInstanceOf(AccessDeniedException.class).hasMessageContaining("code:execute:python");
    }

    @Test
    void measuresTheCostOfAnExecution() throws Exception {
        run("python", "pass", Map.of(), CALLER); // version probe and warm-up
        run("shell", "true", Map.of(), CALLER);
        int n = 20;
        long[] py = new long[n];
        long[] sh = new long[n];
        for (int i = 0; i < n; i++) {
            long t0 = System.nanoTime();
            assertThat(run("python", "print(" + i + ")", Map.of(), CALLER).output()).isEqualTo(i + "\n");
            py[i] = System.nanoTime() - t0;
            t0 = System.nanoTime();
            assertThat(run("shell", "echo " + i, Map.of(), CALLER).output()).isEqualTo(i + "\n");
            sh[i] = System.nanoTime() - t0;
        }
        Arrays.sort(py);
        Arrays.sort(sh);
        LOG.info("End-to-end latency over {} runs: python median {} ms (max {} ms), shell median {} ms (max {} ms)",
                n, py[n / 2] / 1_000_000.0, py[n - 1] / 1_000_000.0, sh[n / 2] / 1_000_000.0, sh[n - 1] / 1_000_000.0);
        assertThat(Duration.ofNanos(py[n / 2])).isLessThan(Duration.ofSeconds(2));
    }
}
