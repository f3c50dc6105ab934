package io.toka.mcp.stdio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The distribution's {@code bin/toka-mcp} (from karaf-assembly) in a distribution laid out like the real one:
 * {@code bin/toka-mcp}, {@code clients/toka-mcp-stdio.jar} (built here from this module's classes) and
 * {@code data/toka/admin.token}.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ScriptTest {

    static final Duration EXIT = Duration.ofSeconds(20);

    @TempDir
    Path dir;
    Path dist;
    FakeMcpServer server;

    @BeforeEach
    void layOut() throws IOException {
        String script = System.getProperty("toka.mcp.script", "");
        assumeTrue(!script.isEmpty() && Files.isRegularFile(Path.of(script)), "the launcher script is not there");
        assumeTrue(Files.isExecutable(Path.of("/bin/bash")) || Files.isExecutable(Path.of("/usr/bin/bash")),
                "no bash");
        server = new FakeMcpServer();
        dist = dir.resolve("toka-1.0");
        Files.createDirectories(dist.resolve("bin"));
        Files.copy(Path.of(script), dist.resolve("bin/toka-mcp"), StandardCopyOption.COPY_ATTRIBUTES);
        Files.setPosixFilePermissions(dist.resolve("bin/toka-mcp"), PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.createDirectories(dist.resolve("clients"));
        jar(dist.resolve("clients/toka-mcp-stdio.jar"));
        Path admin = dist.resolve("data/toka/admin.token");
        Files.createDirectories(admin.getParent());
        Files.writeString(admin, server.token + "\n");
        Files.setPosixFilePermissions(admin, PosixFilePermissions.fromString("rw-------"));
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void runsTheBridgeWithTheDistributionsAdminTokenAndJavaHome() throws Exception {
        Map<String, String> env = Map.of("JAVA_HOME", System.getProperty("java.home"), "PATH", "/usr/bin:/bin");
        try (BridgeProcess bridge = BridgeProcess.start(List.of(dist.resolve("bin/toka-mcp").toString(), "--url",
                server.url().toString()), env)) {
            bridge.send(BridgeTest.INITIALIZE);
            assertThat(bridge.response(1)).containsKey("result");
            assertThat(server.await("POST", "initialize").header("Authorization"))
                    .isEqualTo("Bearer " + server.token);
            bridge.awaitStderr(dist.toRealPath().resolve("data/toka/admin.token") + " (Toka's admin token");
            bridge.closeStdin();
            assertThat(bridge.exitCode(EXIT)).isZero();
        }
    }

    @Test
    void findsItsDistributionThroughASymlinkAndJavaOnThePath() throws Exception {
        Path link = dir.resolve("elsewhere/toka-mcp");
        Files.createDirectories(link.getParent());
        Files.createSymbolicLink(link, dist.resolve("bin/toka-mcp"));
        Map<String, String> env = Map.of("PATH", BridgeProcess.java().getParent() + ":/usr/bin:/bin",
                "TOKA_MCP_URL", server.url().toString());
        try (BridgeProcess bridge = BridgeProcess.start(List.of(link.toString()), env)) {
            bridge.send(BridgeTest.INITIALIZE);
            assertThat(bridge.response(1)).containsKey("result");
        }
        try (BridgeProcess bridge = BridgeProcess.start(List.of(link.toString(), "--help"), env)) {
            assertThat(bridge.exitCode(EXIT)).isZero();
            assertThat(bridge.allOutput()).contains("Usage: toka-mcp [options]");
        }
    }

    @Test
    void refusesATokenArgumentAndAMissingJar() throws Exception {
        Map<String, String> env = Map.of("JAVA_HOME", System.getProperty("java.home"));
        try (BridgeProcess bridge = BridgeProcess.start(List.of(dist.resolve("bin/toka-mcp").toString(), "--token",
                "secret-value"), env)) {
            assertThat(bridge.exitCode(EXIT)).isEqualTo(2);
            assertThat(bridge.stderr()).contains("refusing --token").doesNotContain("secret-value");
        }
        Files.delete(dist.resolve("clients/toka-mcp-stdio.jar"));
        try (BridgeProcess bridge = BridgeProcess.start(List.of(dist.resolve("bin/toka-mcp").toString()), env)) {
            assertThat(bridge.exitCode(EXIT)).isEqualTo(2);
            assertThat(bridge.stderr()).contains("toka-mcp-stdio.jar is missing");
            assertThat(bridge.allOutput()).isEmpty();
        }
    }

    @Test
    void saysSoWhenThereIsNoJava() throws Exception {
        Path empty = Files.createDirectories(dir.resolve("empty-path"));
        Path bash = Files.isExecutable(Path.of("/bin/bash")) ? Path.of("/bin/bash") : Path.of("/usr/bin/bash");
        Map<String, String> env = Map.of("PATH", empty.toString(), "JAVA_HOME", dir.resolve("no-jdk").toString());
        try (BridgeProcess bridge = BridgeProcess.start(List.of(bash.toString(),
                dist.resolve("bin/toka-mcp").toString()), env)) {
            assertThat(bridge.exitCode(EXIT)).isEqualTo(2);
            assertThat(bridge.stderr()).contains("has no bin/java").contains("no Java found");
        }
    }

    /** A runnable jar of this module's classes, jackson-core's and the shared client classes, as the build makes it. */
    private static void jar(Path target) throws IOException {
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        manifest.getMainAttributes().put(Attributes.Name.MAIN_CLASS, Main.class.getName());
        Path classes = BridgeProcess.classes();
        try (OutputStream out = Files.newOutputStream(target); JarOutputStream jar = new JarOutputStream(out, manifest);
             Stream<Path> files = Files.walk(classes)) {
            for (Path p : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
                jar.putNextEntry(new JarEntry(classes.relativize(p).toString().replace('\\', '/')));
                Files.copy(p, jar);
                jar.closeEntry();
            }
            // jackson-core's and the shared client classes, as the shade plugin adds them (jackson there relocated)
            for (Path dependency : List.of(BridgeProcess.jackson(), BridgeProcess.clientSupport())) {
                copyClasses(dependency, jar);
            }
        }
    }

    /** Copies the classes of a jar or a class directory into {@code jar}. */
    private static void copyClasses(Path from, JarOutputStream jar) throws IOException {
        if (Files.isDirectory(from)) {
            try (Stream<Path> files = Files.walk(from)) {
                for (Path p : (Iterable<Path>) files.filter(f -> f.toString().endsWith(".class"))::iterator) {
                    jar.putNextEntry(new JarEntry(from.relativize(p).toString().replace('\\', '/')));
                    Files.copy(p, jar);
                    jar.closeEntry();
                }
            }
            return;
        }
        try (java.util.jar.JarInputStream in = new java.util.jar.JarInputStream(Files.newInputStream(from))) {
            for (JarEntry e; (e = in.getNextJarEntry()) != null; ) {
                if (e.getName().endsWith(".class") && !e.getName().endsWith("module-info.class")
                        && !e.getName().startsWith("META-INF/")) {
                    jar.putNextEntry(new JarEntry(e.getName()));
                    in.transferTo(jar);
                    jar.closeEntry();
                }
            }
        }
    }
}
