package io.toka.mcp.internal;

import io.toka.security.SecurityContext;
import io.toka.security.TokenStateException;
import java.io.IOException;
import java.util.UUID;
import javax.servlet.http.HttpServlet;
import javax.servlet.http.HttpServletRequest;
import javax.servlet.http.HttpServletResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The MCP endpoint (Streamable HTTP): first the Origin/Host guard (403), then the token and the request rate limit
 * (401, 429), then POST, GET or DELETE. A token that stops being usable while a request runs gets 401 too.
 */
final class McpServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(McpServlet.class);

    private final transient OriginGuard guard;
    private final transient Authenticator auth;
    private final transient Answers answers;
    private final transient PostHandler post;
    private final transient StreamRequests streams;

    McpServlet(OriginGuard guard, Authenticator auth, Answers answers, PostHandler post, StreamRequests streams) {
        this.guard = guard;
        this.auth = auth;
        this.answers = answers;
        this.post = post;
        this.streams = streams;
    }

    @Override
    protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        if (!guard.allows(req)) {
            answers.error(req, resp, 403, JsonRpc.error(null, JsonRpc.FORBIDDEN,
                    "Forbidden: this Origin or Host is not allowed", null));
            return;
        }
        SecurityContext caller = auth.admit(req, resp);
        if (caller == null) {
            return;
        }
        try {
            switch (req.getMethod()) {
                case "POST" -> post.handle(req, resp, caller);
                case "GET" -> streams.get(req, resp, caller);
                case "DELETE" -> streams.delete(req, resp, caller);
                default -> {
                    resp.setHeader("Allow", "GET, POST, DELETE");
                    answers.error(req, resp, 405, JsonRpc.error(null, JsonRpc.INVALID_REQUEST,
                            "Method Not Allowed", null));
                }
            }
        } catch (TokenStateException e) {
            // revoked, expired or outside its window since the request began
            if (!resp.isCommitted()) {
                resp.reset();
                auth.unauthorized(req, resp);
            }
        } catch (RuntimeException e) {
            String ref = UUID.randomUUID().toString().substring(0, 8);
            LOG.error("MCP {} failed (reference {})", req.getMethod(), ref, e);
            if (!resp.isCommitted()) {
                resp.reset();
                answers.error(resp, 500, JsonRpc.error(null, JsonRpc.INTERNAL_ERROR,
                        "Internal error; reference " + ref + " in the Toka log", null));
            }
        }
    }
}
