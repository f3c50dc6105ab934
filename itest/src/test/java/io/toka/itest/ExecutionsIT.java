package io.toka.itest;

import static org.awaitility.Awaitility.await;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import javax.inject.Inject;
import org.apache.karaf.shell.api.console.SessionFactory;
import org.junit.Before;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;

/**
 * The runtime manager in the real distribution: every engine runs real code through {@code POST /api/v1/executions},
 * hostile code is stopped, permissions are per language, and the history and the shell commands see it all.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class ExecutionsIT extends TestSupport {

    /** {@code (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)} */
    static final String WASM_ADD = "AGFzbQEAAAABBwFgAn9/AX8DAgEABwcBA2FkZAAACgkBBwAgACABags=";
    /** {@code (func (export "spin") (loop br 0))} */
    static final String WASM_SPIN = "AGFzbQEAAAABBAFgAAADAgEABwgBBHNwaW4AAAoJAQcAA0AMAAsL";

    @Inject
    SessionFactory sessionFactory;

    @Before
    public void enginesAreUp() {
        await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> {
            Set<String> languages = new HashSet<>();
            for (JsonNode e : get("/api/v1/executions/engines").body().get("engines")) {
                languages.add(e.get("language").asText());
            }
            return languages.containsAll(Set.of("shell", "python", "javascript", "wasm"));
        });
    }

    private JsonNode exec(String json) throws Exception {
        Response r = postJson("/api/v1/executions", json);
        assertEquals(String.valueOf(r.body()), 200, r.status());
        return r.body();
    }

    @Test
    public void everyEngineRunsRealCode() throws Exception {
        JsonNode py = exec("{\"language\":\"python\",\"code\":\"import json,sys\\nd=json.load(sys.stdin)\\nprint(d['x']*21)\",\"inputs\":{\"x\":2}}");
        assertTrue(py.toString(), py.get("success").asBoolean());
        assertEquals("42\n", py.get("output").asText());
        assertEquals("python", py.get("engine").asText());
        assertTrue(py.get("engineVersion").asText(), py.get("engineVersion").asText().startsWith("Python 3"));

        JsonNode sh = exec("{\"language\":\"shell\",\"code\":\"echo hello from $(basename \\\"$PWD\\\")\"}");
        assertEquals("hello from work\n", sh.get("output").asText());
        assertEquals(0, sh.get("exitCode").asInt());

        JsonNode js = exec("{\"language\":\"javascript\",\"code\":\"inputs.a * inputs.b\",\"inputs\":{\"a\":6,\"b\":7}}");
        assertTrue(js.toString(), js.get("success").asBoolean());
        assertEquals("42", js.get("output").asText());

        JsonNode wasm = exec("{\"language\":\"wasm\",\"code\":\"" + WASM_ADD + "\",\"inputs\":{\"function\":\"add\",\"args\":[40,2]}}");
        assertTrue(wasm.toString(), wasm.get("success").asBoolean());
        assertEquals("42", wasm.get("output").asText());

        JsonNode tool = exec("{\"tool\":\"word-count\",\"arguments\":{\"text\":\"to be or not to be\"}}");
        assertTrue(tool.toString(), tool.get("success").asBoolean());
        assertTrue(tool.get("output").asText(), tool.get("output").asText().contains("\"words\": 6"));
    }

    @Test
    public void hostileCodeIsStopped() throws Exception {
        JsonNode loop = exec("{\"language\":\"python\",\"code\":\"while True: pass\",\"timeoutMs\":1000}");
        assertFalse(loop.get("success").asBoolean());
        assertTrue(loop.get("durationMs").asLong() < 10_000);

        JsonNode net = exec("{\"language\":\"python\",\"code\":\"import socket\\nsocket.create_connection(('127.0.0.1', "
                + HTTP_PORT + "), timeout=2)\\nprint('connected')\"}");
        assertFalse(net.toString(), net.get("success").asBoolean());

        JsonNode java = exec("{\"language\":\"javascript\",\"code\":\"java.lang.System.exit(1)\"}");
        assertFalse(java.toString(), java.get("success").asBoolean());

        JsonNode jsLoop = exec("{\"language\":\"javascript\",\"code\":\"while(true){}\",\"timeoutMs\":500}");
        assertFalse(jsLoop.get("success").asBoolean());

        JsonNode spin = exec("{\"language\":\"wasm\",\"code\":\"" + WASM_SPIN + "\",\"inputs\":{\"function\":\"spin\"},\"timeoutMs\":500}");
        assertFalse(spin.get("success").asBoolean());

        JsonNode missing = exec("{\"language\":\"wasm\",\"code\":\"" + WASM_ADD + "\",\"inputs\":{\"function\":\"sub\",\"args\":[1,2]}}");
        assertFalse(missing.get("success").asBoolean());
        assertTrue(missing.get("error").asText(), missing.get("error").asText().contains("add"));

        JsonNode syntax = exec("{\"language\":\"javascript\",\"code\":\"1 +\"}");
        assertFalse(syntax.get("success").asBoolean());
        assertTrue(syntax.get("error").asText(), syntax.get("error").asText().contains("line"));
    }

    @Test
    public void refusalsAreClear() throws Exception {
        Response unknown = postJson("/api/v1/executions", "{\"language\":\"cobol\",\"code\":\"DISPLAY 1\"}");
        assertEquals(400, unknown.status());
        assertTrue(unknown.body().toString(), unknown.body().get("detail").asText().contains("cobol"));

        // the agents bundle runs agent workflows; an invalid configuration fails with every rule it breaks
        Response agent = postJson("/api/v1/executions", "{\"agent\":{\"metadata\":{\"name\":\"a\"}}}");
        assertEquals(200, agent.status());
        assertFalse(agent.body().get("success").asBoolean());
        assertTrue(agent.body().toString(), agent.body().get("error").asText().contains("metadata.workstream must not be empty"));

        String big = "x".repeat(1024 * 1024 + 1);
        Response tooBig = postJson("/api/v1/executions", "{\"language\":\"python\",\"code\":\"" + big + "\"}");
        assertEquals(400, tooBig.status());

        // a token for python only may not run javascript
        Response issued = postJson("/api/v1/tokens",
                "{\"subject\":\"py-only\",\"permissions\":[\"code:execute:python\"],\"ttlSeconds\":600}");
        assertEquals(201, issued.status());
        String pyOnly = issued.body().get("token").asText();
        assertEquals(200, postJson("/api/v1/executions", "{\"language\":\"python\",\"code\":\"print(1)\"}", pyOnly).status());
        assertEquals(403, postJson("/api/v1/executions", "{\"language\":\"javascript\",\"code\":\"1\"}", pyOnly).status());
    }

    @Test
    public void historyAndShell() throws Exception {
        exec("{\"language\":\"javascript\",\"code\":\"'from http'\"}");
        JsonNode history = get("/api/v1/executions?limit=5").body().get("executions");
        assertTrue(history.size() >= 1);
        assertEquals("javascript", history.get(0).get("target").asText());
        assertEquals("\"from http\"", history.get(0).get("result").get("output").asText());

        ShellRunner shell = new ShellRunner(sessionFactory);
        String out = shell.run("toka:exec --lang python -c 'print(1+1)'");
        assertEquals("2", out.strip());
        String hist = shell.run("toka:exec-history --limit 3");
        assertTrue(hist, hist.contains("python"));
    }
}
