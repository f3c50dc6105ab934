package io.toka.http.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.toka.cluster.ClusterView;
import io.toka.runtime.registry.InvalidArgumentsException;
import io.toka.runtime.registry.RegisteredTool;
import io.toka.runtime.registry.ToolCallResult;
import io.toka.runtime.registry.ToolRegistry;
import io.toka.runtime.registry.UnknownToolException;
import io.toka.security.Permissions;
import io.toka.security.RateLimitDecision;
import io.toka.security.RateLimitExceededException;
import io.toka.tools.external.ExternalTools;
import io.toka.tools.external.ManifestError;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.servlet.Servlet;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.http.whiteboard.propertytypes.HttpWhiteboardContextSelect;
import org.osgi.service.http.whiteboard.propertytypes.HttpWhiteboardServletName;
import org.osgi.service.http.whiteboard.propertytypes.HttpWhiteboardServletPattern;

/**
 * {@code /tools}: list and describe the tools, invoke one ({@code POST /tools/{name}/invoke}), and the errors of
 * the external tool manifests with the tools the registry holds back ({@code /tools/errors}). A call goes through {@link ToolRegistry#invoke}, the one
 * policy point (live token state, rate limits, permissions, schema, the call and its event); this servlet only
 * translates.
 */
@Component(service = Servlet.class)
@HttpWhiteboardContextSelect(ApiContext.SELECT)
@HttpWhiteboardServletPattern({"/tools", "/tools/*"})
@HttpWhiteboardServletName(ToolsServlet.NAME)
public final class ToolsServlet extends ApiServlet {

    static final String NAME = "toka-tools";

    private static final long serialVersionUID = 1L;
    private static final List<String> READ = List.of(Permissions.TOOL_READ);

    private final transient ToolRegistry registry;

    /** {@code null} while the external-tools bundle is not installed: then there are no manifest errors. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    volatile transient ExternalTools externalTools;

    /** {@code null} unless clustering is on: then an unknown tool's 404 names the nodes that have it. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    volatile transient ClusterView cluster;

    private final transient Router router = new Router()
            .get("/tools", this::list)
            .get("/tools/", this::list)
            .get("/tools/errors", this::errors)
            .get("/tools/{name}", this::read)
            .post("/tools/{name}/invoke", this::invoke);

    @Activate
    public ToolsServlet(@Reference ToolRegistry registry) {
        this.registry = registry;
    }

    @Override
    Router router() {
        return router;
    }

    private void list(Exchange x) throws IOException {
        x.caller().authorize("tool.list", READ);
        x.json(200, Map.of("tools", registry.list().stream().map(t -> ToolJson.describe(t, mapper)).toList()));
    }

    private void errors(Exchange x) throws IOException {
        x.caller().authorize("tool.errors", READ);
        ExternalTools external = externalTools;
        List<ManifestError> errors = external == null ? List.of() : external.errors();
        // manifests that failed to load, and tools the registry holds back (failed activation, quarantine, overruns)
        x.json(200, Map.of("errors", errors.stream().map(ToolJson::error).toList(),
                "problems", registry.problems().stream().map(ToolJson::problem).toList()));
    }

    private void read(Exchange x) throws IOException {
        String name = x.param("name");
        x.caller().authorize("tool.read:" + name, READ);
        RegisteredTool tool = registry.find(name).orElse(null);
        if (tool == null) {
            ToolElsewhere.unknownTool(x, cluster, name, "unknown tool '" + name + "'");
        } else {
            x.json(200, ToolJson.describe(tool, mapper));
        }
    }

    private void invoke(Exchange x) throws IOException, Exchange.Rejected {
        ObjectNode body = x.readObject(Set.of("arguments"), "{\"arguments\":{...}}");
        JsonNode args = body.get("arguments");
        Map<String, Object> arguments;
        if (args == null || args.isNull()) {
            arguments = Map.of();
        } else if (!args.isObject()) {
            throw Exchange.Rejected.badRequest("'arguments' must be a JSON object, not "
                    + args.getNodeType().name().toLowerCase());
        } else {
            arguments = toMap(args);
        }
        ToolCallResult result;
        try {
            // the registry is the one policy point: live token state, rate limits (per subject and tool),
            // permissions, schema, the call and its event
            result = registry.invoke(x.param("name"), arguments, x.caller());
        } catch (RateLimitExceededException e) {
            x.admit(e.decision());
            return;
        } catch (UnknownToolException e) {
            ToolElsewhere.unknownTool(x, cluster, x.param("name"), e.getMessage());
            return;
        } catch (InvalidArgumentsException e) {
            x.problem(Problem.invalidArguments(e.getMessage()));
            return;
        }
        // the headers show the tighter of the request bucket (taken by the context) and the tool-call decision
        RateLimitDecision request = x.requestLimit();
        if (result.rateLimit() != null
                && (request == null || result.rateLimit().remaining() < request.remaining())) {
            x.admit(result.rateLimit());
        }
        if (result.status() == ToolCallResult.Status.TIMEOUT) {
            x.problem(Problem.timeout(result.result().output()));
            return;
        }
        // SUCCESS, FAILURE and CANCELLED (only MCP cancels today) are answers: success tells them apart
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("success", result.isSuccess());
        out.put("output", result.result().output());
        out.put("structured", result.result().structured());
        out.put("content", ContentJson.toJson(result.result().content()));
        out.put("durationMs", result.durationMs());
        out.put("toolVersion", result.toolVersion());
        x.json(200, out);
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> toMap(JsonNode node) {
        return mapper.convertValue(node, Map.class);
    }
}
