package io.toka.itest;

import static org.awaitility.Awaitility.await;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.hawkular.agent.prometheus.text.TextPrometheusMetricDataParser;
import org.hawkular.agent.prometheus.types.Counter;
import org.hawkular.agent.prometheus.types.Histogram;
import org.hawkular.agent.prometheus.types.Metric;
import org.hawkular.agent.prometheus.types.MetricFamily;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;

/**
 * Operating the real distribution as an operator runs it: the Kubernetes-style probes (codes, and an anonymous
 * answer that reveals nothing), and /metrics scraped, parsed with a Prometheus text-format parser, with counts that
 * match the calls made.
 */
public class OperateIT {

    private static final int PORT = Integer.getInteger("toka.operate.http.port", 28761);
    private static final int SSH_PORT = Integer.getInteger("toka.operate.ssh.port", 28751);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private static Distribution toka;

    @BeforeClass
    public static void start() throws Exception {
        toka = Distribution.unpack("operate", PORT, SSH_PORT);
        Files.copy(Path.of(System.getProperty("toka.hello.jar")), toka.home().resolve("deploy/hello-tool.jar"));
        // the test waits for the hot-deployed tool by calling it: lift the per-subject limit (burst 10) for the run
        Files.writeString(toka.home().resolve("etc/io.toka.ratelimit.cfg"),
                "\nrequestsPerMinute = 1000000\nburst = 100000\n", java.nio.file.StandardOpenOption.APPEND);
        toka.start();
    }

    @AfterClass
    public static void stop() throws Exception {
        if (toka != null) {
            toka.close();
        }
    }

    private static HttpResponse<String> get(String path, String token) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(toka.url(path))).timeout(Duration.ofSeconds(30));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    public void probesAnswerTheirCodesAndAnAnonymousCallerLearnsOnlyTheStatus() throws Exception {
        await().atMost(Duration.ofSeconds(60)).until(() -> get("/api/v1/health/ready", null).statusCode() == 200);
        String viewer = toka.mintToken("viewer", List.of("tool:read"), 600);
        for (String token : new String[] {null, "garbage", viewer}) {
            for (String probe : List.of("/api/v1/health/live", "/api/v1/health/ready")) {
                HttpResponse<String> r = get(probe, token);
                assertEquals(probe + " " + token, 200, r.statusCode());
                assertEquals(probe, JSON.readTree("{\"status\":\"UP\"}"), JSON.readTree(r.body()));
            }
        }
        String ops = toka.mintToken("ops", List.of("system:read"), 600);
        JsonNode ready = JSON.readTree(get("/api/v1/health/ready", ops).body());
        List<String> names = new ArrayList<>();
        ready.get("checks").forEach(c -> names.add(c.get("name").asText()));
        assertEquals(List.of("event-store", "sandbox", "tool-registry"), names);
        assertEquals(0, ready.get("failing").size());
        JsonNode live = JSON.readTree(get("/api/v1/health/live", ops).body());
        assertEquals("deadlocks", live.get("checks").get(0).get("name").asText());
        // the old answer is unchanged
        assertEquals(JSON.readTree("{\"status\":\"UP\"}"), JSON.readTree(get("/api/v1/health", null).body()));
    }

    @Test
    public void scrapesNeedMetricsReadAndTheirCountsMatchTheCallsMade() throws Exception {
        assertEquals(401, get("/metrics", null).statusCode());
        assertEquals(401, get("/metrics", "garbage").statusCode());
        HttpResponse<String> refused = get("/metrics", toka.mintToken("nosy", List.of("system:read"), 600));
        assertEquals(403, refused.statusCode());
        assertFalse(refused.body().contains("toka_"));

        String scraper = toka.mintToken("prometheus", List.of("metrics:read"), 600);
        String admin = toka.adminToken();
        await().atMost(Duration.ofSeconds(60)).until(() -> toka.send("POST", "/api/v1/tools/hello/invoke", admin,
                "{\"arguments\":{\"name\":\"warm\"}}").statusCode() == 200);
        Map<String, MetricFamily> before = scrape(scraper);
        double callsBefore = counter(before, "toka_tool_calls_total", Map.of("tool", "hello", "outcome", "success"));
        long durationsBefore = histogramCount(before, "toka_tool_call_duration_seconds", Map.of("tool", "hello"));
        long routeBefore = histogramCount(before, "toka_http_requests_seconds",
                Map.of("route", "/api/v1/tools/{name}/invoke", "status", "200"));
        double authBefore = counter(before, "toka_auth_failures_total", Map.of());

        int calls = 7;
        for (int i = 0; i < calls; i++) {
            assertEquals(200, toka.send("POST", "/api/v1/tools/hello/invoke", admin,
                    "{\"arguments\":{\"name\":\"n" + i + "\"}}").statusCode());
        }
        assertEquals(401, toka.send("POST", "/api/v1/tools/hello/invoke", "forged." + admin, "{}").statusCode());

        // the event is counted once stored, the request once its answer is written: both just after the answer
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            Map<String, MetricFamily> now = scrape(scraper);
            return counter(now, "toka_tool_calls_total", Map.of("tool", "hello", "outcome", "success"))
                    >= callsBefore + calls && histogramCount(now, "toka_http_requests_seconds",
                            Map.of("route", "/api/v1/tools/{name}/invoke", "status", "200")) >= routeBefore + calls;
        });
        Map<String, MetricFamily> after = scrape(scraper);
        assertEquals(callsBefore + calls,
                counter(after, "toka_tool_calls_total", Map.of("tool", "hello", "outcome", "success")), 0);
        assertEquals(durationsBefore + calls,
                histogramCount(after, "toka_tool_call_duration_seconds", Map.of("tool", "hello")));
        assertEquals(routeBefore + calls, histogramCount(after, "toka_http_requests_seconds",
                Map.of("route", "/api/v1/tools/{name}/invoke", "status", "200")));
        assertTrue(counter(after, "toka_auth_failures_total", Map.of()) >= authBefore + 1);
        assertTrue(after.containsKey("jvm_memory_used_bytes"));
        assertTrue(after.containsKey("toka_event_store_appends_total"));
        assertTrue(counter(after, "toka_event_store_events_appended_total", Map.of()) > 0);
    }

    private static Map<String, MetricFamily> scrape(String token) throws Exception {
        HttpResponse<String> r = get("/metrics", token);
        assertEquals(r.body(), 200, r.statusCode());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/plain; version=0.0.4"));
        Map<String, MetricFamily> families = new java.util.HashMap<>();
        TextPrometheusMetricDataParser parser = new TextPrometheusMetricDataParser(
                new ByteArrayInputStream(r.body().getBytes(StandardCharsets.UTF_8)));
        for (MetricFamily f; (f = parser.parse()) != null; ) {
            families.put(f.getName(), f);
        }
        return families;
    }

    private static Metric metric(Map<String, MetricFamily> families, String name, Map<String, String> labels) {
        MetricFamily f = families.get(name);
        if (f == null) {
            return null;
        }
        return f.getMetrics().stream().filter(m -> m.getLabels().entrySet().containsAll(labels.entrySet()))
                .findFirst().orElse(null);
    }

    private static double counter(Map<String, MetricFamily> families, String name, Map<String, String> labels) {
        Metric m = metric(families, name, labels);
        return m == null ? 0 : ((Counter) m).getValue();
    }

    private static long histogramCount(Map<String, MetricFamily> families, String name, Map<String, String> labels) {
        Metric m = metric(families, name, labels);
        return m == null ? 0 : ((Histogram) m).getSampleCount();
    }
}
