package io.toka.http.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.toka.runtime.registry.InvalidArgumentsException;
import io.toka.runtime.registry.RegisteredTool;
import io.toka.runtime.registry.ToolCallResult;
import io.toka.runtime.registry.ToolProvider;
import io.toka.runtime.registry.ToolRegistry;
import io.toka.runtime.registry.UnknownToolException;
import io.toka.tool.ToolDescriptor;
import io.toka.tool.ToolInvocation;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import javax.servlet.Servlet;
import javax.servlet.http.HttpServlet;
import javax.servlet.http.HttpServletRequest;
import javax.servlet.http.HttpServletResponse;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.http.whiteboard.propertytypes.HttpWhiteboardServletName;
import org.osgi.service.http.whiteboard.propertytypes.HttpWhiteboardServletPattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The JSON API under {@code /api/v1}: health, tool listing and tool calls. Every error is an RFC 9457
 * {@code application/problem+json} body without stack traces.
 */
@Component(service = Servlet.class)
@HttpWhiteboardServletPattern(ApiServlet.ROOT + "/*")
@HttpWhiteboardServletName("toka-api")
public final class ApiServlet extends HttpServlet {

    static final String ROOT = "/api/v1";

    /** Largest request body accepted. */
    static final int MAX_BODY_BYTES = 1024 * 1024;

    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(ApiServlet.class);
    private static final String JSON = "application/json";

    private final transient ToolRegistry registry;
    private final transient ObjectMapper mapper;
    private final String version;

    @Activate
    public ApiServlet(BundleContext context, @Reference ToolRegistry registry) {
        this.registry = registry;
        this.mapper = new ObjectMapper()
                .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
        String v = context.getBundle().getHeaders("").get("Toka-Version");
        this.version = v != null ? v : context.getBundle().getVersion().toString();
    }

    @Override
    protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        try {
            route(req, resp);
        } catch (RuntimeException e) {
            String ref = UUID.randomUUID().toString().substring(0, 8);
            LOG.error("Request {} {} failed (reference {})", req.getMethod(), req.getRequestURI(), ref, e);
            problem(req, resp, Problem.internal("the request failed; reference " + ref + " in the Toka log"));
        }
    }

    private void route(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        String path = req.getPathInfo() == null ? "/" : req.getPathInfo();
        String[] parts = path.substring(1).split("/", -1);
        String method = req.getMethod();
        if (path.equals("/health")) {
            if (allow(req, resp, method, "GET")) {
                health(resp);
            }
        } else if (path.equals("/tools") || path.equals("/tools/")) {
            if (allow(req, resp, method, "GET")) {
                json(resp, 200, Map.of("tools", registry.list().stream().map(this::describe).toList()));
            }
        } else if (parts.length == 2 && parts[0].equals("tools") && !parts[1].isEmpty()) {
            if (allow(req, resp, method, "GET")) {
                RegisteredTool tool = registry.find(parts[1]).orElse(null);
                if (tool == null) {
                    problem(req, resp, Problem.unknownTool("unknown tool '" + parts[1] + "'"));
                } else {
                    json(resp, 200, describe(tool));
                }
            }
        } else if (parts.length == 3 && parts[0].equals("tools") && parts[2].equals("invoke") && !parts[1].isEmpty()) {
            if (allow(req, resp, method, "POST")) {
                invoke(req, resp, parts[1]);
            }
        } else {
            problem(req, resp, Problem.notFound("no resource at " + ROOT + path));
        }
    }

    private void health(HttpServletResponse resp) throws IOException {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("status", "UP");
        body.put("version", version);
        body.put("uptimeSeconds", ManagementFactory.getRuntimeMXBean().getUptime() / 1000);
        body.put("tools", registry.names().size());
        json(resp, 200, body);
    }

    private void invoke(HttpServletRequest req, HttpServletResponse resp, String name) throws IOException {
        String contentType = req.getContentType();
        if (!isJson(contentType)) {
            problem(req, resp, Problem.unsupportedMediaType("the request body must be " + JSON + ", not "
                    + (contentType == null ? "missing" : "'" + contentType + "'")));
            return;
        }
        long declared = req.getContentLengthLong();
        if (declared > MAX_BODY_BYTES) {
            problem(req, resp, Problem.tooLarge("the request body is " + declared + " bytes; the limit is "
                    + MAX_BODY_BYTES + " bytes"));
            return;
        }
        byte[] body = readLimited(req.getInputStream());
        if (body == null) {
            problem(req, resp, Problem.tooLarge("the request body is over the limit of " + MAX_BODY_BYTES + " bytes"));
            return;
        }
        Map<String, Object> arguments;
        try {
            arguments = arguments(body);
        } catch (BadRequest e) {
            problem(req, resp, Problem.badRequest(e.getMessage()));
            return;
        }
        ToolCallResult result;
        try {
            result = registry.invoke(name, arguments, ToolInvocation.ANONYMOUS);
        } catch (UnknownToolException e) {
            problem(req, resp, Problem.unknownTool(e.getMessage()));
            return;
        } catch (InvalidArgumentsException e) {
            problem(req, resp, Problem.invalidArguments(e.getMessage()));
            return;
        }
        if (result.status() == ToolCallResult.Status.TIMEOUT) {
            problem(req, resp, Problem.timeout(result.result().output()));
            return;
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("success", result.isSuccess());
        out.put("output", result.result().output());
        out.put("structured", result.result().structured());
        out.put("durationMs", result.durationMs());
        out.put("toolVersion", result.toolVersion());
        json(resp, 200, out);
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> arguments(byte[] body) throws BadRequest {
        if (body.length == 0) {
            throw new BadRequest("the request body is empty; send {\"arguments\":{...}}");
        }
        JsonNode root;
        try {
            root = mapper.readTree(body);
        } catch (JsonProcessingException e) {
            String why = e.getOriginalMessage().split("[\\n(]", 2)[0].trim();
            throw new BadRequest("the request body is not valid JSON"
                    + (e.getLocation() != null ? " (line " + e.getLocation().getLineNr()
                    + ", column " + e.getLocation().getColumnNr() + ")" : "") + ": " + why);
        } catch (IOException e) {
            throw new BadRequest("the request body cannot be read");
        }
        if (root == null || !root.isObject()) {
            throw new BadRequest("the request body must be a JSON object: {\"arguments\":{...}}");
        }
        for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
            String field = it.next();
            if (!field.equals("arguments")) {
                throw new BadRequest("unknown field '" + field + "'; the body holds only 'arguments'");
            }
        }
        JsonNode args = root.get("arguments");
        if (args == null || args.isNull()) {
            return Map.of();
        }
        if (!args.isObject()) {
            throw new BadRequest("'arguments' must be a JSON object, not " + args.getNodeType().name().toLowerCase());
        }
        return mapper.convertValue(args, Map.class);
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

    private boolean allow(HttpServletRequest req, HttpServletResponse resp, String method, String allowed)
            throws IOException {
        if (method.equals(allowed) || (allowed.equals("GET") && method.equals("HEAD"))) {
            return true;
        }
        resp.setHeader("Allow", allowed);
        problem(req, resp, Problem.methodNotAllowed(method + " is not allowed here; use " + allowed));
        return false;
    }

    static boolean isJson(String contentType) {
        if (contentType == null) {
            return false;
        }
        String base = contentType.split(";", 2)[0].trim().toLowerCase();
        return base.equals(JSON) || (base.startsWith("application/") && base.endsWith("+json"));
    }

    /** Reads at most {@link #MAX_BODY_BYTES}; returns {@code null} if there is more. */
    static byte[] readLimited(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(1024);
        byte[] buf = new byte[8192];
        int total = 0;
        for (int n; (n = in.read(buf)) > 0; ) {
            total += n;
            if (total > MAX_BODY_BYTES) {
                return null;
            }
            out.write(buf, 0, n);
        }
        return out.toByteArray();
    }

    private void json(HttpServletResponse resp, int status, Object body) throws IOException {
        write(resp, status, JSON, mapper.writeValueAsBytes(body));
    }

    private void problem(HttpServletRequest req, HttpServletResponse resp, Problem p) throws IOException {
        write(resp, p.status(), Problem.MEDIA_TYPE, mapper.writeValueAsBytes(p.body(req.getRequestURI())));
    }

    private static void write(HttpServletResponse resp, int status, String type, byte[] bytes) throws IOException {
        resp.setStatus(status);
        resp.setContentType(type); // JSON is UTF-8 by definition (RFC 8259): no charset parameter
        resp.setHeader("Cache-Control", "no-store");
        resp.setContentLength(bytes.length);
        resp.getOutputStream().write(bytes);
    }

    /** A request the client must fix; the message is shown to it. */
    private static final class BadRequest extends Exception {
        private static final long serialVersionUID = 1L;

        BadRequest(String message) {
            super(message);
        }
    }
}
