package io.toka.itest;

import static org.awaitility.Awaitility.await;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.junit.After;
import org.junit.Test;

/**
 * Toka's features in a stock Apache Karaf: the plain apache-karaf tar.gz from Maven Central (not Toka's assembly),
 * started with bin/start, gets Toka the way an operator adds it to a Karaf of their own, over SSH with bin/client:
 * {@code feature:repo-add mvn:io.toka/features/<version>/xml/features}, then {@code feature:install toka}. Then a
 * tool call over HTTP with the admin token Toka wrote.
 *
 * <p>The artifacts come from the features module's offline KAR (every bundle and configuration file of Toka's
 * features, built in this reactor), made one of pax-url's default repositories, so that no stale snapshot of
 * ~/.m2 and no remote repository is involved; Karaf's own standard features come from its system/ folder and the
 * build's local repository. The operator steps this test takes are the README's ("Install into your own Karaf").
 */
public class StockKarafIT {

    private static final int HTTP_PORT = Integer.getInteger("toka.stock.http.port", 28581);
    private static final int SSH_PORT = Integer.getInteger("toka.stock.ssh.port", 28501);
    private static final int RMI_REGISTRY_PORT = Integer.getInteger("toka.stock.rmi.registry.port", 28502);
    private static final int RMI_SERVER_PORT = Integer.getInteger("toka.stock.rmi.server.port", 28503);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private Path home;

    @After
    public void stop() throws Exception {
        if (home == null || !Files.exists(home.resolve("bin/stop"))) {
            return;
        }
        Properties instances = new Properties();
        Path file = home.resolve("instances/instance.properties");
        if (Files.exists(file)) {
            try (InputStream in = Files.newInputStream(file)) {
                instances.load(in);
            }
        }
        exec(home, 60, home.resolve("bin/stop").toString());
        String pid = instances.getProperty("item.0.pid");
        if (pid != null) {
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() ->
                    ProcessHandle.of(Long.parseLong(pid.trim())).map(p -> !p.isAlive()).orElse(true));
        }
    }

    @Test
    public void featuresInstallIntoStockKarafAndServeAToolCall() throws Exception {
        String version = System.getProperty("toka.version");
        Path dir = Path.of("target", "stock-karaf").toAbsolutePath();
        Distribution.deleteTree(dir);
        Files.createDirectories(dir);
        Path karafTarGz = existing("toka.karaf.distribution");
        Distribution.run(dir, "tar", "-xzf", karafTarGz.toString(), "-C", dir.toString());
        try (Stream<Path> s = Files.list(dir)) {
            home = s.filter(p -> p.getFileName().toString().startsWith("apache-karaf-")).findFirst().orElseThrow();
        }
        assertFalse("a stock Karaf, not Toka's assembly", Files.exists(home.resolve("bin/toka")));
        Path repository = unzip(existing("toka.features.kar"), dir.resolve("toka-offline")).resolve("repository");

        // --- the operator's preparation (README, "Install into your own Karaf") ---
        // pax-url: Toka's offline repository first, nothing remote
        Files.writeString(home.resolve("etc/org.ops4j.pax.url.mvn.cfg"), String.join("\n",
                "org.ops4j.pax.url.mvn.certificateCheck = true",
                "org.ops4j.pax.url.mvn.useFallbackRepositories = false",
                "org.ops4j.pax.url.mvn.localRepository = " + System.getProperty("maven.repo.local"),
                "org.ops4j.pax.url.mvn.defaultRepositories = " + repository.toUri() + "@id=toka.offline@snapshots, "
                        + "${karaf.home.uri}${karaf.default.repository}@id=system.repository@snapshots, "
                        + "${karaf.data.uri}kar@id=kar.repository@multi@snapshots",
                "org.ops4j.pax.url.mvn.repositories =", ""));
        // FileInstall's write-back (enableConfigSave) rewrites a .cfg in place, truncating it first, after every
        // configuration event, and its own scanner can read the file in that moment: it then updates the
        // configuration to empty and writes that back, emptying the file for good (seen twice in CI on
        // io.toka.security.cfg, right after feature:install copied it). The race is FileInstall's, not the features';
        // with the write-back off, this test checks what the features install (README, "Install into your own Karaf")
        Distribution.replace(home.resolve("etc/config.properties"), "felix.fileinstall.enableConfigSave = true",
                "felix.fileinstall.enableConfigSave = false");
        // Felix HTTP waits for its configuration instead of starting on its default (8080, every interface) first
        Files.writeString(home.resolve("etc/custom.properties"), "\norg.apache.felix.http.require.config = true\n",
                StandardOpenOption.APPEND);
        // this test's ports; Toka's HTTP configuration file is written first, so the feature keeps it
        Distribution.replace(home.resolve("etc/org.apache.karaf.shell.cfg"), "sshPort = 8101", "sshPort = " + SSH_PORT);
        Distribution.replace(home.resolve("etc/org.apache.karaf.shell.cfg"), "sshHost = 0.0.0.0", "sshHost = 127.0.0.1");
        Distribution.replace(home.resolve("etc/org.apache.karaf.management.cfg"), "rmiRegistryPort = 1099",
                "rmiRegistryPort = " + RMI_REGISTRY_PORT);
        Distribution.replace(home.resolve("etc/org.apache.karaf.management.cfg"), "rmiServerPort = 44444",
                "rmiServerPort = " + RMI_SERVER_PORT);
        String httpCfg = "org.osgi.service.http.port = " + HTTP_PORT + "\norg.apache.felix.http.host = 127.0.0.1\n";
        Files.writeString(home.resolve("etc/org.apache.felix.http.cfg"), httpCfg);
        // a shell user for bin/client (Karaf ships none)
        byte[] random = new byte[15];
        new SecureRandom().nextBytes(random);
        String password = Base64.getUrlEncoder().withoutPadding().encodeToString(random);
        Files.writeString(home.resolve("etc/users.properties"), "\noperator = " + password + ",_g_:admingroup\n"
                + "_g_\\:admingroup = group,admin,manager,viewer,systembundles,ssh\n", StandardOpenOption.APPEND);
        Files.createDirectories(home.resolve("workspace"));
        Files.writeString(home.resolve("workspace/notes.txt"), "written before Toka was installed\n");

        // --- start the stock Karaf, then add Toka ---
        long t0 = System.nanoTime();
        Distribution.run(home, home.resolve("bin/start").toString());
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofSeconds(1)).until(() ->
                client(password, 30, "bundle:list -t 0 | head -n 1").exitCode() == 0);
        System.out.printf("stock Karaf %s answers over SSH after %d ms%n", System.getProperty("karaf.version"),
                (System.nanoTime() - t0) / 1_000_000);

        long t1 = System.nanoTime();
        ClientResult install = client(password, 600,
                "feature:repo-add mvn:io.toka/features/" + version + "/xml/features",
                "feature:install toka");
        assertEquals(install.output(), 0, install.exitCode());
        assertFalse(install.output(), install.output().contains("Error executing command"));
        String url = "http://127.0.0.1:" + HTTP_PORT;
        Path tokenFile = home.resolve("data/toka/admin.token");
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(250)).ignoreExceptions().until(() ->
                get(url + "/api/v1/health", null).statusCode() == 200 && Files.size(tokenFile) > 0);
        System.out.printf("feature:repo-add + feature:install toka: HTTP API healthy after %d ms%n",
                (System.nanoTime() - t1) / 1_000_000);

        ClientResult listed = client(password, 60, "feature:list -i");
        for (String feature : List.of("toka", "toka-core", "toka-http", "toka-mcp", "toka-felix-http")) {
            assertTrue(feature + " installed and started: " + listed.output(), java.util.regex.Pattern.compile(
                    "(?m)^" + java.util.regex.Pattern.quote(feature) + "\\s+\\|[^\\n]*\\|\\s*Started\\s*\\|")
                    .matcher(listed.output()).find());
        }

        // the features' configuration files: the distribution's, except the HTTP one the operator wrote first
        Path distributionEtc = Path.of(System.getProperty("toka.distribution.etc"));
        try (Stream<Path> s = Files.list(distributionEtc)) {
            for (Path cfg : s.filter(p -> p.getFileName().toString().matches("io\\.toka\\..*\\.cfg")).toList()) {
                Path installed = home.resolve("etc").resolve(cfg.getFileName());
                assertTrue(cfg.getFileName() + " installed by the features", Files.exists(installed));
                String expected = Files.readString(cfg);
                try {
                    await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
                            .until(() -> expected.equals(Files.readString(installed)));
                } catch (org.awaitility.core.ConditionTimeoutException e) {
                    String pid = cfg.getFileName().toString().replaceFirst("\\.cfg$", "");
                    String log = Files.readString(home.resolve("data/log/karaf.log"), StandardCharsets.ISO_8859_1);
                    String mentions = log.lines().filter(l -> l.contains(pid))
                            .collect(java.util.stream.Collectors.joining("\n"));
                    assertEquals(cfg.getFileName() + " (karaf.log about " + pid + ":\n" + mentions + ")", expected,
                            Files.readString(installed));
                }
            }
        }
        assertEquals("configfile override=false keeps the operator's file", httpCfg,
                Files.readString(home.resolve("etc/org.apache.felix.http.cfg")));
        assertTrue(Files.exists(home.resolve("etc/toka/agents/workspace-summarizer.yaml")));

        // a tool call over HTTP with the admin token
        String token = Files.readString(tokenFile).trim();
        HttpResponse<String> call = post(url + "/api/v1/tools/file-reader/invoke", token,
                "{\"arguments\":{\"path\":\"notes.txt\"}}");
        assertEquals(call.body(), 200, call.statusCode());
        JsonNode result = JSON.readTree(call.body());
        assertTrue(call.body(), result.get("success").asBoolean());
        assertEquals("written before Toka was installed\n", result.get("output").asText());
        // and without a token, none
        assertEquals(401, post(url + "/api/v1/tools/file-reader/invoke", null,
                "{\"arguments\":{\"path\":\"notes.txt\"}}").statusCode());

        String log = Files.readString(home.resolve("data/log/karaf.log"), StandardCharsets.ISO_8859_1);
        assertFalse("Felix HTTP never listened on its default port", log.contains("HTTP:8080"));
        assertTrue("Jetty on the configured port", log.contains("HTTP:" + HTTP_PORT));
    }

    private record ClientResult(int exitCode, String output) {
    }

    /** bin/client in batch mode (-b), one command per line on its standard input. */
    private ClientResult client(String password, int timeoutSeconds, String... commands) throws Exception {
        Path out = home.resolve("client.log");
        ProcessBuilder pb = new ProcessBuilder(home.resolve("bin/client").toString(), "-h", "127.0.0.1",
                "-a", String.valueOf(SSH_PORT), "-u", "operator", "-p", password, "-b")
                .directory(home.toFile()).redirectErrorStream(true).redirectOutput(out.toFile());
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        Process client = pb.start();
        try (var in = client.getOutputStream()) {
            in.write((String.join("\n", commands) + "\n").getBytes(StandardCharsets.UTF_8));
        }
        if (!client.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            client.destroyForcibly().waitFor();
            return new ClientResult(-1, "timed out after " + timeoutSeconds + " s: " + Files.readString(out));
        }
        return new ClientResult(client.exitValue(), Files.readString(out));
    }

    private HttpResponse<String> get(String url, String token) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> post(String url, String token, String json) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30))
                .POST(HttpRequest.BodyPublishers.ofString(json)).header("Content-Type", "application/json");
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static Path existing(String property) {
        String value = System.getProperty(property);
        if (value == null || !new File(value).isFile()) {
            throw new IllegalStateException("no file at " + property + "=" + value);
        }
        return Path.of(value).toAbsolutePath();
    }

    private static Path unzip(Path zip, Path target) throws IOException {
        Files.createDirectories(target);
        try (ZipInputStream in = new ZipInputStream(Files.newInputStream(zip))) {
            for (ZipEntry e; (e = in.getNextEntry()) != null; ) {
                Path to = target.resolve(e.getName()).normalize();
                if (!to.startsWith(target)) {
                    throw new IOException("entry outside the target: " + e.getName());
                }
                if (e.isDirectory()) {
                    Files.createDirectories(to);
                } else {
                    Files.createDirectories(to.getParent());
                    Files.copy(in, to, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
        return target;
    }

    private static int exec(Path dir, int timeoutSeconds, String... command) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(dir.resolve("command.log").toFile());
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        Process p = pb.start();
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor();
            return -1;
        }
        return p.exitValue();
    }
}
