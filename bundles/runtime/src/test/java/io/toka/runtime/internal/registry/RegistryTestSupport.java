package io.toka.runtime.internal.registry;

import io.toka.runtime.registry.ToolCallResult;
import io.toka.tool.Tool;
import java.lang.annotation.Annotation;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceRegistration;

/**
 * Shared set-up for registry tests: a real Felix framework per test, a registry built with {@code new} on the
 * system bundle's context, and a thread pool for concurrent callers. Everything is torn down after each test.
 */
abstract class RegistryTestSupport {

    static final String CALLER = "test-caller";
    static final TestCaller CALLER_CONTEXT = TestCaller.all(CALLER);

    @TempDir
    Path tempDir;

    OsgiFramework osgi;
    ToolRegistryImpl registry;
    final ExecutorService callers = Executors.newCachedThreadPool();

    @BeforeEach
    void startFramework() throws Exception {
        osgi = OsgiFramework.start(tempDir);
    }

    @AfterEach
    void stopEverything() throws Exception {
        callers.shutdownNow();
        if (registry != null) {
            registry.deactivate();
        }
        osgi.close();
        callers.awaitTermination(5, TimeUnit.SECONDS);
    }

    /** Starts the registry with the defaults, except that a vanished tool is unknown at once. */
    ToolRegistryImpl startRegistry() {
        return startRegistry(config(64, 256, 0));
    }

    ToolRegistryImpl startRegistry(ToolRegistryImpl.Config config) {
        registry = new ToolRegistryImpl(osgi.context(), config);
        return registry;
    }

    ServiceRegistration<Tool> register(Object name, Tool tool, Object... extra) {
        return osgi.register(name, tool, extra);
    }

    /** Registers a tool under its descriptor's name. */
    ServiceRegistration<Tool> registerTool(TestTool tool, Object... extra) {
        return osgi.register(tool.descriptor().name(), tool, extra);
    }

    ToolCallResult call(String name, Map<String, Object> arguments) throws Exception {
        return registry.invoke(name, arguments, CALLER_CONTEXT);
    }

    Future<ToolCallResult> callAsync(String name, Map<String, Object> arguments) {
        return inBackground(() -> registry.invoke(name, arguments, CALLER_CONTEXT));
    }

    <T> Future<T> inBackground(Callable<T> task) {
        return callers.submit(task);
    }

    static long serviceId(ServiceRegistration<?> registration) {
        return (Long) registration.getReference().getProperty(Constants.SERVICE_ID);
    }

    /** A fake of the registry's configuration annotation. */
    static ToolRegistryImpl.Config config(int maxConcurrentCallsPerTool, int maxThreads, long swapWaitMillis) {
        return new ToolRegistryImpl.Config() {
            @Override
            public Class<? extends Annotation> annotationType() {
                return ToolRegistryImpl.Config.class;
            }

            @Override
            public int maxConcurrentCallsPerTool() {
                return maxConcurrentCallsPerTool;
            }

            @Override
            public int maxThreads() {
                return maxThreads;
            }

            @Override
            public long swapWaitMillis() {
                return swapWaitMillis;
            }
        };
    }
}
