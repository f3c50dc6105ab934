package io.toka.itest;

import static org.awaitility.Awaitility.await;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Hashtable;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.Before;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.service.event.EventConstants;
import org.osgi.service.event.EventHandler;

/** The kernel and the event store over real HTTP: submit, query, paging, the SSE stream, and EventAdmin. */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class EventsIT extends TestSupport {

    @Before
    public void apiUp() throws Exception {
        await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> get("/api/v1/health").status() == 200);
    }

    private String issue(String subject, String... permissions) throws Exception {
        Response r = postJson("/api/v1/tokens", "{\"subject\":\"" + subject + "\",\"permissions\":"
                + JSON.writeValueAsString(List.of(permissions)) + ",\"ttlSeconds\":600}");
        assertEquals(r.body().toString(), 201, r.status());
        return r.body().get("token").asText();
    }

    private JsonNode events(String query) throws Exception {
        Response r = get("/api/v1/events" + query);
        assertEquals(r.body().toString(), 200, r.status());
        return r.body();
    }

    @Test
    public void theStoreIsSqliteByDefault() throws Exception {
        JsonNode store = get("/api/v1/events/store").body();
        assertEquals("sqlite", store.get("type").asText());
        assertTrue(Files.exists(Path.of(System.getProperty("karaf.data"), "toka", "events.db")));
    }

    @Test
    public void submitRecordsOneEventAndEnforcesTheChecks() throws Exception {
        String agent = issue("agent-7", "agent:*");
        String body = "{\"origin\":\"agent-7\",\"capability\":\"" + agent + "\",\"operation\":"
                + "{\"ScheduleAgentTask\":{\"agent\":\"agent-7\",\"task\":{\"description\":\"index the workspace\"}}}}";
        // agent-7 is not defined: the kernel's agent runtime refuses it at submit time and nothing is recorded
        // (DurableAgentsIT schedules for a defined agent)
        Response unknown = postJson("/api/v1/kernel/submit", body);
        assertEquals(unknown.body().toString(), 400, unknown.status());
        assertTrue(unknown.body().toString(), unknown.body().get("detail").asText().contains("unknown agent 'agent-7'"));
        assertEquals(0, events("?kind=task.scheduled&agent=agent-7").get("events").size());

        Response wrongOrigin = postJson("/api/v1/kernel/submit", body.replace("\"origin\":\"agent-7\"", "\"origin\":\"agent-8\""));
        assertEquals(403, wrongOrigin.status());
        assertTrue(wrongOrigin.body().get("detail").asText().contains("capability denied"));

        String observer = issue("agent-9", "agent:observe");
        Response noPerm = postJson("/api/v1/kernel/submit", "{\"origin\":\"agent-9\",\"capability\":\"" + observer
                + "\",\"operation\":{\"SpawnSubAgent\":{\"parent\":\"agent-9\",\"spec\":{\"name\":\"child\"}}}}");
        assertEquals(403, noPerm.status());
        assertTrue(noPerm.body().get("detail").asText().contains("agent:spawn"));

        Response tooLong = postJson("/api/v1/kernel/submit", body.replace("index the workspace", "x".repeat(4097)));
        assertEquals(400, tooLong.status());
        assertTrue(tooLong.body().get("detail").asText().contains("4097 > 4096"));
    }

    @Test
    public void toolCallsAndTokensBecomeEventsAndPagesHaveACursor() throws Exception {
        Path ws = Path.of(System.getProperty("karaf.base"), "workspace");
        Files.createDirectories(ws);
        Files.writeString(ws.resolve("ev.txt"), "event me\n");
        long before = get("/api/v1/events/store").body().get("lastSeq").asLong();
        assertEquals(200, postJson("/api/v1/tools/file-reader/invoke", "{\"arguments\":{\"path\":\"ev.txt\"}}").status());
        issue("someone", "tool:read");
        try {
            await().atMost(Duration.ofSeconds(30)).until(() ->
                    events("?kind=tool.invoked&after=" + before).get("events").size() == 1
                    && events("?kind=token.issued&after=" + before).get("events").size() >= 1);
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new AssertionError("events after " + before + ": " + events("?after=" + before) + "; store "
                    + get("/api/v1/events/store").body(), e);
        }
        JsonNode tool = events("?kind=tool.invoked&after=" + before).get("events").get(0);
        assertEquals("file-reader", tool.get("payload").get("tool").asText());
        assertEquals("admin", tool.get("subject").asText());
        assertTrue(tool.get("payload").get("success").asBoolean());
        assertEquals(64, tool.get("digest").asText().length());

        issue("page-filler-1", "tool:read");
        issue("page-filler-2", "tool:read");
        await().atMost(Duration.ofSeconds(30)).until(() -> get("/api/v1/events/store").body().get("count").asLong() >= 4);
        JsonNode first = events("?limit=2");
        assertEquals(2, first.get("events").size());
        long next = first.get("next").asLong();
        assertEquals(first.get("events").get(1).get("seq").asLong(), next);
        JsonNode second = events("?limit=2&after=" + next);
        assertTrue(second.get("events").get(0).get("seq").asLong() > next);
        JsonNode all = events("?limit=1000");
        assertTrue("the last page has no next cursor", all.get("next").isNull());

        assertEquals(400, get("/api/v1/events?since=yesterday").status());
        assertEquals(400, get("/api/v1/events?limit=0").status());
        String noRead = issue("no-events", "tool:read");
        assertEquals(403, request("GET", "/api/v1/events", noRead, null, null).status());
        assertEquals(401, request("GET", "/api/v1/events", null, null, null).status());
    }

    @Test
    public void theStreamReplaysAfterLastEventIdThenFollowsLiveEvents() throws Exception {
        String agent = issue("streamer", "agent:*");
        long start = get("/api/v1/events/store").body().get("lastSeq").asLong();
        submitObservation(agent, "one");
        HttpClient client = HttpClient.newHttpClient();
        HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + HTTP_PORT + "/api/v1/events/stream?kind=observation.emitted"))
                .header("Authorization", "Bearer " + adminToken()).header("Last-Event-ID", Long.toString(start)).build();
        HttpResponse<InputStream> resp = client.send(req, HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, resp.statusCode());
        assertTrue(resp.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"));
        List<String> ids = new ArrayList<>();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(resp.body(), StandardCharsets.UTF_8))) {
            JsonNode replayed = readEvent(in, ids);
            assertEquals("one", new String(java.util.Base64.getDecoder().decode(
                    replayed.get("payload").get("data").asText()), StandardCharsets.UTF_8));
            submitObservation(agent, "two");
            JsonNode live = readEvent(in, ids);
            assertEquals("two", new String(java.util.Base64.getDecoder().decode(
                    live.get("payload").get("data").asText()), StandardCharsets.UTF_8));
            assertTrue(Long.parseLong(ids.get(1)) > Long.parseLong(ids.get(0)));
        }
    }

    private void submitObservation(String token, String text) throws Exception {
        String data = java.util.Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
        Response r = postJson("/api/v1/kernel/submit", "{\"origin\":\"streamer\",\"capability\":\"" + token
                + "\",\"operation\":{\"EmitObservation\":{\"agent\":\"streamer\",\"data\":\"" + data + "\"}}}");
        assertEquals(r.body().toString(), 201, r.status());
    }

    /** Reads one SSE event (id, event, data lines, blank line); comments are skipped. */
    private static JsonNode readEvent(BufferedReader in, List<String> ids) throws Exception {
        String id = null;
        String data = null;
        for (String line; (line = in.readLine()) != null; ) {
            if (line.startsWith("id: ")) {
                id = line.substring(4);
            } else if (line.startsWith("data: ")) {
                data = line.substring(6);
            } else if (line.isEmpty() && data != null) {
                ids.add(id);
                return JSON.readTree(data);
            }
        }
        throw new AssertionError("the stream ended");
    }

    @Test
    public void eventAdminListenersReceiveTokaEvents() throws Exception {
        List<org.osgi.service.event.Event> received = new CopyOnWriteArrayList<>();
        Hashtable<String, Object> props = new Hashtable<>();
        props.put(EventConstants.EVENT_TOPIC, "toka/event/observation/*");
        bundleContext.registerService(EventHandler.class, received::add, props);
        String agent = issue("observer-1", "agent:observe");
        Response r = postJson("/api/v1/kernel/submit", "{\"origin\":\"observer-1\",\"capability\":\"" + agent
                + "\",\"operation\":{\"EmitObservation\":{\"agent\":\"worker-1\",\"data\":\"c2Vlbg==\"}}}");
        assertEquals(r.body().toString(), 201, r.status());
        await().atMost(Duration.ofSeconds(30)).until(() -> received.stream().anyMatch(e ->
                e.getTopic().equals("toka/event/observation/emitted") && "worker-1".equals(e.getProperty("agent"))));
        org.osgi.service.event.Event e = received.stream()
                .filter(x -> x.getTopic().equals("toka/event/observation/emitted")).findFirst().orElseThrow();
        assertNotNull(e.getProperty("digest"));
        assertTrue(String.valueOf(e.getProperty("payload")).contains("c2Vlbg=="));
    }
}
