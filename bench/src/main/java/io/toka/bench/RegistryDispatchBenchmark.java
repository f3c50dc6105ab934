package io.toka.bench;

import io.toka.runtime.internal.registry.ToolRegistryImpl;
import io.toka.runtime.registry.ToolCallResult;
import io.toka.tool.Tool;
import io.toka.tool.ToolDescriptor;
import io.toka.tool.ToolInvocation;
import io.toka.tool.ToolResult;
import java.io.IOException;
import java.lang.annotation.Annotation;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.Hashtable;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.felix.framework.FrameworkFactory;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.osgi.framework.Constants;
import org.osgi.framework.launch.Framework;

/**
 * A no-op tool called directly (the baseline) and through the registry (service lookup, JSON Schema validation,
 * concurrency permit, deadline and the hand-off to a registry thread), inside a real embedded Felix framework.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class RegistryDispatchBenchmark {

    /** A caller holding every permission; authorization itself is measured by TokenVerificationBenchmark. */
    static final io.toka.security.SecurityContext CALLER = new io.toka.security.SecurityContext() {
        @Override
        public String subject() {
            return "bench";
        }

        @Override
        public java.util.Optional<io.toka.security.TokenClaims> token() {
            return java.util.Optional.empty();
        }

        @Override
        public void checkLive() {
        }

        @Override
        public boolean isPermitted(String permission) {
            return true;
        }

        @Override
        public void authorize(String action, java.util.Collection<String> permissions) {
        }
    };


    static final String SCHEMA = """
            {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object",
             "properties": {"name": {"type": "string", "maxLength": 100}}, "required": ["name"],
             "additionalProperties": false}""";

    private Path storage;
    private Framework framework;
    private ToolRegistryImpl registry;
    private Tool tool;
    private final Map<String, Object> arguments = Map.of("name", "bench");

    /** A tool that does nothing. */
    static final class NoopTool implements Tool {
        private final ToolDescriptor descriptor = ToolDescriptor.builder("noop").version("1.0.0")
                .inputSchema(SCHEMA).timeout(Duration.ofSeconds(5)).build();

        @Override
        public ToolDescriptor descriptor() {
            return descriptor;
        }

        @Override
        public ToolResult invoke(ToolInvocation invocation) {
            return ToolResult.success("ok");
        }
    }

    @Setup(Level.Trial)
    public void start() throws Exception {
        storage = Files.createTempDirectory("toka-bench-felix");
        framework = new FrameworkFactory().newFramework(Map.of(
                Constants.FRAMEWORK_STORAGE, storage.toString(),
                Constants.FRAMEWORK_STORAGE_CLEAN, Constants.FRAMEWORK_STORAGE_CLEAN_ONFIRSTINIT));
        framework.start();
        tool = new NoopTool();
        Hashtable<String, Object> props = new Hashtable<>();
        props.put(Tool.NAME, "noop");
        framework.getBundleContext().registerService(Tool.class, tool, props);
        registry = new ToolRegistryImpl(framework.getBundleContext(), new DefaultConfig());
    }

    @TearDown(Level.Trial)
    public void stop() throws Exception {
        framework.stop();
        framework.waitForStop(10_000);
        try (Stream<Path> files = Files.walk(storage)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a temp directory
        }
    }

    @Benchmark
    public ToolResult direct() throws Exception {
        return tool.invoke(new ToolInvocation(arguments, "bench", Instant.now().plusSeconds(5)));
    }

    @Benchmark
    public ToolCallResult registry() throws Exception {
        return registry.invoke("noop", arguments, CALLER);
    }

    /** The registry's defaults, as ConfigAdmin would give them. */
    public static final class DefaultConfig implements ToolRegistryImpl.Config {
        @Override
        public Class<? extends Annotation> annotationType() {
            return ToolRegistryImpl.Config.class;
        }

        @Override
        public int maxConcurrentCallsPerTool() {
            return 64;
        }

        @Override
        public int maxThreads() {
            return 256;
        }

        @Override
        public long swapWaitMillis() {
            return 2000;
        }
    }
}
