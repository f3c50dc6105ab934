package io.toka.itest;

import static org.ops4j.pax.exam.CoreOptions.mavenBundle;
import static org.ops4j.pax.exam.CoreOptions.systemProperty;
import static org.ops4j.pax.exam.CoreOptions.systemTimeout;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.configureConsole;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.editConfigurationFilePut;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.karafDistributionConfiguration;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.logLevel;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.toka.tool.Tool;
import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Hashtable;
import java.util.List;
import javax.inject.Inject;
import org.junit.After;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.karaf.options.LogLevelOption.LogLevel;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceRegistration;

/** Boots the real Toka distribution (karaf-assembly's tar.gz) once per test class. */
public abstract class TestSupport {

    static final String HTTP_PORT = System.getProperty("toka.http.port", "28181");
    static final ObjectMapper JSON = new ObjectMapper();

    @Inject
    protected BundleContext bundleContext;

    private final List<ServiceRegistration<?>> registrations = new ArrayList<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @Configuration
    public Option[] config() {
        String repo = System.getProperty("maven.repo.local", System.getProperty("user.home") + "/.m2/repository");
        String port = System.getProperty("toka.http.port", "28181");
        Option keep = Boolean.getBoolean("toka.itest.keep")
                ? org.ops4j.pax.exam.karaf.options.KarafDistributionOption.keepRuntimeFolder()
                : org.ops4j.pax.exam.CoreOptions.vmOption("-Dtoka.itest=true");
        return new Option[] {
            keep,
            karafDistributionConfiguration()
                    .frameworkUrl(new File(System.getProperty("toka.assembly")).toURI().toString())
                    .karafVersion(System.getProperty("karaf.version"))
                    .name("toka")
                    .unpackDirectory(new File("target/exam"))
                    .useDeployFolder(false),
            configureConsole().ignoreLocalConsole(),
            logLevel(Boolean.getBoolean("toka.itest.keep") ? LogLevel.INFO : LogLevel.WARN),
            // a loaded 2-core machine can take long to boot the distribution with all its features
            systemTimeout(300_000),
            editConfigurationFilePut("etc/org.apache.felix.http.cfg", "org.osgi.service.http.port", port),
            editConfigurationFilePut("etc/org.apache.karaf.shell.cfg", "sshPort", System.getProperty("toka.ssh.port", "28101")),
            editConfigurationFilePut("etc/org.ops4j.pax.url.mvn.cfg", "org.ops4j.pax.url.mvn.localRepository", repo),
            // the tests send many requests as admin; SecurityIT lowers the limits itself to test 429
            editConfigurationFilePut("etc/io.toka.ratelimit.cfg", "requestsPerMinute", "1000000"),
            editConfigurationFilePut("etc/io.toka.ratelimit.cfg", "burst", "100000"),
            systemProperty("toka.http.port").value(port),
            systemProperty("toka.hello.jar").value(new File(System.getProperty("toka.hello.jar")).getAbsolutePath()),
            mavenBundle("org.hamcrest", "hamcrest", "2.2"),
            mavenBundle("org.awaitility", "awaitility", "4.3.0"),
        };
    }

    /** Registers a Tool service from the test probe; unregistered after the test. */
    protected ServiceRegistration<Tool> registerTool(String name, Tool tool, int ranking) {
        Hashtable<String, Object> props = new Hashtable<>();
        props.put(Tool.NAME, name);
        props.put(Constants.SERVICE_RANKING, ranking);
        ServiceRegistration<Tool> reg = bundleContext.registerService(Tool.class, tool, props);
        registrations.add(reg);
        return reg;
    }

    @After
    public void unregisterTools() {
        for (ServiceRegistration<?> r : registrations) {
            try {
                r.unregister();
            } catch (IllegalStateException alreadyGone) {
                // the test unregistered it itself
            }
        }
        registrations.clear();
    }

    /** A response: status, content type, headers and parsed JSON body. */
    protected record Response(int status, String contentType, JsonNode body, java.net.http.HttpHeaders headers) {
        String header(String name) {
            return headers.firstValue(name).orElse(null);
        }
    }

    /** The bootstrap admin token (permission *) that Toka writes to data/toka/admin.token at first start. */
    protected String adminToken() {
        Path file = Path.of(System.getProperty("karaf.data"), "toka", "admin.token");
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> Files.isRegularFile(file)
                && Files.size(file) > 0);
        try {
            return Files.readString(file).trim();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** GET as admin. */
    protected Response get(String path) throws IOException, InterruptedException {
        return request("GET", path, adminToken(), null, null);
    }

    /** POST as admin. */
    protected Response post(String path, String contentType, byte[] body) throws IOException, InterruptedException {
        return request("POST", path, adminToken(), contentType, body);
    }

    /** POST JSON as admin. */
    protected Response postJson(String path, String json) throws IOException, InterruptedException {
        return postJson(path, json, adminToken());
    }

    protected Response postJson(String path, String json, String token) throws IOException, InterruptedException {
        return request("POST", path, token, "application/json", json.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    /** Any request; {@code token} may be {@code null} for none. */
    protected Response request(String method, String path, String token, String contentType, byte[] body)
            throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).method(method,
                body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        if (contentType != null) {
            b.header("Content-Type", contentType);
        }
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        HttpResponse<byte[]> r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
        JsonNode json = r.body().length == 0 ? null : JSON.readTree(r.body());
        return new Response(r.statusCode(), r.headers().firstValue("Content-Type").orElse(""), json, r.headers());
    }

    private static URI uri(String path) {
        return URI.create("http://127.0.0.1:" + HTTP_PORT + path);
    }
}
