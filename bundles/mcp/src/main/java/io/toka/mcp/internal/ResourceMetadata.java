package io.toka.mcp.internal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import javax.servlet.http.HttpServlet;
import javax.servlet.http.HttpServletRequest;
import javax.servlet.http.HttpServletResponse;

/**
 * OAuth 2.0 Protected Resource Metadata (RFC 9728) for the MCP endpoint, at the root context:
 * {@code /.well-known/oauth-protected-resource} (what the 401 challenge names) and its path-suffixed form
 * {@code /.well-known/oauth-protected-resource/mcp} (RFC 9728 section 3.1). No authentication: it is what a client
 * reads to learn how to authenticate.
 *
 * <p>{@code resource} (the only required member) is the endpoint's URL as the client reached this host. There is no
 * {@code authorization_servers}: Toka issues its capability tokens itself ({@code toka:token-issue}, the REST API),
 * so there is no OAuth authorization server to discover. {@code scopes_supported} is left out for the same reason:
 * Toka permissions are granted in the token, not requested as OAuth scopes.
 */
final class ResourceMetadata extends HttpServlet {

    static final String WELL_KNOWN = "/.well-known/oauth-protected-resource";

    private static final long serialVersionUID = 1L;

    private final String endpointPath;
    private final transient OriginGuard guard;
    private final transient Answers answers;

    ResourceMetadata(String endpointPath, OriginGuard guard, Answers answers) {
        this.endpointPath = endpointPath;
        this.guard = guard;
        this.answers = answers;
    }

    /** The URL of this document as a client of {@code req} reaches it: what the 401 challenge names. */
    static String metadataUrl(HttpServletRequest req) {
        return origin(req) + WELL_KNOWN;
    }

    static String origin(HttpServletRequest req) {
        String host = req.getHeader("Host");
        if (host == null) {
            host = req.getServerName() + ":" + req.getServerPort();
        }
        return req.getScheme() + "://" + host;
    }

    @Override
    protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        if (!guard.allows(req)) {
            answers.error(req, resp, 403, JsonRpc.error(null, JsonRpc.FORBIDDEN, "Forbidden", null));
            return;
        }
        String suffix = req.getPathInfo() == null ? "" : req.getPathInfo();
        String full = (req.getServletPath() == null ? "" : req.getServletPath()) + suffix;
        if (!full.equals(WELL_KNOWN) && !full.equals(WELL_KNOWN + endpointPath)) {
            resp.sendError(404);
            return;
        }
        if (!"GET".equals(req.getMethod()) && !"HEAD".equals(req.getMethod())) {
            resp.setHeader("Allow", "GET, HEAD");
            resp.sendError(405);
            return;
        }
        ObjectNode doc = Json.object();
        doc.put("resource", origin(req) + endpointPath);
        doc.putArray("bearer_methods_supported").add("header");
        doc.put("resource_name", "Toka");
        resp.setHeader("Cache-Control", "max-age=3600");
        answers.json(resp, 200, doc);
    }
}
