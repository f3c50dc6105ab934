package io.toka.runtime.internal.execution;

import io.toka.runtime.internal.registry.TestCaller;
import io.toka.runtime.execution.ExecutionEngine;
import io.toka.runtime.execution.ExecutionLimits;
import io.toka.runtime.execution.ExecutionModel;
import io.toka.runtime.execution.ExecutionRequest;
import io.toka.runtime.execution.ExecutionResult;
import io.toka.runtime.registry.RegisteredTool;
import io.toka.runtime.registry.ToolCallResult;
import io.toka.runtime.registry.ToolRegistry;
import io.toka.security.SecurityContext;
import java.nio.file.Path;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.felix.framework.FrameworkFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceRegistration;
import org.osgi.framework.launch.Framework;

/**
 * A real Felix framework per test, in which engines are registered as services, and a manager built with
 * {@code new} on the system bundle's context. Everything is torn down after each test.
 */
abstract class ExecutionTestSupport {

    static final TestCaller ANYONE = new TestCaller("alice", "*");

    @TempDir
    Path tempDir;

    Framework framework;
    RuntimeManagerImpl manager;
    final ExecutorService callers = Executors.newCachedThreadPool();

    @BeforeEach
    void startFramework() throws Exception {
        framework = new FrameworkFactory().newFramework(Map.of(
                Constants.FRAMEWORK_STORAGE, tempDir.resolve("felix-cache").toString(),
                Constants.FRAMEWORK_STORAGE_CLEAN, Constants.FRAMEWORK_STORAGE_CLEAN_ONFIRSTINIT));
        framework.init();
        framework.start();
    }

    @AfterEach
    void stopEverything() throws Exception {
        callers.shutdownNow();
        if (manager != null) {
            manager.deactivate();
        }
        framework.stop();
        framework.waitForStop(10_000);
        callers.awaitTermination(5, TimeUnit.SECONDS);
    }

    RuntimeManagerImpl start(TestConfig config) {
        return start(config, NO_TOOLS);
    }

    RuntimeManagerImpl start(TestConfig config, ToolRegistry tools) {
        manager = new RuntimeManagerImpl(framework.getBundleContext(), config, tools);
        return manager;
    }

    ServiceRegistration<ExecutionEngine> register(TestEngine engine, Object... extra) {
        Hashtable<String, Object> props = new Hashtable<>();
        props.put(ExecutionEngine.LANGUAGE, engine.language);
        for (int i = 0; i < extra.length; i += 2) {
            props.put((String) extra[i], extra[i + 1]);
        }
        return framework.getBundleContext().registerService(ExecutionEngine.class, engine, props);
    }

    ExecutionResult code(String language, String code) throws Exception {
        return code(language, code, Map.of(), ExecutionLimits.DEFAULT, ANYONE);
    }

    ExecutionResult code(String language, String code, Map<String, Object> inputs, ExecutionLimits limits,
            SecurityContext caller) throws Exception {
        return manager.execute(new ExecutionRequest(new ExecutionModel.DynamicCode(language, code, inputs), caller,
                limits));
    }

    <T> Future<T> inBackground(Callable<T> task) {
        return callers.submit(task);
    }

    /** For tests that call no tools. */
    static final ToolRegistry NO_TOOLS = new ToolRegistry() {
        @Override
        public List<String> names() {
            return List.of();
        }

        @Override
        public List<RegisteredTool> list() {
            return List.of();
        }

        @Override
        public Optional<RegisteredTool> find(String name) {
            return Optional.empty();
        }

        @Override
        public ToolCallResult invoke(String name, Map<String, Object> arguments, SecurityContext caller) {
            throw new AssertionError("no tool should be called");
        }

        @Override
        public ToolCallResult invoke(String name, Map<String, Object> arguments, SecurityContext caller,
                io.toka.runtime.registry.CallOptions options) {
            throw new AssertionError("no tool should be called");
        }
    };
}
