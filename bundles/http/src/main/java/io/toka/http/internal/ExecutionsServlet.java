package io.toka.http.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.toka.runtime.execution.ExecutionException;
import io.toka.runtime.execution.ExecutionLimits;
import io.toka.runtime.execution.ExecutionModel;
import io.toka.runtime.execution.ExecutionRecord;
import io.toka.runtime.execution.ExecutionRequest;
import io.toka.runtime.execution.ExecutionResult;
import io.toka.runtime.execution.RuntimeManager;
import java.io.IOException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.servlet.Servlet;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.http.whiteboard.propertytypes.HttpWhiteboardContextSelect;
import org.osgi.service.http.whiteboard.propertytypes.HttpWhiteboardServletName;
import org.osgi.service.http.whiteboard.propertytypes.HttpWhiteboardServletPattern;

/**
 * {@code /api/v1/executions}: run code, a tool or an agent workflow through the runtime manager, and read the
 * history. The manager checks {@code code:execute:<language>} (or the tool's permissions); reading the history and
 * the engines needs {@code execution:read}. While the runtime manager is absent, every request here is 404.
 */
@Component(service = Servlet.class)
@HttpWhiteboardContextSelect(ApiContext.SELECT)
@HttpWhiteboardServletPattern({"/executions", "/executions/*"})
@HttpWhiteboardServletName(ExecutionsServlet.NAME)
public final class ExecutionsServlet extends ApiServlet {

    static final String NAME = "toka-executions";
    /** Code may be 1 MiB; JSON escaping can make its text longer. */
    static final int MAX_BODY_BYTES = 4 * RuntimeManager.MAX_CODE_BYTES;
    static final String READ = "execution:read";

    private static final long serialVersionUID = 1L;
    private static final Set<String> FIELDS = Set.of("language", "code", "inputs", "tool", "arguments", "agent",
            "timeoutMs", "memoryBytes", "maxOutputBytes");
    private static final String EXAMPLE = "{\"language\":\"python\",\"code\":\"print(1+1)\",\"inputs\":{}}, "
            + "{\"tool\":\"file-reader\",\"arguments\":{...}} or {\"agent\":{...}}";

    /** {@code null} while the runtime bundle's manager is absent. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    volatile transient RuntimeManager runtime;

    private final transient Router router = new Router()
            .get("/executions", this::history)
            .post("/executions", this::execute)
            .get("/executions/engines", this::engines);

    @Override
    Router router() {
        return router;
    }

    @Override
    void checkAvailable() throws Exchange.Rejected {
        runtime();
    }

    /** The runtime manager, read once per request. */
    private RuntimeManager runtime() throws Exchange.Rejected {
        RuntimeManager r = runtime;
        if (r == null) {
            throw new Exchange.Rejected(Problem.notFound("the runtime manager is not installed"));
        }
        return r;
    }

    private void history(Exchange x) throws IOException, Exchange.Rejected {
        x.caller().authorize("execution.history", List.of(READ));
        int limit = limit(x);
        x.json(200, Map.of("executions", runtime().history(limit).stream().map(this::json).toList()));
    }

    private void engines(Exchange x) throws IOException, Exchange.Rejected {
        x.caller().authorize("execution.engines", List.of(READ));
        x.json(200, Map.of("engines", runtime().engines()));
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

    private void execute(Exchange x) throws IOException, Exchange.Rejected {
        RuntimeManager runtime = runtime();
        ObjectNode body = x.readObject(FIELDS, EXAMPLE, MAX_BODY_BYTES);
        ExecutionModel model = model(body);
        ExecutionLimits limits = new ExecutionLimits(
                body.hasNonNull("timeoutMs") ? Duration.ofMillis(positive(body, "timeoutMs")) : null,
                body.hasNonNull("memoryBytes") ? positive(body, "memoryBytes") : 0,
                body.hasNonNull("maxOutputBytes") ? positive(body, "maxOutputBytes") : 0);
        ExecutionResult result;
        try {
            result = runtime.execute(new ExecutionRequest(model, x.caller(), limits));
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
