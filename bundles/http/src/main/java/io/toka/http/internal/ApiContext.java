package io.toka.http.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.toka.security.AuditEvent;
import io.toka.security.AuditLog;
import io.toka.security.AuthenticationException;
import io.toka.security.RateLimitDecision;
import io.toka.security.RateLimiter;
import io.toka.security.SecurityContext;
import io.toka.security.TokenService;
import java.io.IOException;
import java.time.Instant;
import java.util.Set;
import java.util.UUID;
import javax.servlet.http.HttpServletRequest;
import javax.servlet.http.HttpServletResponse;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.http.context.ServletContextHelper;
import org.osgi.service.http.whiteboard.propertytypes.HttpWhiteboardContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The servlet context of the JSON API under {@code /api/v1}, shared by the servlets of every area. Its
 * {@link #handleSecurity} runs once per request, before any servlet: it authenticates the {@code Bearer} token (401
 * otherwise, with one generic body for every refusal), takes one request from the caller's rate-limit bucket (429,
 * with {@code X-RateLimit-*} headers on every answer) and hands the caller on as the request attribute
 * {@link #CALLER}. Only {@code /health} and its probes {@code /health/live} and {@code /health/ready} are let through
 * without a token; they show their details only to a token with {@code system:read}.
 *
 * <p>It references only the three security services, so that nothing else coming or going re-registers the context
 * (which would re-register every servlet in it).
 */
@Component(service = ServletContextHelper.class)
@HttpWhiteboardContext(name = ApiContext.NAME, path = ApiContext.PATH)
public final class ApiContext extends ServletContextHelper {

    static final String NAME = "toka-api";
    static final String PATH = "/api/v1";
    /** What the servlets of this context select. */
    static final String SELECT = "(osgi.http.whiteboard.context.name=" + NAME + ")";
    /** Request attribute: the authenticated {@link SecurityContext}. */
    static final String CALLER = "io.toka.http.caller";
    /** Request attribute: the {@link RateLimitDecision} of the caller's request bucket for this request. */
    static final String REQUEST_LIMIT = "io.toka.http.requestLimit";
    /** Paths below {@link #PATH} that need no token: health and the Kubernetes-style probes. */
    static final Set<String> OPEN = Set.of("/health", "/health/live", "/health/ready");

    private static final Logger LOG = LoggerFactory.getLogger(ApiContext.class);

    private final TokenService tokens;
    private final RateLimiter rateLimiter;
    private final AuditLog audit;
    private final ObjectMapper mapper = Exchange.newMapper();

    @Activate
    public ApiContext(BundleContext context, @Reference TokenService tokens, @Reference RateLimiter rateLimiter,
            @Reference AuditLog audit) {
        super(context.getBundle());
        this.tokens = tokens;
        this.rateLimiter = rateLimiter;
        this.audit = audit;
    }

    /** For tests. */
    ApiContext(TokenService tokens, RateLimiter rateLimiter, AuditLog audit) {
        this.tokens = tokens;
        this.rateLimiter = rateLimiter;
        this.audit = audit;
    }

    @Override
    public boolean handleSecurity(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        // whatever ran before (a preprocessor) cannot hand a caller in
        req.removeAttribute(CALLER);
        req.removeAttribute(REQUEST_LIMIT);
        String path = Exchange.path(req);
        if (OPEN.contains(path)) {
            return true;
        }
        Exchange x = new Exchange(req, resp, mapper);
        try {
            SecurityContext caller = authenticate(x);
            if (caller == null) {
                return false;
            }
            RateLimitDecision decision = rateLimiter.tryAcquire(caller.subject());
            if (!x.admit(decision)) {
                return false;
            }
            req.setAttribute(CALLER, caller);
            req.setAttribute(REQUEST_LIMIT, decision);
            req.setAttribute(REMOTE_USER, caller.subject());
            req.setAttribute(AUTHENTICATION_TYPE, "Bearer");
            return true;
        } catch (RuntimeException e) {
            // an exception here would reach the container, which answers with its own HTML page
            String ref = UUID.randomUUID().toString().substring(0, 8);
            LOG.error("Request {} {} failed (reference {})", req.getMethod(), req.getRequestURI(), ref, e);
            x.problem(Problem.internal("the request failed; reference " + ref + " in the Toka log"));
            return false;
        }
    }

    /** The caller of a {@code Bearer} token, or {@code null} after answering 401 (the same body for every refusal). */
    private SecurityContext authenticate(Exchange x) throws IOException {
        String raw = bearer(x.req);
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

    /** The token of an {@code Authorization: Bearer} header (the scheme in any case), or {@code null}. */
    static String bearer(HttpServletRequest req) {
        String header = req.getHeader("Authorization");
        return header != null && header.regionMatches(true, 0, "Bearer ", 0, 7) ? header.substring(7).trim() : null;
    }
}
