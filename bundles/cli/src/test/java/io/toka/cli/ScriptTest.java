package io.toka.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The distribution's {@code bin/toka} (from karaf-assembly) in a distribution laid out like the real one:
 * {@code bin/toka}, {@code clients/toka-cli.jar} (built here from this module's classes, its manifest's Class-Path
 * naming the Jackson jars the build shades in) and {@code data/toka/admin.token}.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ScriptTest {

    /** What a finished process left. */
    record Run(int status, String out, String err) {
    }

    @TempDir
    Path dir;
    Path dist;
    FakeToka toka;

    @BeforeEach
    void layOut() throws Exception {
        String script = System.getProperty("toka.cli.script", "");
        assumeTrue(!script.isEmpty() && Files.isRegularFile(Path.of(script)), "the launcher script is not there");
        assumeTrue(Files.isExecutable(Path.of("/bin/bash")) || Files.isExecutable(Path.of("/usr/bin/bash")), "no bash");
        toka = new FakeToka();
        toka.on("GET", "/tools", FakeToka.json(200, "{\"tools\":[{\"name\":\"hello\",\"version\":\"1.0.0\","
                + "\"description\":\"Says hello\"}]}"));
        dist = dir.resolve("toka-1.0");
        Files.createDirectories(dist.resolve("bin"));
        Files.copy(Path.of(script), dist.resolve("bin/toka"), StandardCopyOption.COPY_ATTRIBUTES);
        Files.setPosixFilePermissions(dist.resolve("bin/toka"), PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.createDirectories(dist.resolve("clients"));
        jar(dist.resolve("clients/toka-cli.jar"));
        Path admin = dist.resolve("data/toka/admin.token");
        Files.createDirectories(admin.getParent());
        Files.writeString(admin, toka.token + "\n");
        Files.setPosixFilePermissions(admin, PosixFilePermissions.fromString("rw-------"));
    }

    @AfterEach
    void stop() {
        if (toka != null) {
            toka.close();
        }
    }

    static Path java() {
        return Path.of(System.getProperty("java.home"), "bin", "java");
    }

    private static Run run(List<String> command, Map<String, String> env) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().clear();
        pb.environment().putAll(env);
        Process p = pb.start();
        p.getOutputStream().close();
        var out = p.getInputStream().readAllBytes();
        var err = p.getErrorStream().readAllBytes();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8));
    }

    @Test
    void runsWithTheDistributionsAdminTokenAndJavaHome() throws Exception {
        Run r = run(List.of(dist.resolve("bin/toka").toString(), "--url", toka.url(), "tools", "list"),
                Map.of("JAVA_HOME", System.getProperty("java.home"), "PATH", "/usr/bin:/bin"));
        assertThat(r.err()).isEmpty();
        assertThat(r.status()).isZero();
        assertThat(r.out()).containsPattern("hello +1\\.0\\.0 +Says hello");
        assertThat(toka.requests("GET", "/tools").get(0).header("Authorization")).isEqualTo("Bearer " + toka.token);
        assertThat(toka.requests("GET", "/tools").get(0).header("User-Agent")).startsWith("toka-cli/");
    }

    @Test
    void findsItsDistributionThroughASymlinkAndJavaOnThePath() throws Exception {
        Path link = dir.resolve("elsewhere/toka");
        Files.createDirectories(link.getParent());
        Files.createSymbolicLink(link, dist.resolve("bin/toka"));
        Map<String, String> env = Map.of("PATH", java().getParent() + ":/usr/bin:/bin", "TOKA_URL", toka.url());
        Run list = run(List.of(link.toString(), "tools", "list"), env);
        assertThat(list.status()).isZero();
        assertThat(list.out()).contains("hello");
        Run help = run(List.of(link.toString(), "--help"), env);
        assertThat(help.status()).isZero();
        assertThat(help.out()).contains("Usage: toka [options] GROUP COMMAND");
    }

    @Test
    void refusesATokenArgumentAndAMissingJar() throws Exception {
        Map<String, String> env = Map.of("JAVA_HOME", System.getProperty("java.home"));
        Run token = run(List.of(dist.resolve("bin/toka").toString(), "tools", "list", "--token", "secret-value"), env);
        assertThat(token.status()).isEqualTo(2);
        assertThat(token.err()).contains("refusing --token").doesNotContain("secret-value");
        Files.delete(dist.resolve("clients/toka-cli.jar"));
        Run missing = run(List.of(dist.resolve("bin/toka").toString(), "--version"), env);
        assertThat(missing.status()).isEqualTo(2);
        assertThat(missing.err()).contains("clients/toka-cli.jar is missing");
        assertThat(missing.out()).isEmpty();
    }

    @Test
    void saysSoWhenThereIsNoJava() throws Exception {
        Path empty = Files.createDirectories(dir.resolve("empty-path"));
        Path bash = Files.isExecutable(Path.of("/bin/bash")) ? Path.of("/bin/bash") : Path.of("/usr/bin/bash");
        Run r = run(List.of(bash.toString(), dist.resolve("bin/toka").toString(), "--version"),
                Map.of("PATH", empty.toString(), "JAVA_HOME", dir.resolve("no-jdk").toString()));
        assertThat(r.status()).isEqualTo(2);
        assertThat(r.err()).contains("has no bin/java").contains("no Java found");
    }

    /** A runnable jar of this module's classes, with the Jackson jars and the shared client classes on its Class-Path. */
    private static void jar(Path target) throws IOException, URISyntaxException {
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        manifest.getMainAttributes().put(Attributes.Name.MAIN_CLASS, Main.class.getName());
        List<Path> deps = new ArrayList<>();
        for (Class<?> c : List.of(ObjectMapper.class, com.fasterxml.jackson.core.JsonFactory.class,
                com.fasterxml.jackson.annotation.JsonProperty.class, YAMLFactory.class, org.yaml.snakeyaml.Yaml.class,
                io.toka.client.SseReader.class)) {
            deps.add(Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()));
        }
        manifest.getMainAttributes().put(Attributes.Name.CLASS_PATH,
                deps.stream().map(p -> p.toUri().toString()).collect(Collectors.joining(" ")));
        Path classes = Path.of(Main.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        try (OutputStream out = Files.newOutputStream(target); JarOutputStream jar = new JarOutputStream(out, manifest);
             Stream<Path> files = Files.walk(classes)) {
            for (Path p : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
                jar.putNextEntry(new JarEntry(classes.relativize(p).toString().replace(File.separatorChar, '/')));
                Files.copy(p, jar);
                jar.closeEntry();
            }
        }
    }
}
