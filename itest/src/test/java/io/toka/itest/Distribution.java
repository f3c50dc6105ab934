package io.toka.itest;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Properties;
import java.util.stream.Stream;

/**
 * The real distribution (karaf-assembly's tar.gz, system property {@code toka.assembly}) unpacked under
 * {@code target/<name>}, on its own HTTP and SSH ports, started and stopped with bin/start and bin/stop. For tests
 * that need the product as an operator runs it rather than a Pax Exam container.
 */
final class Distribution implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path home;
    private final int httpPort;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private Distribution(Path home, int httpPort) {
        this.home = home;
        this.httpPort = httpPort;
    }

    /** Unpacks a fresh copy into target/{@code name} (deleting an old one) and sets its ports. */
    static Distribution unpack(String name, int httpPort, int sshPort) throws IOException, InterruptedException {
        String assembly = System.getProperty("toka.assembly");
        if (assembly == null || !new File(assembly).isFile()) {
            throw new IllegalStateException("no distribution at toka.assembly=" + assembly
                    + " (build karaf-assembly first)");
        }
        Path dir = Path.of("target", name).toAbsolutePath();
        deleteTree(dir);
        Files.createDirectories(dir);
        run(dir, "tar", "-xzf", new File(assembly).getAbsolutePath(), "-C", dir.toString());
        Path home;
        try (Stream<Path> s = Files.list(dir)) {
            home = s.filter(Files::isDirectory).findFirst().orElseThrow();
        }
        replace(home.resolve("etc/org.apache.felix.http.cfg"), "org.osgi.service.http.port = 8181",
                "org.osgi.service.http.port = " + httpPort);
        replace(home.resolve("etc/org.apache.karaf.shell.cfg"), "sshPort = 8101", "sshPort = " + sshPort);
        return new Distribution(home, httpPort);
    }

    Path home() {
        return home;
    }

    int httpPort() {
        return httpPort;
    }

    /** http://127.0.0.1:port + path. */
    String url(String path) {
        return "http://127.0.0.1:" + httpPort + path;
    }

    Path adminTokenFile() {
        return home.resolve("data/toka/admin.token");
    }

    String adminToken() throws IOException {
        return Files.readString(adminTokenFile()).trim();
    }

    /** bin/start, then waits until the HTTP API is healthy and the admin token is written. */
    void start() throws Exception {
        run(home, home.resolve("bin/start").toString());
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200)).ignoreExceptions().until(() ->
                http.send(HttpRequest.newBuilder(URI.create(url("/api/v1/health"))).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode() == 200
                        && Files.size(adminTokenFile()) > 0);
    }

    /** bin/stop, then waits until the JVM is gone: bin/karaf refuses to start while the old root instance lives. */
    void stop() throws Exception {
        Properties instances = new Properties();
        Path file = home.resolve("instances/instance.properties");
        if (Files.exists(file)) {
            try (var in = Files.newInputStream(file)) {
                instances.load(in);
            }
        }
        exitCode(home, home.resolve("bin/stop").toString());
        String pid = instances.getProperty("item.0.pid");
        if (pid != null) {
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() ->
                    ProcessHandle.of(Long.parseLong(pid.trim())).map(p -> !p.isAlive()).orElse(true));
        }
    }

    @Override
    public void close() throws Exception {
        stop();
    }

    /** One request to Toka's HTTP port with a Bearer token; json null sends no body. */
    HttpResponse<String> send(String method, String path, String token, String json) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url(path)))
                .timeout(Duration.ofSeconds(30))
                .method(method, json == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(json))
                .header("Authorization", "Bearer " + token);
        if (json != null) {
            b.header("Content-Type", "application/json");
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Issues a token with the admin token (POST /api/v1/tokens) and returns it. */
    String mintToken(String subject, List<String> permissions, long ttlSeconds) throws Exception {
        ObjectNode body = JSON.createObjectNode().put("subject", subject).put("ttlSeconds", ttlSeconds);
        permissions.forEach(body.putArray("permissions")::add);
        HttpResponse<String> r = send("POST", "/api/v1/tokens", adminToken(), body.toString());
        if (r.statusCode() != 201) {
            throw new IllegalStateException("POST /api/v1/tokens answered " + r.statusCode() + ": " + r.body());
        }
        return JSON.readTree(r.body()).get("token").asText();
    }

    /** Every stored event that a query (e.g. {@code kind=tool.invoked&subject=bob}) matches, page by page. */
    List<JsonNode> events(String query) throws Exception {
        List<JsonNode> all = new java.util.ArrayList<>();
        String after = null;
        do {
            HttpResponse<String> r = send("GET", "/api/v1/events?limit=1000&" + query
                    + (after == null ? "" : "&after=" + after), adminToken(), null);
            if (r.statusCode() != 200) {
                throw new IllegalStateException("GET /api/v1/events answered " + r.statusCode() + ": " + r.body());
            }
            JsonNode page = JSON.readTree(r.body());
            page.get("events").forEach(all::add);
            after = page.get("next").isNull() ? null : page.get("next").asText();
        } while (after != null);
        return all;
    }

    static void run(Path dir, String... command) throws IOException, InterruptedException {
        int code = exitCode(dir, command);
        if (code != 0) {
            throw new IllegalStateException(String.join(" ", command) + " exited with " + code + ": "
                    + Files.readString(dir.resolve("command.log")));
        }
    }

    private static int exitCode(Path dir, String... command) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(dir.resolve("command.log").toFile());
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        return pb.start().waitFor();
    }

    static void replace(Path file, String from, String to) throws IOException {
        String s = Files.readString(file, StandardCharsets.ISO_8859_1);
        if (!s.contains(from)) {
            throw new IllegalStateException(file + " has no '" + from + "'");
        }
        Files.writeString(file, s.replace(from, to), StandardCharsets.ISO_8859_1);
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
