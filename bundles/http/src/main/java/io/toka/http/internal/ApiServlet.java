package io.toka.http.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.toka.event.EventBus;
import io.toka.event.EventStore;
import io.toka.kernel.Kernel;
import io.toka.runtime.registry.InvalidArgumentsException;
import io.toka.runtime.registry.RegisteredTool;
import io.toka.runtime.registry.ToolCallResult;
import io.toka.runtime.registry.ToolProvider;
import io.toka.runtime.registry.ToolRegistry;
import io.toka.runtime.registry.UnknownToolException;
import io.toka.security.AccessDeniedException;
import io.toka.security.AuditEvent;
import io.toka.security.AuditLog;
import io.toka.security.AuthenticationException;
import io.toka.security.KeyService;
import io.toka.security.Permissions;
import io.toka.security.RateLimitExceededException;
import io.toka.security.TokenStateException;
import io.toka.security.RateLimitDecision;
import io.toka.security.RateLimiter;
import io.toka.security.SecurityContext;
import io.toka.security.TokenService;
import io.toka.tool.ToolDescriptor;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import javax.servlet.Servlet;
import javax.servlet.http.HttpServlet;
import javax.servlet.http.HttpServletRequest;
import javax.servlet.http.HttpServletResponse;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import io.toka.llm.LlmGateway;
import io.toka.orchestration.AgentService;
import io.toka.orchestration.SessionService;
import io.toka.runtime.execution.RuntimeManager;
import io.toka.sandbox.Isolation;
import io.toka.sandbox.SandboxLauncher;
import io.toka.tools.external.ExternalTools;
import io.toka.tools.external.ManifestError;
import org.osgi.service.http.whiteboard.propertytypes.HttpWhiteboardServletName;
import org.osgi.service.http.whiteboard.propertytypes.HttpWhiteboardServletPattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The JSON API under {@code /api/v1}: health, tools, tool calls, tokens and keys. Everything except
 * {@code GET /health} needs {@code Authorization: Bearer <capability token>} (401 otherwise, with one generic body
 * for every refusal), is rate limited per subject (429, with {@code X-RateLimit-*} headers on every answer) and is
 * checked against the caller's permissions (403). Every error is an RFC 9457 {@code application/problem+json} body
 * without stack traces.
 */
@Component(service = Servlet.class)
@HttpWhiteboardServletPattern(ApiServlet.ROOT + "/*")
@HttpWhiteboardServletName("toka-api")
public final class ApiServlet extends HttpServlet {

    static final String ROOT = "/api/v1";

    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(ApiServlet.class);

    private static final List<String> READ = List.of(Permissions.TOOL_READ);

    private final transient ToolRegistry registry;
    private final transient TokenService tokens;
    private final transient RateLimiter rateLimiter;
    private final transient AuditLog audit;
    private final transient TokenApi tokenApi;
    private final transient EventApi eventApi;
    private final transient ExecutionApi executionApi;
    private final transient AgentApi agentApi;
    private final transient ObjectMapper mapper;
    /** {@code null} when the external-tools bundle is not installed. */
    private final transient ExternalTools externalTools;
    /** {@code null} when the sandbox bundle is not installed. */
    private final transient SandboxLauncher sandbox;
    private final String version;

    @Activate
    public ApiServlet(BundleContext context, @Reference ToolRegistry registry, @Reference TokenService tokens,
            @Reference KeyService keys, @Reference RateLimiter rateLimiter, @Reference AuditLog audit,
            @Reference Kernel kernel, @Reference EventStore store, @Reference EventBus bus,
            @Reference(cardinality = ReferenceCardinality.OPTIONAL, policyOption = ReferencePolicyOption.GREEDY)
            ExternalTools externalTools,
            @Reference(cardinality = ReferenceCardinality.OPTIONAL, policyOption = ReferencePolicyOption.GREEDY)
            SandboxLauncher sandbox,
            @Reference(cardinality = ReferenceCardinality.OPTIONAL, policyOption = ReferencePolicyOption.GREEDY)
            RuntimeManager runtime,
            @Reference(cardinality = ReferenceCardinality.OPTIONAL, policyOption = ReferencePolicyOption.GREEDY)
            AgentService agents,
            @Reference(cardinality = ReferenceCardinality.OPTIONAL, policyOption = ReferencePolicyOption.GREEDY)
            SessionService sessions,
            @Reference(cardinality = ReferenceCardinality.OPTIONAL, policyOption = ReferencePolicyOption.GREEDY)
            LlmGateway llm) {
        this.registry = registry;
        this.externalTools = externalTools;
        this.sandbox = sandbox;
        this.tokens = tokens;
        this.rateLimiter = rateLimiter;
        this.audit = audit;
        this.tokenApi = new TokenApi(tokens, keys);
        this.mapper = new ObjectMapper()
                // records carry Instants (agent and session statuses); ISO-8601 text, without the jsr310 module
                .registerModule(new com.fasterxml.jackson.databind.module.SimpleModule("toka-time")
                        .addSerializer(java.time.Instant.class, new com.fasterxml.jackson.databind.ser.std.ToStringSerializer()))
                .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
        this.eventApi = new EventApi(kernel, store, bus, mapper);
        this.executionApi = new ExecutionApi(runtime, mapper);
        this.agentApi = new AgentApi(agents, sessions, llm, eventApi);
        String v = context.getBundle().getHeaders("").get("Toka-Version");
        this.version = v != null ? v : context.getBundle().getVersion().toString();
    }

    @Override
    protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        Exchange x = new Exchange(req, resp, mapper);
        try {
            route(x);
        } catch (Exchange.Rejected e) {
            x.problem(e.problem);
        } catch (TokenStateException e) {
            // the token was valid when the request began and is not any more (revoked, expired, outside its window)
            x.resp.setHeader("WWW-Authenticate", "Bearer realm=\"toka\", error=\"invalid_token\"");
            x.problem(Problem.unauthorized());
        } catch (AccessDeniedException e) {
            x.problem(Problem.forbidden(e.getMessage()));
        } catch (RateLimitExceededException e) {
            x.resp.setHeader("Retry-After", Long.toString(e.decision().retryAfterSeconds()));
            x.problem(new Problem(429, "urn:toka:problem:rate-limited", "Too Many Requests", e.getMessage()));
        } catch (RuntimeException e) {
            String ref = UUID.randomUUID().toString().substring(0, 8);
            LOG.error("Request {} {} failed (reference {})", req.getMethod(), req.getRequestURI(), ref, e);
            x.problem(Problem.internal("the request failed; reference " + ref + " in the Toka log"));
        }
    }

    private void route(Exchange x) throws IOException, Exchange.Rejected {
        String path = x.req.getPathInfo() == null ? "/" : x.req.getPathInfo();
        String[] parts = path.substring(1).split("/", -1);
        if (path.equals("/health")) {
            if (x.allow("GET")) {
                health(x);
            }
            return;
        }
        SecurityContext caller = authenticate(x);
        if (caller == null || !admit(x, rateLimiter.tryAcquire(caller.subject()))) {
            return;
        }
        if (path.equals("/tools/errors")) {
            if (x.allow("GET")) {
                caller.authorize("tool.errors", READ);
                List<ManifestError> errors = externalTools == null ? List.of() : externalTools.errors();
                x.json(200, Map.of("errors", errors.stream().map(e -> {
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("file", e.file());
                    m.put("field", e.field());
                    m.put("problem", e.problem());
                    m.put("at", e.at().toString());
                    return m;
                }).toList()));
            }
        } else if (path.equals("/tools") || path.equals("/tools/")) {
            if (x.allow("GET")) {
                caller.authorize("tool.list", READ);
                x.json(200, Map.of("tools", registry.list().stream().map(this::describe).toList()));
            }
        } else if (parts.length == 2 && parts[0].equals("tools") && !parts[1].isEmpty()) {
            if (x.allow("GET")) {
                caller.authorize("tool.read:" + parts[1], READ);
                RegisteredTool tool = registry.find(parts[1]).orElse(null);
                if (tool == null) {
                    x.problem(Problem.unknownTool("unknown tool '" + parts[1] + "'"));
                } else {
                    x.json(200, describe(tool));
                }
            }
        } else if (parts.length == 3 && parts[0].equals("tools") && parts[2].equals("invoke") && !parts[1].isEmpty()) {
            if (x.allow("POST")) {
                invoke(x, caller, parts[1]);
            }
        } else if (!tokenApi.route(x, caller, parts) && !eventApi.route(x, caller, parts)
                && !executionApi.route(x, caller, parts) && !agentApi.route(x, caller, parts)) {
            x.problem(Problem.notFound("no resource at " + ROOT + path));
        }
    }

    /** The caller of a {@code Bearer} token, or {@code null} after answering 401 (the same body for every refusal). */
    private SecurityContext authenticate(Exchange x) throws IOException {
        String header = x.req.getHeader("Authorization");
        String raw = header != null && header.regionMatches(true, 0, "Bearer ", 0, 7) ? header.substring(7).trim() : null;
        try {
            if (raw == null) {
                throw new AuthenticationException("no Bearer token in the Authorization header");
            }
            return tokens.authenticate(raw);
        } catch (AuthenticationException e) {
            if (raw == null) {
                // a refused token is audited by the token service; a missing one is audited here
                audit.record(new AuditEvent(Instant.now(), "authenticate", "failure", null, null,
                        e.reason() + " (" + x.req.getMethod() + " " + x.req.getRequestURI() + ")"));
            }
            x.resp.setHeader("WWW-Authenticate", "Bearer realm=\"toka\"");
            x.problem(Problem.unauthorized());
            return null;
        }
    }

    /** Sets the rate-limit headers; answers 429 and returns false if the request is over the limit. */
    private boolean admit(Exchange x, RateLimitDecision d) throws IOException {
        x.resp.setHeader("X-RateLimit-Limit", Long.toString(d.limit()));
        x.resp.setHeader("X-RateLimit-Remaining", Long.toString(d.remaining()));
        x.resp.setHeader("X-RateLimit-Reset", Long.toString(d.resetSeconds()));
        if (d.allowed()) {
            return true;
        }
        x.resp.setHeader("Retry-After", Long.toString(d.retryAfterSeconds()));
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("error", "Too Many Requests");
        body.put("message", "Rate limit exceeded. Try again in " + d.retryAfterSeconds() + " seconds.");
        body.put("retry_after", d.retryAfterSeconds());
        body.put("limit", d.limit());
        x.json(429, body);
        return false;
    }

    /**
     * Health: {@code {"status"}} for anyone, so that probes need no token. The details (version, uptime, tool count,
     * the sandbox's state and its notes, which name host paths and errors) need a token with {@code system:read}; a
     * caller without it, or with a bad token, gets the same short answer as an anonymous one.
     */
    private void health(Exchange x) throws IOException {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("status", "UP");
        if (!mayReadSystem(x)) {
            x.json(200, body);
            return;
        }
        body.put("version", version);
        body.put("uptimeSeconds", ManagementFactory.getRuntimeMXBean().getUptime() / 1000);
        body.put("tools", registry.names().size());
        if (sandbox != null) {
            Isolation iso = sandbox.isolation();
            Map<String, Object> sb = new LinkedHashMap<>();
            sb.put("level", iso.level().name());
            sb.put("namespaces", iso.namespaces());
            sb.put("network", iso.network());
            sb.put("rlimits", iso.rlimits());
            sb.put("cgroup", iso.cgroup());
            sb.put("notes", iso.notes());
            body.put("sandbox", sb);
        } else {
            body.put("sandbox", Map.of("level", "NONE", "notes", List.of("the sandbox bundle is not installed")));
        }
        x.json(200, body);
    }

    /** Whether the request carries a usable token with {@code system:read}; refusals are audited by the token service. */
    private boolean mayReadSystem(Exchange x) {
        String header = x.req.getHeader("Authorization");
        if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return false;
        }
        try {
            return tokens.authenticate(header.substring(7).trim()).isPermitted(Permissions.SYSTEM_READ);
        } catch (AuthenticationException e) {
            return false;
        }
    }

    private void invoke(Exchange x, SecurityContext caller, String name) throws IOException, Exchange.Rejected {
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
            result = registry.invoke(name, arguments, caller);
        } catch (RateLimitExceededException e) {
            admit(x, e.decision());
            return;
        } catch (UnknownToolException e) {
            x.problem(Problem.unknownTool(e.getMessage()));
            return;
        } catch (InvalidArgumentsException e) {
            x.problem(Problem.invalidArguments(e.getMessage()));
            return;
        }
        if (result.rateLimit() != null && result.rateLimit().remaining() < remaining(x)) {
            admit(x, result.rateLimit());
        }
        if (result.status() == ToolCallResult.Status.TIMEOUT) {
            x.problem(Problem.timeout(result.result().output()));
            return;
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("success", result.isSuccess());
        out.put("output", result.result().output());
        out.put("structured", result.result().structured());
        out.put("durationMs", result.durationMs());
        out.put("toolVersion", result.toolVersion());
        x.json(200, out);
    }

    /** The {@code X-RateLimit-Remaining} already set for this answer. */
    private static long remaining(Exchange x) {
        String v = x.resp.getHeader("X-RateLimit-Remaining");
        return v == null ? Long.MAX_VALUE : Long.parseLong(v);
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> toMap(JsonNode node) {
        return mapper.convertValue(node, Map.class);
    }

    private Map<String, Object> describe(RegisteredTool tool) {
        ToolDescriptor d = tool.descriptor();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", d.name());
        m.put("version", d.version());
        m.put("description", d.description());
        m.put("inputSchema", schemaNode(d.inputSchema()));
        m.put("requiredPermissions", List.copyOf(d.requiredPermissions()));
        Map<String, Object> hints = new LinkedHashMap<>();
        hints.put("readOnly", d.readOnly());
        hints.put("destructive", d.destructive());
        hints.put("idempotent", d.idempotent());
        hints.put("openWorld", d.openWorld());
        m.put("hints", hints);
        m.put("timeoutMs", d.timeout().toMillis());
        m.put("provider", provider(tool.provider()));
        m.put("shadowed", tool.shadowed().stream().map(ApiServlet::provider).toList());
        return m;
    }

    private static Map<String, Object> provider(ToolProvider p) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("bundle", p.bundleSymbolicName());
        m.put("bundleVersion", p.bundleVersion());
        m.put("serviceId", p.serviceId());
        m.put("ranking", p.ranking());
        return m;
    }

    /** The schema as JSON; a tool with a broken schema still lists, with the text as a string. */
    private Object schemaNode(String schema) {
        try {
            return mapper.readTree(schema);
        } catch (JsonProcessingException e) {
            ObjectNode n = mapper.createObjectNode();
            n.put("invalid", schema);
            return n;
        }
    }

}
