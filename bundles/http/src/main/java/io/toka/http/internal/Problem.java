package io.toka.http.internal;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An RFC 9457 problem detail. The detail is always a plain sentence for the client; internals stay in the log.
 *
 * @param status the HTTP status
 * @param type a URI naming the kind of problem
 * @param title a short summary of the kind
 * @param detail what went wrong in this request
 */
record Problem(int status, String type, String title, String detail) {

    static final String MEDIA_TYPE = "application/problem+json";

    static Problem badRequest(String detail) {
        return new Problem(400, "urn:toka:problem:bad-request", "Bad request", detail);
    }

    static Problem invalidArguments(String detail) {
        return new Problem(400, "urn:toka:problem:invalid-arguments", "Invalid arguments", detail);
    }

    static Problem unauthorized() {
        return new Problem(401, "urn:toka:problem:unauthorized", "Unauthorized",
                "a valid capability token is required: send 'Authorization: Bearer <token>'");
    }

    static Problem forbidden(String detail) {
        return new Problem(403, "urn:toka:problem:forbidden", "Forbidden", detail);
    }

    static Problem notFound(String detail) {
        return new Problem(404, "urn:toka:problem:not-found", "Not found", detail);
    }

    static Problem unknownTool(String detail) {
        return new Problem(404, "urn:toka:problem:unknown-tool", "Unknown tool", detail);
    }

    static Problem methodNotAllowed(String detail) {
        return new Problem(405, "urn:toka:problem:method-not-allowed", "Method not allowed", detail);
    }

    static Problem tooLarge(String detail) {
        return new Problem(413, "urn:toka:problem:payload-too-large", "Payload too large", detail);
    }

    static Problem unsupportedMediaType(String detail) {
        return new Problem(415, "urn:toka:problem:unsupported-media-type", "Unsupported media type", detail);
    }

    static Problem internal(String detail) {
        return new Problem(500, "urn:toka:problem:internal", "Internal error", detail);
    }

    static Problem timeout(String detail) {
        return new Problem(504, "urn:toka:problem:tool-timeout", "Tool timed out", detail);
    }

    static Problem unavailable(String detail) {
        return new Problem(503, "urn:toka:problem:busy", "Busy", detail);
    }

    Map<String, Object> body(String instance) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", type);
        m.put("title", title);
        m.put("status", status);
        m.put("detail", detail);
        m.put("instance", instance);
        return m;
    }
}
