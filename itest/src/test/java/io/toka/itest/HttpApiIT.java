package io.toka.itest;

import static org.awaitility.Awaitility.await;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.Before;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;

/** The JSON API under /api/v1, over real HTTP (Felix HTTP on Jetty 12) inside the distribution. */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class HttpApiIT extends TestSupport {

    private static final String PROBLEM = "application/problem+json";

    @Before
    public void serverIsUp() throws Exception {
        await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> get("/api/v1/health").status() == 200);
        Path workspace = Path.of(System.getProperty("karaf.base"), "workspace");
        Files.createDirectories(workspace.resolve("docs"));
        Files.writeString(workspace.resolve("hello.txt"), "hello from the workspace\n");
    }

    @Test
    public void healthReportsUpVersionUptimeAndToolCount() throws Exception {
        Response r = get("/api/v1/health");
        assertEquals(200, r.status());
        assertTrue(r.contentType().startsWith("application/json"));
        assertEquals("UP", r.body().get("status").asText());
        assertTrue(r.body().get("version").asText().startsWith("0."));
        assertTrue(r.body().get("uptimeSeconds").isNumber());
        assertTrue(r.body().get("tools").asInt() >= 2);
    }

    @Test
    public void listsToolsSortedWithDescriptors() throws Exception {
        Response r = get("/api/v1/tools");
        assertEquals(200, r.status());
        List<String> names = new ArrayList<>();
        for (JsonNode t : r.body().get("tools")) {
            names.add(t.get("name").asText());
            for (String field : List.of("version", "description", "inputSchema", "requiredPermissions", "hints")) {
                assertNotNull(t.get("name") + " has " + field, t.get(field));
            }
        }
        assertTrue(names.containsAll(List.of("file-lister", "file-reader")));
        List<String> sorted = new ArrayList<>(names);
        sorted.sort(null);
        assertEquals(sorted, names);

        JsonNode reader = get("/api/v1/tools/file-reader").body();
        assertEquals("object", reader.get("inputSchema").get("type").asText());
        assertEquals("filesystem:read", reader.get("requiredPermissions").get(0).asText());
        assertTrue(reader.get("hints").get("readOnly").asBoolean());
    }

    @Test
    public void unknownToolIs404Problem() throws Exception {
        Response r = get("/api/v1/tools/no-such-tool");
        assertEquals(404, r.status());
        assertTrue(r.contentType(), r.contentType().startsWith(PROBLEM));
        assertEquals(404, r.body().get("status").asInt());
        assertTrue(r.body().get("detail").asText().contains("no-such-tool"));
        assertEquals(404, postJson("/api/v1/tools/no-such-tool/invoke", "{\"arguments\":{}}").status());
    }

    @Test
    public void invokesFileReaderAndLister() throws Exception {
        Response r = postJson("/api/v1/tools/file-reader/invoke", "{\"arguments\":{\"path\":\"hello.txt\"}}");
        assertEquals(200, r.status());
        assertTrue(r.body().get("success").asBoolean());
        assertEquals("hello from the workspace\n", r.body().get("output").asText());
        assertEquals("1.0.0", r.body().get("toolVersion").asText());
        assertTrue(r.body().get("durationMs").isNumber());

        Response l = postJson("/api/v1/tools/file-lister/invoke", "{\"arguments\":{\"path\":\".\"}}");
        JsonNode entries = l.body().get("structured").get("entries");
        assertTrue(entries.get(0).get("is_directory").asBoolean()); // directories first
        assertEquals("docs", entries.get(0).get("name").asText());
    }

    @Test
    public void toolFailureIsAnAnswerNotAnError() throws Exception {
        Response r = postJson("/api/v1/tools/file-reader/invoke", "{\"arguments\":{\"path\":\"../../etc/passwd\"}}");
        assertEquals(200, r.status());
        assertFalse(r.body().get("success").asBoolean());
        assertTrue(r.body().get("output").asText().contains("'..'"));
    }

    @Test
    public void badRequestsGetProblems() throws Exception {
        Response malformed = postJson("/api/v1/tools/file-reader/invoke", "{\"arguments\":");
        assertEquals(400, malformed.status());
        assertTrue(malformed.contentType().startsWith(PROBLEM));
        assertTrue(malformed.body().get("detail").asText().contains("not valid JSON"));

        Response schema = postJson("/api/v1/tools/file-reader/invoke", "{\"arguments\":{\"path\":42}}");
        assertEquals(400, schema.status());
        assertTrue(schema.body().get("detail").asText(), schema.body().get("detail").asText().contains("path"));

        Response missing = postJson("/api/v1/tools/file-reader/invoke", "{\"arguments\":{}}");
        assertEquals(400, missing.status());
        assertTrue(missing.body().get("detail").asText().contains("path"));

        Response wrongType = post("/api/v1/tools/file-reader/invoke", "text/plain", "{}".getBytes(StandardCharsets.UTF_8));
        assertEquals(415, wrongType.status());
        assertTrue(wrongType.contentType().startsWith(PROBLEM));

        byte[] big = new byte[1024 * 1024 + 10];
        java.util.Arrays.fill(big, (byte) ' ');
        Response tooBig = post("/api/v1/tools/file-reader/invoke", "application/json", big);
        assertEquals(413, tooBig.status());
        assertTrue(tooBig.contentType().startsWith(PROBLEM));
    }

    @Test
    public void timeoutIs504AndInterruptsTheTool() throws Exception {
        CountDownLatch interrupted = new CountDownLatch(1);
        registerTool("itest-hang", TestTools.hanging("itest-hang", Duration.ofMillis(300), interrupted), 0);
        long start = System.nanoTime();
        Response r = postJson("/api/v1/tools/itest-hang/invoke", "{\"arguments\":{}}");
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertEquals(504, r.status());
        assertTrue(r.contentType(), r.contentType().startsWith(PROBLEM));
        assertTrue(r.body().get("detail").asText().contains("timed out"));
        assertTrue("answered in " + ms + " ms", ms < 5_000);
        assertTrue("tool thread interrupted", interrupted.await(5, TimeUnit.SECONDS));
    }

    @Test
    public void exceptionInToolBecomesFailureWithoutInternals() throws Exception {
        registerTool("itest-throw", TestTools.throwing("itest-throw"), 0);
        Response r = postJson("/api/v1/tools/itest-throw/invoke", "{\"arguments\":{}}");
        assertEquals(200, r.status());
        assertFalse(r.body().get("success").asBoolean());
        String out = r.body().get("output").asText();
        assertTrue(out, out.contains("internal error"));
        assertFalse(out, out.contains("secret internal detail"));
        assertFalse(out, out.contains("IllegalStateException"));
    }

    @Test
    public void aToolWithAnInvalidSchemaFailsWithoutBlamingTheCaller() throws Exception {
        io.toka.tool.ToolDescriptor d = io.toka.tool.ToolDescriptor.builder("itest-bad-schema")
                .inputSchema("{\"type\": 42}").build();
        registerTool("itest-bad-schema", TestTools.of(d, inv -> io.toka.tool.ToolResult.success("must not run")), 0);
        Response r = postJson("/api/v1/tools/itest-bad-schema/invoke", "{\"arguments\":{}}");
        assertEquals(200, r.status());
        assertFalse(r.body().get("success").asBoolean());
        assertTrue(r.body().get("output").asText(), r.body().get("output").asText().contains("not a valid JSON Schema"));
    }

    @Test
    public void higherRankingWinsAndTheLoserIsShadowed() throws Exception {
        registerTool("itest-dup", TestTools.constant("itest-dup", "1.0.0", "low"), 0);
        registerTool("itest-dup", TestTools.constant("itest-dup", "2.0.0", "high"), 10);
        registerTool("itest-dup", TestTools.constant("itest-dup", "3.0.0", "newer-but-low"), 0);
        JsonNode d = get("/api/v1/tools/itest-dup").body();
        assertEquals("2.0.0", d.get("version").asText());
        assertEquals(2, d.get("shadowed").size());
        assertEquals("high", postJson("/api/v1/tools/itest-dup/invoke", "{}").body().get("output").asText());
    }
}
