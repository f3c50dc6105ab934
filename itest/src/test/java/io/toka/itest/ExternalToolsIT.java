package io.toka.itest;

import static org.awaitility.Awaitility.await;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.toka.runtime.registry.ToolCallResult;
import io.toka.runtime.registry.ToolRegistry;
import io.toka.security.SecurityContext;
import io.toka.security.ShellSecurity;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import javax.inject.Inject;
import org.apache.karaf.shell.api.console.SessionFactory;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;

/**
 * Script tools from YAML manifests in the real distribution: dropped into deploy/ or the tools directory, swapped
 * under load with no failed call, removed; bad manifests listed by file, field and problem; scripts run in the
 * sandbox and leave no process behind.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class ExternalToolsIT extends TestSupport {

    @Inject
    ShellSecurity security;

    @Inject
    ToolRegistry registry;

    @Inject
    SessionFactory sessionFactory;

    private SecurityContext caller() {
        return security.forRoles("itest", List.of("admin"));
    }

    private static Path base() {
        return Path.of(System.getProperty("karaf.base"));
    }

    /**
     * A fresh directory for scripts. Sandboxed programs run as an unprivileged user, so it must be readable by
     * others (a temp directory is created owner-only).
     */
    private static Path scriptDir(String prefix) throws IOException {
        Path dir = Files.createTempDirectory(Path.of(System.getProperty("karaf.data")), prefix);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        return dir;
    }

    /** A bash script printing a greeting for {@code --name}, tagged with {@code tag}. */
    private static Path script(Path dir, String file, String tag) throws IOException {
        Path p = dir.resolve(file);
        Files.writeString(p, """
                #!/bin/bash
                # Greets someone.
                name=nobody
                while [ $# -gt 0 ]; do
                  case "$1" in
                    --name) name="$2"; shift 2 ;;
                    *) shift ;;
                  esac
                done
                echo "Hello, $name! (%s)"
                """.formatted(tag));
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
        return p;
    }

    private static String manifest(String name, String version, Path script) {
        return """
                metadata:
                  name: %s
                  version: "%s"
                  category: demo
                  description: Greets someone by name
                spec:
                  executable:
                    type: shell
                    path: %s
                  capabilities:
                    required: []
                  security:
                    level: low
                    sandbox:
                      memory_limit: 128MB
                      timeout: 10s
                      allow_network: false
                  parameters:
                    - name: name
                      type: string
                      description: who to greet
                      required: true
                interface:
                  hot_swappable: true
                  parallel_safe: true
                """.formatted(name, version, script);
    }

    /** Writes next to the target, then renames: FileInstall never sees a half-written manifest. */
    private static void writeAtomically(Path target, String content) throws IOException {
        Path tmp = target.resolveSibling("." + target.getFileName() + ".tmp");
        Files.writeString(tmp, content);
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private String greet(String tool) throws Exception {
        ToolCallResult r = registry.invoke(tool, Map.of("name", "Ada"), caller());
        return r.isSuccess() ? r.result().output().strip() : "FAILED: " + r.result().output();
    }

    @Test
    public void manifestDroppedIntoDeployIsLiveSwappedUnderLoadAndRemoved() throws Exception {
        Path scripts = scriptDir("scripts");
        Path target = base().resolve("deploy").resolve("greet.tool.yaml");
        List<Path> versions = List.of(script(scripts, "greet1.sh", "v1"), script(scripts, "greet2.sh", "v2"),
                script(scripts, "greet3.sh", "v3"), script(scripts, "greet4.sh", "v4"));

        // 1. drop: callable
        long t0 = System.nanoTime();
        writeAtomically(target, manifest("greet", "1.0.0", versions.get(0)));
        await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(10)).ignoreExceptions()
                .until(() -> registry.invoke("greet", Map.of("name", "Ada"), caller()).isSuccess());
        System.out.printf("greet.tool.yaml callable %d ms after the drop%n", (System.nanoTime() - t0) / 1_000_000);
        assertEquals("Hello, Ada! (v1)", greet("greet"));
        assertEquals("1.0.0", registry.find("greet").orElseThrow().descriptor().version());

        // 2. update three times while 4 threads call continuously: no failed call, every version answers
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong calls = new AtomicLong();
        ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
        Set<String> seen = ConcurrentHashMap.newKeySet();
        List<Thread> callers = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            Thread t = new Thread(() -> {
                while (!stop.get()) {
                    try {
                        String out = greet("greet");
                        calls.incrementAndGet();
                        if (out.startsWith("FAILED")) {
                            failures.add(out);
                        } else {
                            seen.add(out);
                        }
                    } catch (Exception e) {
                        failures.add(e.toString());
                    }
                }
            }, "caller-" + i);
            t.start();
            callers.add(t);
        }
        try {
            for (int v = 2; v <= 4; v++) {
                String expected = "Hello, Ada! (v" + v + ")";
                // let calls run on the current version before swapping it
                long before = calls.get();
                await().atMost(Duration.ofSeconds(20)).until(() -> calls.get() >= before + 50);
                long t1 = System.nanoTime();
                writeAtomically(target, manifest("greet", v + ".0.0", versions.get(v - 1)));
                await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(5)).until(() -> seen.contains(expected));
                System.out.printf("greet v%d answered %d ms after the manifest changed%n", v, (System.nanoTime() - t1) / 1_000_000);
            }
        } finally {
            stop.set(true);
            for (Thread t : callers) {
                t.join(10_000);
            }
        }
        System.out.printf("%d calls during 3 manifest swaps, %d failed%n", calls.get(), failures.size());
        assertTrue("failed calls during the swaps: " + failures.stream().limit(5).toList(), failures.isEmpty());
        assertEquals("4.0.0", registry.find("greet").orElseThrow().descriptor().version());

        // 3. remove: gone
        long t2 = System.nanoTime();
        Files.delete(target);
        await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(10)).until(() -> registry.find("greet").isEmpty());
        System.out.printf("greet gone %d ms after removal%n", (System.nanoTime() - t2) / 1_000_000);
    }

    @Test
    public void badManifestIsListedWithFileFieldAndProblemAndDisturbsNothing() throws Exception {
        Path scripts = scriptDir("scripts");
        Path good = base().resolve("deploy").resolve("steady.tool.yaml");
        Path bad = base().resolve("deploy").resolve("broken.tool.yaml");
        writeAtomically(good, manifest("steady", "1.0.0", script(scripts, "steady.sh", "steady")));
        await().atMost(Duration.ofSeconds(5)).ignoreExceptions().until(() -> greet("steady").equals("Hello, Ada! (steady)"));

        writeAtomically(bad, manifest("broken", "1.0.0", script(scripts, "broken.sh", "broken"))
                .replace("memory_limit: 128MB", "memory_limit: 12XB"));
        await().atMost(Duration.ofSeconds(5)).until(() -> errorsFor(bad).size() > 0);
        JsonNode error = errorsFor(bad).get(0);
        assertEquals(bad.toAbsolutePath().toString(), error.get("file").asText());
        assertEquals("spec.security.sandbox.memory_limit", error.get("field").asText());
        assertTrue(error.get("problem").asText(), error.get("problem").asText().contains("12XB"));
        assertTrue(registry.find("broken").isEmpty());
        assertEquals("Hello, Ada! (steady)", greet("steady"));

        String shell = new ShellRunner(sessionFactory).run("toka:tool-errors");
        assertTrue(shell, shell.contains("broken.tool.yaml") && shell.contains("spec.security.sandbox.memory_limit"));

        // fixing the file clears the error and registers the tool
        writeAtomically(bad, manifest("broken", "1.0.0", scripts.resolve("broken.sh")));
        await().atMost(Duration.ofSeconds(5)).ignoreExceptions().until(() -> greet("broken").equals("Hello, Ada! (broken)"));
        assertTrue(errorsFor(bad).isEmpty());

        Files.delete(bad);
        Files.delete(good);
        await().atMost(Duration.ofSeconds(5)).until(() -> registry.find("broken").isEmpty() && registry.find("steady").isEmpty());
    }

    private List<JsonNode> errorsFor(Path file) throws Exception {
        Response r = get("/api/v1/tools/errors");
        assertEquals(200, r.status());
        List<JsonNode> out = new ArrayList<>();
        for (JsonNode e : r.body().get("errors")) {
            if (e.get("file").asText().equals(file.toAbsolutePath().toString())) {
                out.add(e);
            }
        }
        return out;
    }

    @Test
    public void manifestInTheToolsDirectoryIsLive() throws Exception {
        Path dir = base().resolve("tools");
        Files.createDirectories(dir);
        Path target = dir.resolve("dirgreet.tool.yaml");
        writeAtomically(target, manifest("dirgreet", "1.0.0", script(dir, "dirgreet.sh", "from tools/")));
        await().atMost(Duration.ofSeconds(5)).ignoreExceptions().until(() -> greet("dirgreet").equals("Hello, Ada! (from tools/)"));
        Files.delete(target);
        await().atMost(Duration.ofSeconds(5)).until(() -> registry.find("dirgreet").isEmpty());
    }

    @Test
    public void scriptsRunSandboxedAndLeaveNoProcessBehind() throws Exception {
        // FULL where the host gives a cgroup per run, NAMESPACES where it does not; never degraded (CI installs bwrap)
        JsonNode sandbox = get("/api/v1/health").body().get("sandbox");
        assertTrue(sandbox.toString(), List.of("FULL", "NAMESPACES").contains(sandbox.get("level").asText()));
        assertTrue(sandbox.toString(), sandbox.get("namespaces").asBoolean() && sandbox.get("network").asBoolean());

        // a unique number: sleep's second operand, so the daemon can be found in /proc
        String arg = Long.toString(1_000_000_000L + java.util.concurrent.ThreadLocalRandom.current().nextInt(1_000_000_000));
        Path scripts = scriptDir("scripts");
        Path s = scripts.resolve("leaver.sh");
        // starts a detached daemon carrying the marker, then reports what it can see of the host
        Files.writeString(s, """
                #!/bin/bash
                setsid nohup /usr/bin/sleep 300 %s >/dev/null 2>&1 &
                if [ -e /etc/shadow ] || [ -e /root ]; then echo host-visible; else echo host-hidden; fi
                """.formatted(arg));
        Files.setPosixFilePermissions(s, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path target = base().resolve("deploy").resolve("leaver.tool.yaml");
        writeAtomically(target, """
                name: leaver
                description: Starts a daemon and exits
                executable: %s
                parameters: []
                """.formatted(s));
        await().atMost(Duration.ofSeconds(5)).until(() -> registry.find("leaver").isPresent());
        ToolCallResult r = registry.invoke("leaver", Map.of(), caller());
        assertTrue(r.result().output(), r.isSuccess());
        assertEquals("host-hidden", r.result().output().strip());
        await().atMost(Duration.ofSeconds(5)).until(() -> !processWithArgumentExists(arg));
        Files.delete(target);
    }

    private static boolean processWithArgumentExists(String arg) throws IOException {
        try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"), p -> p.getFileName().toString().matches("\\d+"))) {
            for (Path p : procs) {
                try {
                    byte[] cmd = Files.readAllBytes(p.resolve("cmdline"));
                    for (String part : new String(cmd, StandardCharsets.UTF_8).split("\0")) {
                        if (part.equals(arg)) {
                            return true;
                        }
                    }
                } catch (IOException gone) {
                    // the process exited while we looked
                }
            }
        }
        return false;
    }

    @Test
    public void discoverPrintsADraftAndRegistersNothing() throws Exception {
        // tool-discover looks only under Toka's own directories: the workspace and tools/
        Path workspace = Path.of(System.getProperty("karaf.base"), "workspace");
        Path dir = Files.createTempDirectory(Files.createDirectories(workspace), "discover");
        Files.writeString(dir.resolve("count_words.py"), "#!/usr/bin/env python3\n\"\"\"Counts words in a text.\"\"\"\nprint(1)\n");
        String out = new ShellRunner(sessionFactory).run("toka:tool-discover " + workspace.relativize(dir));
        assertTrue(out, out.contains("count-words"));
        assertTrue(out, out.contains("Counts words in a text."));
        assertFalse(registry.find("count-words").isPresent());
    }
}
