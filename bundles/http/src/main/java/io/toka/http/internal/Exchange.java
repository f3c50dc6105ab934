package io.toka.http.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.ser.std.ToStringSerializer;
import io.toka.security.RateLimitDecision;
import io.toka.security.SecurityContext;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import javax.servlet.http.HttpServletRequest;
import javax.servlet.http.HttpServletResponse;

/**
 * One request and its response, with the JSON reading and writing every endpoint shares; the caller that
 * {@link ApiContext} authenticated and the path parameters that {@link Router} matched.
 */
final class Exchange {

    /** Largest request body accepted. */
    static final int MAX_BODY_BYTES = 1024 * 1024;
    static final String JSON = "application/json";

    /** A request the client must fix; the problem is sent as is. */
    static final class Rejected extends Exception {
        private static final long serialVersionUID = 1L;
        final transient Problem problem;

        Rejected(Problem problem) {
            super(problem.detail());
            this.problem = problem;
        }

        static Rejected badRequest(String detail) {
            return new Rejected(Problem.badRequest(detail));
        }
    }

    final HttpServletRequest req;
    final HttpServletResponse resp;
    private final ObjectMapper mapper;
    private boolean bodyRead;
    private Map<String, String> params = Map.of();

    Exchange(HttpServletRequest req, HttpServletResponse resp, ObjectMapper mapper) {
        this.req = req;
        this.resp = resp;
        this.mapper = mapper;
    }

    /** The mapper every servlet of the API uses: records with Instants as ISO-8601 text, strict trailing tokens. */
    static ObjectMapper newMapper() {
        return new ObjectMapper()
                // records carry Instants (agent and session statuses); ISO-8601 text, without the jsr310 module
                .registerModule(new SimpleModule("toka-time").addSerializer(Instant.class, new ToStringSerializer()))
                .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    }

    ObjectMapper mapper() {
        return mapper;
    }

    /** The path below {@code /api/v1}, decoded, e.g. {@code /tools/file-reader/invoke}; {@code /} for the root. */
    static String path(HttpServletRequest req) {
        String servletPath = req.getServletPath() == null ? "" : req.getServletPath();
        String path = req.getPathInfo() == null ? servletPath : servletPath + req.getPathInfo();
        return path.isEmpty() ? "/" : path;
    }

    String path() {
        return path(req);
    }

    /** The caller {@link ApiContext} authenticated, or {@code null} on an open route. */
    SecurityContext caller() {
        return (SecurityContext) req.getAttribute(ApiContext.CALLER);
    }

    /** The decision of the caller's request bucket, taken once by {@link ApiContext}; {@code null} on an open route. */
    RateLimitDecision requestLimit() {
        return (RateLimitDecision) req.getAttribute(ApiContext.REQUEST_LIMIT);
    }

    void params(Map<String, String> matched) {
        this.params = Map.copyOf(matched);
    }

    /** A path parameter, e.g. {@code name} of {@code /tools/{name}}. */
    String param(String name) {
        return params.get(name);
    }

    /** Sets the rate-limit headers; answers 429 and returns false if the request is over the limit. */
    boolean admit(RateLimitDecision d) throws IOException {
        resp.setHeader("X-RateLimit-Limit", Long.toString(d.limit()));
        resp.setHeader("X-RateLimit-Remaining", Long.toString(d.remaining()));
        resp.setHeader("X-RateLimit-Reset", Long.toString(d.resetSeconds()));
        if (d.allowed()) {
            return true;
        }
        resp.setHeader("Retry-After", Long.toString(d.retryAfterSeconds()));
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("error", "Too Many Requests");
        body.put("message", "Rate limit exceeded. Try again in " + d.retryAfterSeconds() + " seconds.");
        body.put("retry_after", d.retryAfterSeconds());
        body.put("limit", d.limit());
        json(429, body);
        return false;
    }

    /**
     * Reads the body as a JSON object that has only the given fields.
     *
     * @param example shown in messages, e.g. {@code {"arguments":{...}}}
     */
    ObjectNode readObject(Set<String> fields, String example) throws Rejected, IOException {
        return readObject(fields, example, MAX_BODY_BYTES);
    }

    /** As {@link #readObject(Set, String)}, with a body limit of {@code maxBytes}. */
    ObjectNode readObject(Set<String> fields, String example, int maxBytes) throws Rejected, IOException {
        String contentType = req.getContentType();
        if (!isJson(contentType)) {
            throw new Rejected(Problem.unsupportedMediaType("the request body must be " + JSON + ", not "
                    + (contentType == null ? "missing" : "'" + contentType + "'")));
        }
        long declared = req.getContentLengthLong();
        if (declared > maxBytes) {
            throw new Rejected(Problem.tooLarge("the request body is " + declared + " bytes; the limit is "
                    + maxBytes + " bytes"));
        }
        bodyRead = true;
        byte[] body = readLimited(req.getInputStream(), maxBytes);
        if (body == null) {
            throw new Rejected(Problem.tooLarge("the request body is over the limit of " + maxBytes + " bytes"));
        }
        if (body.length == 0) {
            throw Rejected.badRequest("the request body is empty; send " + example);
        }
        JsonNode root;
        try {
            root = mapper.readTree(body);
        } catch (JsonProcessingException e) {
            String why = e.getOriginalMessage().split("[\\n(]", 2)[0].trim();
            throw Rejected.badRequest("the request body is not valid JSON"
                    + (e.getLocation() != null ? " (line " + e.getLocation().getLineNr()
                    + ", column " + e.getLocation().getColumnNr() + ")" : "") + ": " + why);
        } catch (java.io.CharConversionException e) {
            // Jackson guessed UTF-16/32 from zero bytes and met an invalid character: an IOException, not a
            // JsonProcessingException, which escaped as a 500 (found by HttpBodyFuzzTest)
            throw Rejected.badRequest("the request body is not valid JSON: it must be UTF-8 text");
        }
        if (root == null || !root.isObject()) {
            throw Rejected.badRequest("the request body must be a JSON object: " + example);
        }
        for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
            String field = it.next();
            if (!fields.contains(field)) {
                throw Rejected.badRequest("unknown field '" + field + "'; the body may hold " + fields);
            }
        }
        return (ObjectNode) root;
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
        return readLimited(in, MAX_BODY_BYTES);
    }

    /** Reads at most {@code maxBytes}; returns {@code null} if there is more. */
    static byte[] readLimited(InputStream in, int maxBytes) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(1024);
        byte[] buf = new byte[8192];
        int total = 0;
        for (int n; (n = in.read(buf)) > 0; ) {
            total += n;
            if (total > maxBytes) {
                return null;
            }
            out.write(buf, 0, n);
        }
        return out.toByteArray();
    }

    void json(int status, Object body) throws IOException {
        write(status, JSON, mapper.writeValueAsBytes(body));
    }

    void problem(Problem p) throws IOException {
        write(p.status(), Problem.MEDIA_TYPE, mapper.writeValueAsBytes(p.body(req.getRequestURI())));
    }

    /** A problem with extension members (RFC 9457, section 3.2), e.g. the cluster nodes that have an unknown tool. */
    void problem(Problem p, Map<String, Object> extensions) throws IOException {
        Map<String, Object> body = p.body(req.getRequestURI());
        body.putAll(extensions);
        write(p.status(), Problem.MEDIA_TYPE, mapper.writeValueAsBytes(body));
    }

    private void write(int status, String type, byte[] bytes) throws IOException {
        drainUnreadBody();
        resp.setStatus(status);
        resp.setContentType(type); // JSON is UTF-8 by definition (RFC 8259): no charset parameter
        resp.setHeader("Cache-Control", "no-store");
        resp.setContentLength(bytes.length);
        resp.getOutputStream().write(bytes);
    }

    /**
     * Reads and discards a request body nobody read (a 401, 403 or 429 answered before the body was needed), up to
     * the body limit, so that the client can finish sending it instead of hitting a reset connection.
     */
    private void drainUnreadBody() {
        if (bodyRead) {
            return;
        }
        bodyRead = true;
        long declared = req.getContentLengthLong();
        if (declared == 0 || declared > MAX_BODY_BYTES) {
            return;
        }
        try {
            readLimited(req.getInputStream());
        } catch (IOException | RuntimeException ignored) {
            // the client went away; the answer is still attempted
        }
    }
}
