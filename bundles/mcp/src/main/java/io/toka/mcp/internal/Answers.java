package io.toka.mcp.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.toka.security.RateLimitDecision;
import java.io.IOException;
import java.io.InputStream;
import javax.servlet.http.HttpServletRequest;
import javax.servlet.http.HttpServletResponse;

/** Writing plain HTTP answers: a JSON body, a JSON-RPC error with a status, 202, the rate-limit headers. */
final class Answers {

    static final String JSON = "application/json";
    /** Request attribute set once the POST body was read (so a refusal need not drain it). */
    static final String BODY_READ = "io.toka.mcp.bodyRead";

    private final int maxBodyBytes;

    Answers(int maxBodyBytes) {
        this.maxBodyBytes = maxBodyBytes;
    }

    void json(HttpServletResponse resp, int status, JsonNode body) throws IOException {
        byte[] bytes = Json.bytes(body);
        resp.setStatus(status);
        resp.setContentType(JSON); // JSON is UTF-8 by definition (RFC 8259): no charset parameter
        resp.setContentLength(bytes.length);
        resp.getOutputStream().write(bytes);
    }

    /** An answer before or instead of JSON-RPC processing: reads what is left of the body first. */
    void error(HttpServletRequest req, HttpServletResponse resp, int status, ObjectNode error) throws IOException {
        drain(req);
        json(resp, status, error);
    }

    void error(HttpServletResponse resp, int status, ObjectNode error) throws IOException {
        json(resp, status, error);
    }

    void accepted(HttpServletResponse resp) {
        resp.setStatus(202);
        resp.setContentLength(0);
    }

    /**
     * Sets the {@code X-RateLimit-*} headers; answers 429 with {@code Retry-After} and a JSON-RPC error
     * ({@link JsonRpc#RATE_LIMITED}, data {@code retryAfterSeconds} and {@code limit}) when the request is over.
     *
     * @return whether the request may proceed
     */
    boolean rateLimit(HttpServletResponse resp, RateLimitDecision d) throws IOException {
        resp.setHeader("X-RateLimit-Limit", Long.toString(d.limit()));
        resp.setHeader("X-RateLimit-Remaining", Long.toString(d.remaining()));
        resp.setHeader("X-RateLimit-Reset", Long.toString(d.resetSeconds()));
        if (d.allowed()) {
            return true;
        }
        resp.setHeader("Retry-After", Long.toString(d.retryAfterSeconds()));
        json(resp, 429, JsonRpc.error(null, JsonRpc.RATE_LIMITED, "Rate limit exceeded: try again in "
                + d.retryAfterSeconds() + " s", rateLimitData(d)));
        return false;
    }

    static ObjectNode rateLimitData(RateLimitDecision d) {
        ObjectNode data = Json.object();
        data.put("retryAfterSeconds", d.retryAfterSeconds());
        data.put("limit", d.limit());
        return data;
    }

    /**
     * Reads and discards a body nobody read (a refusal before the body was needed), up to the body limit, so that
     * the client can finish sending it instead of meeting a reset connection.
     */
    private void drain(HttpServletRequest req) {
        if (req.getAttribute(BODY_READ) != null) {
            return;
        }
        req.setAttribute(BODY_READ, Boolean.TRUE);
        long declared = req.getContentLengthLong();
        if (declared == 0 || declared > maxBodyBytes || !"POST".equals(req.getMethod())) {
            return;
        }
        try (InputStream in = req.getInputStream()) {
            byte[] buf = new byte[8192];
            long total = 0;
            for (int n; (n = in.read(buf)) > 0 && total <= maxBodyBytes; ) {
                total += n;
            }
        } catch (IOException | RuntimeException ignored) {
            // the client went away; the answer is still attempted
        }
    }
}
