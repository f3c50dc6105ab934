package io.toka.http.internal;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.toka.event.Event;
import io.toka.event.EventBus;
import io.toka.event.EventStore;
import io.toka.kernel.Kernel;
import io.toka.orchestration.AgentService;
import io.toka.orchestration.SessionService;
import io.toka.orchestration.SessionStatus;
import io.toka.orchestration.internal.config.AgentConfigParser;
import io.toka.runtime.execution.ExecutionResult;
import io.toka.runtime.execution.RuntimeManager;
import io.toka.runtime.registry.ToolCallResult;
import io.toka.security.KeyService;
import io.toka.tool.ToolDescriptor;
import io.toka.tool.ToolResult;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * Fuzzes the REST request bodies: tool invoke, tokens and delegation, kernel submit, executions, agents (JSON and
 * YAML) and sessions. Each body goes through the real {@link ApiContext} (authentication with a real token authority)
 * and the real servlet, as the whiteboard calls them; the services behind the servlets are fakes that accept what
 * they are given (the agent service parses with the real {@link AgentConfigParser}, the token servlet uses the real
 * authority). The property: whatever the body, the answer is never a 5xx and the servlet never throws.
 */
class HttpBodyFuzzTest {

    private static final Api API;
    private static final String ADMIN;
    private static final ToolsServlet TOOLS;
    private static final TokensServlet TOKENS;
    private static final EventsServlet EVENTS;
    private static final ExecutionsServlet EXECUTIONS;
    private static final AgentsServlet AGENTS;

    static {
        try {
            API = new Api(Files.createTempDirectory("toka-http-fuzz"), Long.MAX_VALUE / 2);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        ADMIN = API.token("fuzz-admin", "*");
        FakeRegistry registry = new FakeRegistry()
                .tool(ToolDescriptor.builder("echo").inputSchema("{\"type\":\"object\"}").build())
                .answering((name, args, caller) -> new ToolCallResult(ToolCallResult.Status.SUCCESS,
                        ToolResult.success(String.valueOf(args), args), 1_000, "1.0.0"));
        TOOLS = new ToolsServlet(registry);
        TOKENS = new TokensServlet(API.tokens.service(), (KeyService) API.tokens.service());
        EventStore store = fake(EventStore.class);
        EventBus bus = fake(EventBus.class);
        Kernel kernel = fake(Kernel.class, "submit", args -> new Event(1, UUID.randomUUID().toString(),
                "kernel.message", 1, Instant.now(), List.of(), "0".repeat(64), null, "fuzz-admin", "{}"));
        EVENTS = new EventsServlet(kernel, store, bus);
        EXECUTIONS = new ExecutionsServlet();
        EXECUTIONS.runtime = fake(RuntimeManager.class, "execute", args -> new ExecutionResult("x1", true, "ok", null,
                0, 1, new ExecutionResult.ResourceUsage(-1, -1), "tool", "1"));
        AGENTS = new AgentsServlet(store, bus);
        AgentConfigParser parser = new AgentConfigParser();
        AGENTS.agents = fake(AgentService.class, "define", args -> parser.parse((String) args[0], (String) args[1]));
        AGENTS.sessions = fake(SessionService.class, "start", args -> {
            @SuppressWarnings("unchecked")
            List<String> names = (List<String>) args[0];
            if (names.stream().anyMatch(n -> !n.matches("[a-z0-9-]{1,64}"))) {
                throw new IllegalArgumentException("unknown agent");
            }
            return new SessionStatus("s1", "running", 0, names, Instant.now(), null, null, List.of());
        });
        // load and compile the paths once, so that the first fuzz input is not charged with class loading
        post(TOOLS, "/tools/echo/invoke", "application/json", "{\"arguments\":{}}");
        post(TOKENS, "/tokens", "application/json", "{\"subject\":\"w\",\"permissions\":[\"tool:read\"]}");
        post(EVENTS, "/kernel/submit", "application/json", "{\"operation\":{\"ScheduleAgentTask\":{\"agent\":\"a\","
                + "\"task\":\"t\"}}}");
        post(EXECUTIONS, "/executions", "application/json", "{\"tool\":\"echo\"}");
        post(AGENTS, "/agents", "application/yaml", "metadata: {name: w}\nspec: [");
        post(AGENTS, "/agents", "application/json", "{\"yaml\":\"x: 1\"}");
        post(AGENTS, "/sessions", "application/json", "{\"agents\":[\"w\"]}");
    }

    /** The first line is the tool name (a path segment), the rest the body. */
    @FuzzTest(maxDuration = "30s")
    void toolInvoke(byte[] input) {
        String text = text(input);
        int nl = text.indexOf('\n');
        String name = nl < 0 ? "echo" : text.substring(0, nl);
        if (name.isEmpty() || name.contains("/")) {
            name = "echo";
        }
        post(TOOLS, "/tools/" + name + "/invoke", "application/json", nl < 0 ? text : text.substring(nl + 1));
    }

    /** {@code 0} then a body for POST /tokens, {@code 1} then one for POST /tokens/delegate. */
    @FuzzTest(maxDuration = "30s")
    void tokens(byte[] input) {
        String text = text(input);
        boolean delegate = text.startsWith("1");
        post(TOKENS, delegate ? "/tokens/delegate" : "/tokens", "application/json", text.isEmpty() ? "" : text.substring(1));
    }

    @FuzzTest(maxDuration = "30s")
    void kernelSubmit(byte[] input) {
        post(EVENTS, "/kernel/submit", "application/json", text(input));
    }

    @FuzzTest(maxDuration = "30s")
    void executions(byte[] input) {
        post(EXECUTIONS, "/executions", "application/json", text(input));
    }

    /** {@code 0} then a JSON body ({@code {"yaml": ...}}), {@code 1} then a YAML body (Content-Type: application/yaml). */
    @FuzzTest(maxDuration = "30s")
    void agents(byte[] input) {
        String text = text(input);
        boolean yaml = text.startsWith("1");
        post(AGENTS, "/agents", yaml ? "application/yaml" : "application/json", text.isEmpty() ? "" : text.substring(1));
    }

    @FuzzTest(maxDuration = "30s")
    void sessions(byte[] input) {
        post(AGENTS, "/sessions", "application/json", text(input));
    }

    private static String text(byte[] input) {
        return new String(input, StandardCharsets.UTF_8);
    }

    private static void post(ApiServlet servlet, String path, String contentType, String body) {
        FuzzBounds.check("POST " + path, () -> {
            FakeRequest req = new FakeRequest("POST", path).body(contentType, body.getBytes(StandardCharsets.UTF_8))
                    .bearer(ADMIN);
            FakeResponse r = API.call(servlet, req);
            if (r.getStatus() >= 500) {
                throw new AssertionError("HTTP " + r.getStatus() + " for POST " + path + " " + body + ": " + r.text());
            }
        });
    }

    /** An interface fake: the named method answers through the function, others give empty values. */
    private static <T> T fake(Class<T> type) {
        return fake(type, null, null);
    }

    private static <T> T fake(Class<T> type, String method, Answer answer) {
        return type.cast(Proxy.newProxyInstance(HttpBodyFuzzTest.class.getClassLoader(), new Class<?>[] {type},
                (proxy, m, args) -> {
                    if (m.getName().equals(method)) {
                        return answer.answer(args);
                    }
                    if (m.isDefault()) {
                        return java.lang.reflect.InvocationHandler.invokeDefault(proxy, m, args);
                    }
                    Class<?> r = m.getReturnType();
                    if (r == List.class) {
                        return List.of();
                    }
                    if (r == Map.class) {
                        return Map.of();
                    }
                    if (r == Optional.class) {
                        return Optional.empty();
                    }
                    if (r == boolean.class) {
                        return false;
                    }
                    if (r == int.class || r == long.class) {
                        return r == int.class ? (Object) 0 : (Object) 0L;
                    }
                    if (m.getName().equals("toString")) {
                        return type.getSimpleName() + " fake";
                    }
                    throw new UnsupportedOperationException(type.getSimpleName() + "." + m.getName());
                }));
    }

    /** What a faked method answers. */
    @FunctionalInterface
    private interface Answer {
        Object answer(Object[] args) throws Exception;
    }
}
