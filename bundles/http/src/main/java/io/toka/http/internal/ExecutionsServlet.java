package io.toka.http.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.toka.runtime.execution.ExecutionException;
import io.toka.runtime.execution.ExecutionLimits;
import io.toka.runtime.execution.ExecutionModel;
import io.toka.runtime.execution.ExecutionRecord;
import io.toka.runtime.execution.ExecutionRequest;
import io.toka.runtime.execution.ExecutionResult;
import io.toka.runtime.execution.RuntimeManager;
import io.toka.security.SecurityContext;
import java.io.IOException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code /api/v1/executions}: run code, a tool or an agent workflow through the runtime manager, and read the
 * history. The manager checks {@code code:execute:<language>} (or the tool's permissions); reading the history and
 * the engines needs {@code execution:read}.
 */
final class ExecutionApi {

    /** Code may be 1 MiB; JSON escaping can make its text longer. */
    static final int MAX_BODY_BYTES = 4 * RuntimeManager.MAX_CODE_BYTES;
    static final String READ = "execution:read";
    private static final Set<String> FIELDS = Set.of("language", "code", "inputs", "tool", "arguments", "agent",
            "timeoutMs", "memoryBytes", "maxOutputBytes");
    private static final String EXAMPLE = "{\"language\":\"python\",\"code\":\"print(1+1)\",\"inputs\":{}}, "
            + "{\"tool\":\"file-reader\",\"arguments\":{...}} or {\"agent\":{...}}";

    private final RuntimeManager runtime;
    private final ObjectMapper mapper;

    ExecutionApi(RuntimeManager runtime, ObjectMapper mapper) {
        this.runtime = runtime;
        this.mapper = mapper;
    }

    /** @return false if the path is not an execution resource */
    boolean route(Exchange x, SecurityContext caller, String[] parts) throws IOException, Exchange.Rejected {
        if (!parts[0].equals("executions")) {
            return false;
        }
        if (runtime == null) {
            x.problem(Problem.notFound("the runtime manager is not installed"));
            return true;
        }
        if (parts.length == 1) {
            if (x.req.getMethod().equals("POST")) {
                execute(x, caller);
            } else if (x.allowEither("GET", "POST")) {
                caller.authorize("execution.history", List.of(READ));
                int limit = limit(x);
                x.json(200, Map.of("executions", runtime.history(limit).stream().map(this::json).toList()));
            }
            return true;
        }
        if (parts.length == 2 && parts[1].equals("engines")) {
            if (x.allow("GET")) {
                caller.authorize("execution.engines", List.of(READ));
                x.json(200, Map.of("engines", runtime.engines()));
            }
            return true;
        }
        x.problem(Problem.notFound("no resource at " + ApiServlet.ROOT + "/" + String.join("/", parts)));
        return true;
    }

    private static int limit(Exchange x) throws Exchange.Rejected {
        String raw = x.req.getParameter("limit");
        if (raw == null || raw.isBlank()) {
            return 100;
        }
        try {
            int n = Integer.parseInt(raw.trim());
            if (n < 1 || n > 1000) {
                throw Exchange.Rejected.badRequest("limit must be 1 to 1000, not " + n);
            }
            return n;
        } catch (NumberFormatException e) {
            throw Exchange.Rejected.badRequest("limit must be a number, not '" + raw + "'");
        }
    }

    private void execute(Exchange x, SecurityContext caller) throws IOException, Exchange.Rejected {
        ObjectNode body = x.readObject(FIELDS, EXAMPLE, MAX_BODY_BYTES);
        ExecutionModel model = model(body);
        ExecutionLimits limits = new ExecutionLimits(
                body.hasNonNull("timeoutMs") ? Duration.ofMillis(positive(body, "timeoutMs")) : null,
                body.hasNonNull("memoryBytes") ? positive(body, "memoryBytes") : 0,
                body.hasNonNull("maxOutputBytes") ? positive(body, "maxOutputBytes") : 0);
        ExecutionResult result;
        try {
            result = runtime.execute(new ExecutionRequest(model, caller, limits));
        } catch (ExecutionException e) {
            switch (e.reason()) {
                case BUSY -> {
                    x.resp.setHeader("Retry-After", "1");
                    x.problem(Problem.unavailable(e.getMessage()));
                }
                default -> x.problem(Problem.badRequest(e.getMessage()));
            }
            return;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            x.problem(Problem.unavailable("the server is shutting down"));
            return;
        }
        x.json(200, result);
    }

    private ExecutionModel model(ObjectNode body) throws Exchange.Rejected {
        boolean code = body.has("language") || body.has("code");
        boolean tool = body.has("tool");
        boolean agent = body.has("agent");
        if ((code ? 1 : 0) + (tool ? 1 : 0) + (agent ? 1 : 0) != 1) {
            throw Exchange.Rejected.badRequest("send exactly one of: language and code, tool, or agent; e.g. " + EXAMPLE);
        }
        if (code) {
            String language = text(body, "language");
            JsonNode c = body.get("code");
            if (c == null || !c.isTextual()) {
                throw Exchange.Rejected.badRequest("'code' must be a string");
            }
            if (body.has("arguments")) {
                throw Exchange.Rejected.badRequest("'arguments' goes with 'tool'; code takes 'inputs'");
            }
            return new ExecutionModel.DynamicCode(language, c.asText(), object(body, "inputs"));
        }
        if (tool) {
            if (body.has("inputs")) {
                throw Exchange.Rejected.badRequest("'inputs' goes with code; a tool takes 'arguments'");
            }
            return new ExecutionModel.ToolExecution(text(body, "tool"), object(body, "arguments"));
        }
        return new ExecutionModel.AgentWorkflow(object(body, "agent"));
    }

    private static String text(ObjectNode body, String field) throws Exchange.Rejected {
        JsonNode v = body.get(field);
        if (v == null || !v.isTextual() || v.asText().isBlank()) {
            throw Exchange.Rejected.badRequest("'" + field + "' must be a non-empty string");
        }
        return v.asText().trim();
    }

    private static long positive(ObjectNode body, String field) throws Exchange.Rejected {
        JsonNode v = body.get(field);
        if (!v.canConvertToLong() || !v.isIntegralNumber() || v.asLong() <= 0) {
            throw Exchange.Rejected.badRequest("'" + field + "' must be a positive whole number");
        }
        return v.asLong();
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> object(ObjectNode body, String field) throws Exchange.Rejected {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) {
            return Map.of();
        }
        if (!v.isObject()) {
            throw Exchange.Rejected.badRequest("'" + field + "' must be a JSON object");
        }
        return mapper.convertValue(v, LinkedHashMap.class);
    }

    private Map<String, Object> json(ExecutionRecord r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("startedAt", r.startedAt().toString());
        m.put("subject", r.subject());
        m.put("model", r.model());
        m.put("target", r.target());
        m.put("codeSha256", r.codeSha256());
        m.put("result", r.result());
        return m;
    }
}
