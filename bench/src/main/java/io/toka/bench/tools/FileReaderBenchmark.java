package io.toka.bench.tools;

import io.toka.bench.RegistryDispatchBenchmark;
import io.toka.runtime.internal.registry.ToolRegistryImpl;
import io.toka.runtime.registry.ToolCallResult;
import io.toka.security.SecurityContext;
import io.toka.security.TokenService;
import io.toka.security.internal.BenchTokenAuthority;
import io.toka.tool.Tool;
import io.toka.tool.ToolInvocation;
import io.toka.tool.ToolResult;
import io.toka.tools.nativ.internal.BenchFileTools;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
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
 * The real {@code file-reader} on a 4 KiB file: called directly (the baseline), and through the registry inside an
 * embedded Felix framework with a real capability token's security context, so that JSON Schema validation, the
 * Shiro permission checks ({@code tool:invoke:file-reader}, {@code filesystem:read}), the deadline and the hand-off
 * are all included.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class FileReaderBenchmark {

    private Path dir;
    private Framework framework;
    private ToolRegistryImpl registry;
    private Tool tool;
    private SecurityContext caller;
    private TokenService tokens;
    private String token;
    private final Map<String, Object> arguments = Map.of("path", "4k.txt");

    @Setup(Level.Trial)
    public void start() throws Exception {
        dir = Files.createTempDirectory("toka-bench-file-reader");
        Path workspace = Files.createDirectories(dir.resolve("workspace"));
        char[] text = new char[4096];
        Arrays.fill(text, 'x');
        Files.writeString(workspace.resolve("4k.txt"), new String(text));
        framework = new FrameworkFactory().newFramework(Map.of(
                Constants.FRAMEWORK_STORAGE, dir.resolve("felix").toString(),
                Constants.FRAMEWORK_STORAGE_CLEAN, Constants.FRAMEWORK_STORAGE_CLEAN_ONFIRSTINIT));
        framework.start();
        tool = BenchFileTools.fileReader(workspace);
        Hashtable<String, Object> props = new Hashtable<>();
        props.put(Tool.NAME, "file-reader");
        framework.getBundleContext().registerService(Tool.class, tool, props);
        registry = new ToolRegistryImpl(framework.getBundleContext(), new RegistryDispatchBenchmark.DefaultConfig());
        BenchTokenAuthority authority = new BenchTokenAuthority(Files.createDirectories(dir.resolve("keys")));
        tokens = authority.service();
        token = authority.issue("bench-agent", Duration.ofHours(1), "tool:invoke:file-reader", "filesystem:read");
        caller = tokens.authenticate(token);
        ToolCallResult check = registry.invoke("file-reader", arguments, caller);
        if (!check.isSuccess() || check.result().output().length() != 4096) {
            throw new IllegalStateException("file-reader through the registry failed: " + check.result());
        }
    }

    @TearDown(Level.Trial)
    public void stop() throws Exception {
        framework.stop();
        framework.waitForStop(10_000);
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a temp directory
        }
    }

    @Benchmark
    public ToolResult direct() throws Exception {
        return tool.invoke(new ToolInvocation(arguments, "bench", Instant.now().plusSeconds(10)));
    }

    @Benchmark
    public ToolCallResult registry() throws Exception {
        return registry.invoke("file-reader", arguments, caller);
    }

    /** As an HTTP request does it: verify the token (cached after the first time), then call. */
    @Benchmark
    public ToolCallResult authenticateAndRegistry() throws Exception {
        return registry.invoke("file-reader", arguments, tokens.authenticate(token));
    }
}
