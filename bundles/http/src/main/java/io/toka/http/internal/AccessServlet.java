package io.toka.http.internal;

import io.toka.security.SecurityContext;
import io.toka.security.TokenClaims;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.servlet.Servlet;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.http.whiteboard.propertytypes.HttpWhiteboardContextSelect;
import org.osgi.service.http.whiteboard.propertytypes.HttpWhiteboardServletName;
import org.osgi.service.http.whiteboard.propertytypes.HttpWhiteboardServletPattern;

/**
 * {@code GET /access?check=agent:run&check=tool:invoke:hello}: what the caller itself may do, so that a client (the
 * web console) offers only those actions. It answers the caller's subject, its token's permissions and, for each
 * {@code check}, whether the caller holds it (Shiro wildcards apply, as in every check of the API). It reveals
 * nothing but the caller's own rights, so it needs no permission. Not audited: it grants nothing, and every action
 * is still checked (and audited) when it is attempted.
 */
@Component(service = Servlet.class)
@HttpWhiteboardContextSelect(ApiContext.SELECT)
@HttpWhiteboardServletPattern("/access")
@HttpWhiteboardServletName(AccessServlet.NAME)
public final class AccessServlet extends ApiServlet {

    static final String NAME = "toka-access";
    /** Most {@code check} parameters one request may carry. */
    static final int MAX_CHECKS = 100;
    /** Longest permission a check may name. */
    static final int MAX_PERMISSION_CHARS = 256;

    private static final long serialVersionUID = 1L;

    private final transient Router router = new Router().get("/access", this::access);

    @Override
    Router router() {
        return router;
    }

    private void access(Exchange x) throws IOException, Exchange.Rejected {
        SecurityContext caller = x.caller();
        // a revoked or expired token learns nothing (401), even with no check to make
        caller.checkLive();
        String[] checks = x.req.getParameterValues("check");
        if (checks == null) {
            checks = new String[0];
        }
        if (checks.length > MAX_CHECKS) {
            throw Exchange.Rejected.badRequest("at most " + MAX_CHECKS + " checks per request, not " + checks.length);
        }
        Map<String, Boolean> answers = new LinkedHashMap<>();
        for (String p : checks) {
            if (p == null || p.isBlank() || p.length() > MAX_PERMISSION_CHARS) {
                throw Exchange.Rejected.badRequest("each check is a permission such as tool:invoke:file-reader, "
                        + "1 to " + MAX_PERMISSION_CHARS + " characters");
            }
            // a text that is no permission at all is simply not held
            answers.put(p, caller.isPermitted(p));
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("subject", caller.subject());
        TokenClaims token = caller.token().orElse(null);
        body.put("permissions", token == null ? null : token.permissions());
        body.put("expiresAt", token == null ? null : token.expiresAt().toString());
        body.put("checks", answers);
        x.json(200, body);
    }
}
