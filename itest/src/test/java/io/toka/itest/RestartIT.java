package io.toka.itest;

import static org.awaitility.Awaitility.await;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;

/**
 * A real restart of the real distribution (bin/start, bin/stop): a key rotation keeps tokens signed with the
 * previous key valid through the overlap, and keys and revocations survive the restart. Also the shell login of the
 * real distribution, over SSH with bin/client, against the hashed passwords in etc/users.properties. Not Pax Exam:
 * Pax Exam cannot restart its container, and configures its own users.
 */
public class RestartIT {

    private static final String PORT = System.getProperty("toka.restart.http.port", "28381");
    private static final String SSH_PORT = System.getProperty("toka.restart.ssh.port", "28301");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private Path home;

    @Before
    public void unpack() throws Exception {
        Path dir = Path.of("target", "restart").toAbsolutePath();
        deleteTree(dir);
        Files.createDirectories(dir);
        run(dir, "tar", "-xzf", new File(System.getProperty("toka.assembly")).getAbsolutePath(), "-C", dir.toString());
        try (Stream<Path> s = Files.list(dir)) {
            home = s.filter(Files::isDirectory).findFirst().orElseThrow();
        }
        replace(home.resolve("etc/org.apache.felix.http.cfg"), "org.osgi.service.http.port = 8181",
                "org.osgi.service.http.port = " + PORT);
        replace(home.resolve("etc/org.apache.karaf.shell.cfg"), "sshPort = 8101", "sshPort = " + SSH_PORT);
    }

    @After
    public void stop() throws Exception {
        if (home != null) {
            stopKaraf();
        }
    }

    @Test
    public void rotationOverlapAndRevocationsSurviveARestart() throws Exception {
        startKaraf();
        Path tokenFile = home.resolve("data/toka/admin.token");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(tokenFile)));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(home.resolve("data/toka/keys.json"))));
        String before = Files.readString(tokenFile).trim();
        String oldKid = keys(before).get(0).get("kid").asText();

        HttpResponse<String> revokeMe = send("POST", "/api/v1/tokens", before,
                "{\"subject\":\"short-lived\",\"permissions\":[\"tool:read\"],\"ttlSeconds\":3600}");
        assertEquals(201, revokeMe.statusCode());
        JsonNode issued = JSON.readTree(revokeMe.body());
        String revoked = issued.get("token").asText();
        assertEquals(200, send("DELETE", "/api/v1/tokens/" + issued.get("jti").asText(), before, null).statusCode());

        HttpResponse<String> rotated = send("POST", "/api/v1/keys/rotate", before, null);
        assertEquals(201, rotated.statusCode());
        String newKid = JSON.readTree(rotated.body()).get("kid").asText();
        assertNotEquals(oldKid, newKid);
        await().atMost(Duration.ofSeconds(10)).until(() -> !Files.readString(tokenFile).trim().equals(before));
        String after = Files.readString(tokenFile).trim();
        assertEquals("the overlap keeps the old token valid", 200, send("GET", "/api/v1/tools", before, null).statusCode());

        stopKaraf();
        startKaraf();

        assertEquals("old-key token still valid after restart", 200, send("GET", "/api/v1/tools", before, null).statusCode());
        assertEquals(200, send("GET", "/api/v1/tools", after, null).statusCode());
        assertEquals("revocation survived the restart", 401, send("GET", "/api/v1/tools", revoked, null).statusCode());
        JsonNode keys = keys(after);
        assertEquals(2, keys.size());
        assertEquals(newKid, keys.get(0).get("kid").asText());
        assertTrue(keys.get(0).get("active").asBoolean());
        assertEquals(oldKid, keys.get(1).get("kid").asText());
        assertFalse(keys.get(1).get("active").asBoolean());
        assertTrue(keys.get(1).get("validUntil").isTextual());
        assertFalse("no key material over HTTP", keys.toString().contains("secret"));
    }

    @Test
    public void killedUnderLoadLosesNoAcknowledgedCall() throws Exception {
        // the load is one subject: lift its limits so that the calls, not the limiter, are measured
        Files.writeString(home.resolve("etc/io.toka.ratelimit.cfg"), "requestsPerMinute = 100000000\nburst = 1000000\n",
                StandardOpenOption.APPEND);
        Files.createDirectories(home.resolve("workspace"));
        Files.writeString(home.resolve("workspace/crash.txt"), "crash\n");
        startKaraf();
        String admin = Files.readString(home.resolve("data/toka/admin.token")).trim();
        HttpResponse<String> issued = send("POST", "/api/v1/tokens", admin, "{\"subject\":\"crash-load\","
                + "\"permissions\":[\"tool:invoke:file-reader\",\"filesystem:read\"],\"ttlSeconds\":3600}");
        assertEquals(issued.body(), 201, issued.statusCode());
        String token = JSON.readTree(issued.body()).get("token").asText();

        java.util.concurrent.atomic.AtomicLong acknowledged = new java.util.concurrent.atomic.AtomicLong();
        java.util.concurrent.atomic.AtomicBoolean crashed = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.ExecutorService callers = java.util.concurrent.Executors.newFixedThreadPool(8);
        for (int i = 0; i < 8; i++) {
            callers.submit(() -> {
                while (!crashed.get()) {
                    try {
                        HttpResponse<String> r = send("POST", "/api/v1/tools/file-reader/invoke", token,
                                "{\"arguments\":{\"path\":\"crash.txt\"}}");
                        if (r.statusCode() == 200 && r.body().contains("\"success\":true")) {
                            acknowledged.incrementAndGet();
                        }
                    } catch (Exception connectionLost) {
                        // the JVM is gone: whatever was not answered was not acknowledged
                    }
                }
                return null;
            });
        }
        await().atMost(Duration.ofSeconds(60)).until(() -> acknowledged.get() >= 2000);
        java.util.Properties instances = new java.util.Properties();
        try (var in = Files.newInputStream(home.resolve("instances/instance.properties"))) {
            instances.load(in);
        }
        long pid = Long.parseLong(instances.getProperty("item.0.pid").trim());
        // kill -9 while the calls are in full flight
        run(home, "kill", "-9", Long.toString(pid));
        await().atMost(Duration.ofSeconds(30)).until(() -> ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true));
        crashed.set(true);
        callers.shutdown();
        assertTrue(callers.awaitTermination(60, java.util.concurrent.TimeUnit.SECONDS));
        long acked = acknowledged.get();

        startKaraf();
        String adminAfter = Files.readString(home.resolve("data/toka/admin.token")).trim();
        long stored = count(adminAfter, "kind=tool.invoked&subject=crash-load");
        long audited = count(adminAfter, "kind=audit.recorded&subject=crash-load");
        assertTrue("acknowledged " + acked + " calls, stored " + stored + " tool.invoked events", stored >= acked);
        assertTrue("acknowledged " + acked + " calls, stored " + audited + " audit records", audited >= acked);
    }

    /** Counts the events a query matches, page by page. */
    private long count(String token, String query) throws Exception {
        long n = 0;
        String after = null;
        do {
            HttpResponse<String> r = send("GET", "/api/v1/events?limit=1000&" + query
                    + (after == null ? "" : "&after=" + after), token, null);
            assertEquals(r.body(), 200, r.statusCode());
            JsonNode page = JSON.readTree(r.body());
            n += page.get("events").size();
            after = page.get("next").isNull() ? null : page.get("next").asText();
        } while (after != null);
        return n;
    }

    @Test
    public void shellPasswordsAreHashedAtRestAndTheHashedLoginWorks() throws Exception {
        startKaraf();
        Path users = home.resolve("etc/users.properties");
        String password = Files.readString(home.resolve("data/toka/shell.password")).trim();
        String stored = Files.readString(users, StandardCharsets.ISO_8859_1);
        assertFalse("no plain password in users.properties:\n" + stored, stored.contains(password));
        // SHA-512 in upper-case hex between the markers, as etc/org.apache.karaf.jaas.cfg tells Karaf to check
        assertTrue(stored, Pattern.compile("(?m)^admin = \\{CRYPT}[0-9A-F]{128}\\{CRYPT},_g_:admingroup$")
                .matcher(stored).find());
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).ignoreExceptions().until(() -> {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", Integer.parseInt(SSH_PORT)), 1000);
                return true;
            }
        });

        String ok = shell("admin", password, 0);
        assertTrue(ok, ok.contains("file-reader"));
        String refused = shell("admin", password + "x", 1);
        assertFalse(refused, refused.contains("file-reader"));

        // a user an operator appends in plain text is hashed by Karaf, and logs in with the plain password
        Files.writeString(users, "operator = op-Secret-42,_g_:admingroup\n", StandardCharsets.ISO_8859_1,
                StandardOpenOption.APPEND);
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200)).until(() ->
                Files.readString(users, StandardCharsets.ISO_8859_1).contains("operator = {CRYPT}"));
        assertFalse(Files.readString(users, StandardCharsets.ISO_8859_1).contains("op-Secret-42"));
        assertTrue(shell("operator", "op-Secret-42", 0).contains("file-reader"));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(users)));
    }

    /** Runs toka:tool-list through bin/client (SSH) as the user, expects the exit code, and returns the output. */
    private String shell(String user, String password, int expectedExit) throws Exception {
        Path out = home.resolve("client-" + user + ".log");
        ProcessBuilder pb = new ProcessBuilder(home.resolve("bin/client").toString(), "-h", "127.0.0.1", "-a", SSH_PORT,
                "-u", user, "-p", password, "-b").directory(home.toFile()).redirectErrorStream(true)
                .redirectOutput(out.toFile());
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        Process client = pb.start();
        try (var in = client.getOutputStream()) {
            in.write("toka:tool-list\n".getBytes(StandardCharsets.UTF_8));
        }
        if (!client.waitFor(60, TimeUnit.SECONDS)) {
            client.destroyForcibly();
            throw new IllegalStateException("bin/client as " + user + " did not finish: " + Files.readString(out));
        }
        String output = Files.readString(out);
        assertEquals(user + ": " + output, expectedExit, client.exitValue());
        return output;
    }

    private JsonNode keys(String token) throws Exception {
        HttpResponse<String> r = send("GET", "/api/v1/keys", token, null);
        assertEquals(r.body(), 200, r.statusCode());
        return JSON.readTree(r.body()).get("keys");
    }

    private HttpResponse<String> send(String method, String path, String token, String json) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + PORT + path))
                .method(method, json == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(json))
                .header("Authorization", "Bearer " + token);
        if (json != null) {
            b.header("Content-Type", "application/json");
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private void startKaraf() throws Exception {
        run(home, home.resolve("bin/start").toString());
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200)).ignoreExceptions().until(() ->
                http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + PORT + "/api/v1/health")).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode() == 200
                        && Files.size(home.resolve("data/toka/admin.token")) > 0
                        // each API area is its own servlet, registered as its services arrive: /health can answer
                        // before /events does (a 404 then), so wait for the area the tests read
                        && send("GET", "/api/v1/events?limit=1",
                                Files.readString(home.resolve("data/toka/admin.token")).trim(), null).statusCode() == 200);
    }

    /** Stops Karaf and waits until its JVM is gone: bin/karaf refuses to start while the old root instance lives. */
    private void stopKaraf() throws Exception {
        java.util.Properties instances = new java.util.Properties();
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

    private static void run(Path dir, String... command) throws IOException, InterruptedException {
        int code = exitCode(dir, command);
        if (code != 0) {
            throw new IllegalStateException(String.join(" ", command) + " exited with " + code);
        }
    }

    private static int exitCode(Path dir, String... command) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(dir.resolve("command.log").toFile());
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        return pb.start().waitFor();
    }

    private static void replace(Path file, String from, String to) throws IOException {
        String s = Files.readString(file, StandardCharsets.ISO_8859_1);
        if (!s.contains(from)) {
            throw new IllegalStateException(file + " has no '" + from + "'");
        }
        Files.writeString(file, s.replace(from, to), StandardCharsets.ISO_8859_1);
    }

    private static void deleteTree(Path dir) throws IOException {
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
