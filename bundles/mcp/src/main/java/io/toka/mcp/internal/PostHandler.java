package io.toka.mcp.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.toka.security.SecurityContext;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Locale;
import javax.servlet.http.HttpServletRequest;
import javax.servlet.http.HttpServletResponse;

/**
 * A POST to the endpoint: checks the media types, reads the body within its limit, parses it, decides which
 * revision and session serve it ({@link #resolve}), hands each message to the {@link Dispatcher} and finishes the
 * {@link PostReply}.
 *
 * <p>Which revision: the {@code MCP-Protocol-Version} header when present (an unsupported one is 400 with
 * {@code UnsupportedProtocolVersionError}); else the session's; else, for {@code initialize}, what it negotiates;
 * else 2025-03-26, as the 2025 transports say for a request without the header. A 2025 request with an
 * {@code Mcp-Session-Id} must name a live session of the same token (404 otherwise); without one it is served
 * without a session. 2026-07-28 ignores {@code Mcp-Session-Id}.
 */
final class PostHandler {

    private final Answers answers;
    private final ProtocolVersions versions;
    private final SessionRegistry sessions;
    private final Dispatcher dispatcher;
    private final StreamMonitor monitor;
    private final int maxBodyBytes;

    PostHandler(Answers answers, ProtocolVersions versions, SessionRegistry sessions, Dispatcher dispatcher,
            StreamMonitor monitor, int maxBodyBytes) {
        this.answers = answers;
        this.versions = versions;
        this.sessions = sessions;
        this.dispatcher = dispatcher;
        this.monitor = monitor;
        this.maxBodyBytes = maxBodyBytes;
    }

    void handle(HttpServletRequest req, HttpServletResponse resp, SecurityContext caller) throws IOException {
        if (!isJson(req.getContentType())) {
            refuse(req, resp, 415, null, "Unsupported Media Type: the body must be application/json");
            return;
        }
        String accept = req.getHeader("Accept");
        boolean sse = accepts(accept, "text/event-stream");
        boolean json = accept == null || accepts(accept, "application/json");
        if (!sse && !json) {
            refuse(req, resp, 406, null, "Not Acceptable: accept application/json or text/event-stream");
            return;
        }
        if (req.getContentLengthLong() > maxBodyBytes) {
            refuse(req, resp, 413, null, "Payload Too Large: the body is over " + maxBodyBytes + " bytes");
            return;
        }
        req.setAttribute(Answers.BODY_READ, Boolean.TRUE);
        byte[] body = readLimited(req.getInputStream(), maxBodyBytes);
        if (body == null) {
            refuse(req, resp, 413, null, "Payload Too Large: the body is over " + maxBodyBytes + " bytes");
            return;
        }
        JsonNode root;
        try {
            root = body.length == 0 ? null : Json.parse(body);
        } catch (JsonProcessingException e) {
            root = null;
        }
        if (root == null) {
            answers.error(resp, 400, JsonRpc.error(null, JsonRpc.PARSE_ERROR, "Parse error: the body is not JSON",
                    null));
            return;
        }
        boolean batch = root.isArray();
        if (batch ? root.isEmpty() : !root.isObject()) {
            refuse(req, resp, 400, null, "Invalid Request: the body must be a JSON-RPC message (an object)");
            return;
        }
        Dispatcher.Target target;
        try {
            target = resolve(req, root, batch, caller);
        } catch (RpcException e) {
            answers.error(resp, e.httpStatus, JsonRpc.error(batch ? null : JsonRpc.idOf(root), e));
            return;
        }
        if (batch && !target.revision().batches()) {
            refuse(req, resp, 400, null, "Invalid Request: JSON-RPC batches are not allowed in protocol revision "
                    + target.revision().wire());
            return;
        }
        Session session = target.session();
        if (session != null) {
            session.touch(caller, sessions.now());
        }
        PostReply reply = new PostReply(resp, answers, sse, json, batch, onLost -> {
            SseChannel c = session != null ? session.openPostStream() : new SseChannel("r", null, onLost);
            monitor.watch(c, caller, c::disconnect);
            return c;
        }, session != null && session.revision.primesStreams());
        if (batch) {
            for (JsonNode message : root) {
                dispatcher.process(message, target, true, caller, reply, req, resp);
            }
        } else {
            dispatcher.process(root, target, false, caller, reply, req, resp);
        }
        reply.finish();
    }

    private Dispatcher.Target resolve(HttpServletRequest req, JsonNode root, boolean batch, SecurityContext caller)
            throws RpcException {
        String header = req.getHeader("MCP-Protocol-Version");
        String sessionId = req.getHeader(LifecycleArea.SESSION_HEADER);
        boolean initialize = !batch && "initialize".equals(root.path("method").asText(null));
        if (header != null) {
            Revision r = versions.served(header.trim());
            if (r == null) {
                throw versions.unsupported(header.trim());
            }
            if (r.stateless() || initialize || sessionId == null) {
                return new Dispatcher.Target(r, null);
            }
            Session s = session(sessionId, caller);
            if (s.revision != r) {
                throw RpcException.invalidRequest("Bad Request: MCP-Protocol-Version " + r.wire()
                        + " is not the session's negotiated " + s.revision.wire(), 400);
            }
            return new Dispatcher.Target(r, s);
        }
        if (initialize) {
            Revision r = versions.newestLegacy();
            if (r == null) {
                throw versions.unsupported(root.path("params").path("protocolVersion").asText(""));
            }
            return new Dispatcher.Target(r, null);
        }
        if (sessionId != null) {
            Session s = session(sessionId, caller);
            return new Dispatcher.Target(s.revision, s);
        }
        if (!batch && root.path("params").path("_meta").has(Meta.PROTOCOL_VERSION)) {
            throw RpcException.headerMismatch("the MCP-Protocol-Version header is required");
        }
        if (!versions.serves(Revision.V2025_03_26)) {
            throw versions.unsupported(Revision.V2025_03_26.wire());
        }
        return new Dispatcher.Target(Revision.V2025_03_26, null);
    }

    private Session session(String id, SecurityContext caller) throws RpcException {
        Session s = sessions.find(id.trim(), caller);
        if (s == null) {
            throw new RpcException(JsonRpc.SESSION_NOT_FOUND, "Session not found: start a new one with initialize",
                    null, 404);
        }
        return s;
    }

    private void refuse(HttpServletRequest req, HttpServletResponse resp, int status, JsonNode id, String message)
            throws IOException {
        answers.error(req, resp, status, JsonRpc.error(id, JsonRpc.INVALID_REQUEST, message, null));
    }

    static boolean isJson(String contentType) {
        if (contentType == null) {
            return false;
        }
        String base = contentType.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
        return base.equals("application/json");
    }

    /** Whether an Accept header allows a media type (exactly, by {@code type/*}, or by {@code *}/{@code *}). */
    static boolean accepts(String accept, String type) {
        if (accept == null) {
            return false;
        }
        String major = type.substring(0, type.indexOf('/'));
        for (String part : accept.split(",")) {
            String[] bits = part.split(";");
            String range = bits[0].trim().toLowerCase(Locale.ROOT);
            boolean zero = false;
            for (int i = 1; i < bits.length; i++) {
                String p = bits[i].trim().replace(" ", "");
                if (p.equals("q=0") || p.matches("q=0\\.0{0,3}")) {
                    zero = true;
                }
            }
            if (!zero && (range.equals(type) || range.equals(major + "/*") || range.equals("*/*"))) {
                return true;
            }
        }
        return false;
    }

    /** Reads at most {@code max} bytes; {@code null} if there is more. */
    static byte[] readLimited(InputStream in, int max) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(1024);
        byte[] buf = new byte[8192];
        int total = 0;
        for (int n; (n = in.read(buf)) > 0; ) {
            total += n;
            if (total > max) {
                return null;
            }
            out.write(buf, 0, n);
        }
        return out.toByteArray();
    }
}
