package io.toka.itest;

import static org.awaitility.Awaitility.await;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import io.toka.runtime.registry.ToolCallResult;
import io.toka.runtime.registry.ToolRegistry;
import io.toka.runtime.registry.UnknownToolException;
import io.toka.security.SecurityContext;
import io.toka.security.ShellSecurity;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarInputStream;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import javax.inject.Inject;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;

/**
 * Tool bundles dropped into deploy/: callable within 1 s, swapped under load (in-process and over MCP) with no failed
 * call, removed within 1 s.
 * Uses the examples/hello-tool jar, whose output names its Bundle-Version; new versions are made by rewriting the
 * manifest.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class HotDeployIT extends TestSupport {

    @Inject
    ShellSecurity security;

    /** An itest caller with every permission (the admin role). */
    private SecurityContext caller() {
        return security.forRoles("itest", List.of("admin"));
    }

    @Inject
    ToolRegistry registry;

    @Test
    public void dropSwapUnderLoadAndRemove() throws Exception {
        Path deploy = Path.of(System.getProperty("karaf.base"), "deploy");
        Path work = Files.createTempDirectory(Path.of(System.getProperty("karaf.data")), "hot-deploy");
        Path original = Path.of(System.getProperty("toka.hello.jar"));
        Path target = deploy.resolve("hello-tool.jar");

        // 1. drop: callable within 1 s
        long t0 = System.nanoTime();
        drop(original, target, work);
        await().atMost(Duration.ofSeconds(1)).pollInterval(Duration.ofMillis(10)).ignoreExceptions()
                .until(() -> registry.invoke("hello", Map.of("name", "Ada"), caller()).isSuccess());
        System.out.printf("hello-tool callable %d ms after the drop%n", (System.nanoTime() - t0) / 1_000_000);
        assertEquals("Hello, Ada! (hello 1.0.0)", registry.invoke("hello", Map.of("name", "Ada"), caller()).result().output());

        // 2. swap three times while 4 threads call continuously: no failed call, and each new version answers
        Load load = new Load("hot-deploy-caller", () -> {
            ToolCallResult r = call();
            if (!r.isSuccess()) {
                throw new IllegalStateException(r.status() + ": " + r.result().output());
            }
            return r.result().output();
        });
        AtomicLong calls = load.calls;
        ConcurrentLinkedQueue<String> failures = load.failures;
        Set<String> seen = load.seen;
        try {
            for (String version : List.of("1.0.1", "1.0.2", "1.0.3")) {
                long before = calls.get();
                await().atMost(Duration.ofSeconds(5)).until(() -> calls.get() > before + 100);
                long swapStart = System.nanoTime();
                drop(withVersion(original, version, work), target, work);
                String expected = "Hello, x! (hello " + version + ")";
                await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(5)).until(() -> seen.contains(expected));
                System.out.printf("swap to %s answered after %d ms%n", version, (System.nanoTime() - swapStart) / 1_000_000);
            }
            // 3. a same-version redeploy cannot sit side by side: it is updated in place, and the registry holds calls
            long before = calls.get();
            Path same = withVersion(original, "1.0.3", work);
            Files.setLastModifiedTime(same, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() + 2000));
            drop(same, target, work);
            await().atMost(Duration.ofSeconds(5)).until(() -> calls.get() > before + 1000);
        } finally {
            load.stop();
        }
        System.out.printf("%d calls during 3 swaps and 1 in-place redeploy, %d failed%n", calls.get(), failures.size());
        assertEquals("failed calls: " + failures.stream().limit(5).toList(), 0, failures.size());
        assertTrue(seen.contains("Hello, x! (hello 1.0.0)"));

        // only one hello-tool bundle is left
        long helloBundles = java.util.Arrays.stream(bundleContext.getBundles())
                .filter(b -> "io.toka.hello-tool".equals(b.getSymbolicName())).count();
        assertEquals(1, helloBundles);

        // 4. remove: gone within 1 s
        long r0 = System.nanoTime();
        Files.delete(target);
        await().atMost(Duration.ofSeconds(1)).pollInterval(Duration.ofMillis(10))
                .until(() -> !registry.names().contains("hello"));
        System.out.printf("hello-tool gone %d ms after removal%n", (System.nanoTime() - r0) / 1_000_000);
        await().atMost(Duration.ofSeconds(3)).until(() -> {
            try {
                call();
                return false;
            } catch (UnknownToolException e) {
                return true;
            }
        });
    }

    /**
     * The same swap, driven through MCP: 4 clients send {@code tools/call} to {@code /mcp} over HTTP (2025-11-25,
     * JSON answers) while the bundle is replaced three times; every answer must be a result with
     * {@code isError: false}, never a JSON-RPC error, an HTTP error or a tool error.
     */
    @Test
    public void swapUnderMcpLoadFailsNoCall() throws Exception {
        Path deploy = Path.of(System.getProperty("karaf.base"), "deploy");
        Path work = Files.createTempDirectory(Path.of(System.getProperty("karaf.data")), "mcp-swap");
        Path original = Path.of(System.getProperty("toka.hello.jar"));
        Path target = deploy.resolve("hello-tool-mcp.jar");
        String token = adminToken();
        java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        drop(original, target, work);
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20)).ignoreExceptions()
                .until(() -> mcpCall(http, token).at("/result/structuredContent/version").asText().equals("1.0.0"));

        Load load = new Load("mcp-swap-caller", () -> {
            com.fasterxml.jackson.databind.JsonNode answer = mcpCall(http, token);
            if (!answer.has("result") || answer.at("/result/isError").asBoolean(true)) {
                throw new IllegalStateException(answer.toString());
            }
            return answer.at("/result/structuredContent/version").asText();
        });
        AtomicLong calls = load.calls;
        ConcurrentLinkedQueue<String> failures = load.failures;
        Set<String> seen = load.seen;
        try {
            for (String version : List.of("1.0.1", "1.0.2", "1.0.3")) {
                long before = calls.get();
                await().atMost(Duration.ofSeconds(10)).until(() -> calls.get() > before + 100);
                drop(withVersion(original, version, work), target, work);
                await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(5)).until(() -> seen.contains(version));
            }
            long before = calls.get();
            await().atMost(Duration.ofSeconds(10)).until(() -> calls.get() > before + 100);
        } finally {
            load.stop();
            Files.deleteIfExists(target);
        }
        System.out.printf("%d MCP calls during 3 swaps, %d failed%n", calls.get(), failures.size());
        assertEquals("failed MCP calls: " + failures.stream().limit(5).toList(), 0, failures.size());
        assertTrue(seen.containsAll(List.of("1.0.0", "1.0.1", "1.0.2", "1.0.3")));
        await().atMost(Duration.ofSeconds(5)).until(() -> !registry.names().contains("hello")
                && java.util.Arrays.stream(bundleContext.getBundles())
                        .noneMatch(b -> "io.toka.hello-tool".equals(b.getSymbolicName())));
    }

    private static com.fasterxml.jackson.databind.JsonNode mcpCall(java.net.http.HttpClient http, String token)
            throws IOException, InterruptedException {
        java.net.http.HttpRequest request = java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create("http://127.0.0.1:" + HTTP_PORT + "/mcp"))
                .header("Authorization", "Bearer " + token)
                .header("Content-Type", "application/json")
                .header("Accept", "application/json, text/event-stream")
                .header("MCP-Protocol-Version", "2025-11-25")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"jsonrpc\":\"2.0\",\"id\":1,"
                        + "\"method\":\"tools/call\",\"params\":{\"name\":\"hello\",\"arguments\":{\"name\":\"x\"}}}"))
                .build();
        java.net.http.HttpResponse<String> r = http.send(request, java.net.http.HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IOException("HTTP " + r.statusCode() + ": " + r.body());
        }
        return JSON.readTree(r.body());
    }

    private ToolCallResult call() throws Exception {
        return registry.invoke("hello", Map.of("name", "x"), caller());
    }

    /** One call: returns what identifies the answering version, or throws for a failed call. */
    @FunctionalInterface
    private interface Call {
        String call() throws Exception;
    }

    /** Four threads calling without pause until stopped: how many calls, which failed, which answers were seen. */
    private static final class Load {
        final AtomicLong calls = new AtomicLong();
        final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
        final Set<String> seen = ConcurrentHashMap.newKeySet();
        private final AtomicBoolean stop = new AtomicBoolean();
        private final List<Thread> threads = new ArrayList<>();

        Load(String name, Call call) {
            for (int i = 0; i < 4; i++) {
                Thread t = new Thread(() -> {
                    while (!stop.get()) {
                        try {
                            seen.add(call.call());
                        } catch (Exception e) {
                            failures.add(e.toString());
                        }
                        calls.incrementAndGet();
                    }
                }, name + "-" + i);
                t.start();
                threads.add(t);
            }
        }

        void stop() throws InterruptedException {
            stop.set(true);
            for (Thread t : threads) {
                t.join(10_000);
            }
        }
    }

    /** Copies to a temporary name, then renames into place, so FileInstall never sees half a jar. */
    private static void drop(Path jar, Path target, Path work) throws IOException {
        Path tmp = work.resolve("staging.tmp");
        Files.copy(jar, tmp, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.COPY_ATTRIBUTES);
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** The same jar with another Bundle-Version. */
    private static Path withVersion(Path jar, String version, Path work) throws IOException {
        Path out = work.resolve("hello-tool-" + version + "-" + System.nanoTime() + ".jar");
        try (JarInputStream in = new JarInputStream(Files.newInputStream(jar))) {
            Manifest mf = new Manifest(in.getManifest());
            mf.getMainAttributes().put(new Attributes.Name("Bundle-Version"), version);
            try (JarOutputStream jos = new JarOutputStream(Files.newOutputStream(out), mf)) {
                for (JarEntry e; (e = in.getNextJarEntry()) != null; ) {
                    jos.putNextEntry(new JarEntry(e.getName()));
                    jos.write(readAll(in));
                    jos.closeEntry();
                }
            }
        }
        return out;
    }

    private static byte[] readAll(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        in.transferTo(b);
        return b.toByteArray();
    }
}
