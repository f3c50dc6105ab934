package io.toka.itest;

import static org.awaitility.Awaitility.await;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;

/**
 * Tool bundles written to misbehave, dropped into a running distribution's deploy folder (the real tar.gz, unpacked
 * and started as an operator would): one that throws in its component's activate method, one whose call never returns
 * and ignores interruption, one that allocates without bound, one that registers and unregisters its service in a loop,
 * and one that exports a package and is swapped. After each, Toka stays healthy: the other tools keep answering, the
 * registry names the bad tool with a reason in {@code GET /api/v1/tools/errors}, a runaway call is answered at its
 * deadline and its thread is accounted for, the allocating tool is refused, the crash-looping tool is quarantined
 * until it is redeployed, and the swapped exporter runs its new code.
 *
 * <p>The bundles are the classes of {@code io.toka.itest.misbehaving.*}, packed here with hand-written manifests.
 */
public class MisbehavingToolsIT {

    private static final int HTTP = Integer.getInteger("toka.misbehaving.http.port", 28881);
    private static final int SSH = Integer.getInteger("toka.misbehaving.ssh.port", 28801);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path CLASSES = Path.of("target", "test-classes").toAbsolutePath();

    private static Distribution toka;
    private static String admin;
    private static final HttpClient HTTP_CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeClass
    public static void start() throws Exception {
        toka = Distribution.unpack("misbehaving", HTTP, SSH);
        // the test calls fast and often; the rate limit is tested elsewhere
        Distribution.replace(toka.home().resolve("etc/io.toka.ratelimit.cfg"), "enabled = true", "enabled = false");
        toka.start();
        admin = toka.adminToken();
        drop(Path.of(System.getProperty("toka.hello.jar")), "hello-tool.jar");
        await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> helloAnswers());
    }

    @AfterClass
    public static void stop() throws Exception {
        if (toka != null) {
            toka.stop();
        }
    }

    @Test
    public void aToolThatThrowsInActivateIsReportedWithItsReason() throws Exception {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Service-Component", "OSGI-INF/bad-activate.xml");
        headers.put("Import-Package", "io.toka.tool;version=\"[1.0,2)\"");
        Path jar = bundle("activate", "io.toka.itest.bad-activate", "1.0.0", headers, Map.of("OSGI-INF/bad-activate.xml",
                "<scr:component xmlns:scr=\"http://www.osgi.org/xmlns/scr/v1.3.0\" name=\"bad-activate\""
                        + " activate=\"activate\"><implementation class=\"io.toka.itest.misbehaving.activate."
                        + "ThrowingActivateTool\"/><service><provide interface=\"io.toka.tool.Tool\"/></service>"
                        + "<property name=\"toka.tool.name\" value=\"bad-activate\"/></scr:component>"));
        drop(jar, "bad-activate.jar");

        JsonNode answer = await().atMost(Duration.ofSeconds(30)).until(() -> invoke("bad-activate", "{}"),
                r -> r != null && r.path("success").isBoolean());
        assertFalse(answer.toString(), answer.get("success").asBoolean());
        assertTrue(answer.toString(), answer.get("output").asText().contains("cannot be activated"));
        assertTrue(answer.toString(), answer.get("output").asText().contains("bad-activate needs a database URL"));
        JsonNode problem = problem("bad-activate");
        assertEquals("activation_failed", problem.get("kind").asText());
        assertTrue(problem.toString(), problem.get("reason").asText().contains("IllegalStateException"));
        assertHealthy();
    }

    @Test
    public void aRunawayCallIsAnsweredAtItsDeadlineAndItsThreadIsAccountedFor() throws Exception {
        drop(bundle("hanging", "io.toka.itest.hanging", "1.0.0", activator("hanging"), Map.of()), "hanging.jar");
        await().atMost(Duration.ofSeconds(30)).until(() -> "quick".equals(output(invoke("hanging", "{}"))));

        // on the pool: each call is answered at its 1 s deadline; the threads it keeps are counted, then refused
        assertEquals(504, send("POST", "/api/v1/tools/hanging/invoke", "{\"arguments\":{\"mode\":\"hang\"}}").statusCode());
        assertEquals(504, send("POST", "/api/v1/tools/hanging/invoke", "{\"arguments\":{\"mode\":\"hang\"}}").statusCode());
        JsonNode refused = invoke("hanging", "{\"mode\":\"hang\"}");
        assertFalse(refused.get("success").asBoolean());
        assertTrue(refused.toString(), output(refused).contains("is refused: 2 of its calls ran past their deadline"));
        await().atMost(Duration.ofSeconds(10)).until(() -> problem("hanging") != null);
        JsonNode overrun = problem("hanging");
        assertEquals("overrunning", overrun.get("kind").asText());
        assertTrue(overrun.toString(), overrun.get("reason").asText().contains("toka-tool-"));
        assertHealthy();

        // a redeploy stops the old bundle (its stuck calls end with it) and starts the tool afresh
        drop(bundle("hanging", "io.toka.itest.hanging", "1.0.1", activator("hanging"), Map.of()), "hanging.jar");
        await().atMost(Duration.ofSeconds(30)).until(() -> problem("hanging") == null);
        // quick calls: the registry moves the tool onto its callers' threads...
        for (int i = 0; i < 64; i++) {
            assertEquals("quick", output(invoke("hanging", "{}")));
        }
        // ...so this call hangs on an HTTP thread, which Toka cannot take back; it is accounted for
        CompletableFuture<HttpResponse<String>> pinned = HTTP_CLIENT.sendAsync(request("POST",
                "/api/v1/tools/hanging/invoke", "{\"arguments\":{\"mode\":\"hang\"}}"), HttpResponse.BodyHandlers.ofString());
        await().atMost(Duration.ofSeconds(10)).until(() -> problem("hanging") != null);
        String pinnedThread = problem("hanging").get("reason").asText();
        assertFalse(pinnedThread, pinnedThread.contains("toka-tool-"));
        // and the tool's next call goes to the pool, answered at its deadline, instead of taking another HTTP thread
        assertEquals(504, send("POST", "/api/v1/tools/hanging/invoke", "{\"arguments\":{\"mode\":\"hang\"}}").statusCode());
        assertFalse("the inline call keeps its thread", pinned.isDone());
        assertHealthy();
    }

    @Test
    public void aToolThatAllocatesWithoutBoundIsRefused() throws Exception {
        drop(bundle("allocating", "io.toka.itest.hoarder", "1.0.0", activator("allocating"), Map.of()), "hoarder.jar");
        JsonNode first = await().atMost(Duration.ofSeconds(60)).until(() -> invoke("hoarder", "{}"),
                r -> r != null && r.path("success").isBoolean());
        assertFalse(first.get("success").asBoolean());
        assertTrue(first.toString(), output(first).contains("ran out of memory and is quarantined"));
        JsonNode second = invoke("hoarder", "{}");
        assertTrue(second.toString(), output(second).contains("is quarantined: a call ran out of memory"));
        assertEquals("quarantined", problem("hoarder").get("kind").asText());
        assertHealthy();
    }

    @Test
    public void aCrashLoopingToolIsQuarantinedUntilItIsRedeployed() throws Exception {
        drop(bundle("looping", "io.toka.itest.flaky", "1.0.0", activator("looping"), Map.of()), "flaky.jar");
        await().atMost(Duration.ofSeconds(30)).until(() -> problem("flaky") != null);
        JsonNode held = problem("flaky");
        assertEquals("quarantined", held.get("kind").asText());
        assertTrue(held.toString(), held.get("reason").asText().contains("(a crash loop)"));
        JsonNode refused = invoke("flaky", "{}");
        assertFalse(refused.get("success").asBoolean());
        assertTrue(refused.toString(), output(refused).contains("is quarantined"));
        assertFalse(send("GET", "/api/v1/tools", null).body().contains("\"flaky\""));
        assertHealthy();

        Map<String, String> stable = activator("looping");
        stable.put("X-Toka-Test-Mode", "stable");
        drop(bundle("looping", "io.toka.itest.flaky", "1.0.1", stable, Map.of()), "flaky.jar");
        await().atMost(Duration.ofSeconds(30)).ignoreExceptions()
                .until(() -> "flaky 1.0.1".equals(output(invoke("flaky", "{}"))));
        assertEquals(null, problem("flaky"));
    }

    @Test
    public void aToolBundleThatExportsAPackageRunsItsNewCodeAfterASwap() throws Exception {
        Map<String, String> v1 = activator("exporting");
        v1.put("Export-Package", "io.toka.itest.misbehaving.exporting;version=\"1.0.0\"");
        v1.put("Import-Package", v1.get("Import-Package") + ",io.toka.itest.misbehaving.exporting;version=\"[1.0,2)\"");
        drop(bundle("exporting", "io.toka.itest.exporter", "1.0.0", v1, Map.of()), "exporter.jar");
        await().atMost(Duration.ofSeconds(30)).ignoreExceptions()
                .until(() -> "code of 1.0.0".equals(output(invoke("exporter", "{}"))));

        drop(bundle("exporting", "io.toka.itest.exporter", "1.0.1", v1, Map.of()), "exporter.jar");
        await().atMost(Duration.ofSeconds(30)).ignoreExceptions()
                .until(() -> "code of 1.0.1".equals(output(invoke("exporter", "{}"))));
        JsonNode described = JSON.readTree(send("GET", "/api/v1/tools/exporter", null).body());
        assertEquals("1.0.1", described.at("/provider/bundleVersion").asText());
        assertEquals(0, described.get("shadowed").size());
        assertHealthy();
    }

    // ---------------------------------------------------------------- helpers

    private static void assertHealthy() throws Exception {
        assertEquals(200, send("GET", "/api/v1/health", null).statusCode());
        assertTrue("the other tools keep answering", helloAnswers());
    }

    private static boolean helloAnswers() throws Exception {
        JsonNode r = invoke("hello", "{\"name\":\"Ada\"}");
        return r != null && r.path("success").asBoolean() && output(r).startsWith("Hello, Ada!");
    }

    /** The registry's problem for a tool in GET /tools/errors, or {@code null}. */
    private static JsonNode problem(String tool) throws Exception {
        HttpResponse<String> r = send("GET", "/api/v1/tools/errors", null);
        assertEquals(r.body(), 200, r.statusCode());
        for (JsonNode p : JSON.readTree(r.body()).path("problems")) {
            if (p.path("tool").asText().equals(tool)) {
                return p;
            }
        }
        return null;
    }

    /** POST /tools/{name}/invoke: the JSON answer of a 200, else {@code null}. */
    private static JsonNode invoke(String tool, String arguments) throws Exception {
        HttpResponse<String> r = send("POST", "/api/v1/tools/" + tool + "/invoke", "{\"arguments\":" + arguments + "}");
        return r.statusCode() == 200 ? JSON.readTree(r.body()) : null;
    }

    private static String output(JsonNode answer) {
        return answer == null ? null : answer.path("output").asText();
    }

    private static HttpRequest request(String method, String path, String json) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + HTTP + path))
                .timeout(Duration.ofSeconds(60)).header("Authorization", "Bearer " + admin)
                .method(method, json == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(json));
        if (json != null) {
            b.header("Content-Type", "application/json");
        }
        return b.build();
    }

    private static HttpResponse<String> send(String method, String path, String json) throws Exception {
        return HTTP_CLIENT.send(request(method, path, json), HttpResponse.BodyHandlers.ofString());
    }

    /** The headers of a bundle whose activator is {@code io.toka.itest.misbehaving.<pkg>.Activator}. */
    private static Map<String, String> activator(String pkg) {
        Map<String, String> h = new LinkedHashMap<>();
        h.put("Bundle-Activator", "io.toka.itest.misbehaving." + pkg + ".Activator");
        h.put("Import-Package", "io.toka.tool;version=\"[1.0,2)\",org.osgi.framework;version=\"[1.8,2)\"");
        return h;
    }

    /** A bundle jar of the classes of {@code io.toka.itest.misbehaving.<pkg>}, plus extra entries. */
    private static Path bundle(String pkg, String symbolicName, String version, Map<String, String> headers,
            Map<String, String> extra) throws IOException {
        Manifest mf = new Manifest();
        Attributes a = mf.getMainAttributes();
        a.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        a.putValue("Bundle-ManifestVersion", "2");
        a.putValue("Bundle-SymbolicName", symbolicName);
        a.putValue("Bundle-Version", version);
        headers.forEach(a::putValue);
        Path work = Files.createDirectories(toka.home().resolve("data/misbehaving-jars"));
        Path jar = work.resolve(symbolicName + "-" + version + "-" + System.nanoTime() + ".jar");
        String dir = "io/toka/itest/misbehaving/" + pkg + "/";
        try (OutputStream out = Files.newOutputStream(jar); JarOutputStream j = new JarOutputStream(out, mf);
                Stream<Path> classes = Files.list(CLASSES.resolve(dir))) {
            for (Path c : classes.filter(p -> p.toString().endsWith(".class")).sorted().toList()) {
                j.putNextEntry(new JarEntry(dir + c.getFileName()));
                j.write(Files.readAllBytes(c));
                j.closeEntry();
            }
            for (Map.Entry<String, String> e : extra.entrySet()) {
                j.putNextEntry(new JarEntry(e.getKey()));
                j.write(e.getValue().getBytes(StandardCharsets.UTF_8));
                j.closeEntry();
            }
        }
        return jar;
    }

    /** Copies next to deploy/, then renames into it, so FileInstall never sees half a jar. */
    private static void drop(Path jar, String name) throws IOException {
        Path staging = toka.home().resolve("data/misbehaving-staging.tmp");
        Files.copy(jar, staging, StandardCopyOption.REPLACE_EXISTING);
        Files.move(staging, toka.home().resolve("deploy").resolve(name), StandardCopyOption.ATOMIC_MOVE,
                StandardCopyOption.REPLACE_EXISTING);
    }
}
