package io.toka.mcp.internal;

import io.toka.security.AuditEvent;
import io.toka.security.AuditLog;
import io.toka.security.AuthenticationException;
import io.toka.security.RateLimitDecision;
import io.toka.security.RateLimiter;
import io.toka.security.SecurityContext;
import io.toka.security.TokenService;
import io.toka.security.TokenStateException;
import java.io.IOException;
import java.time.Instant;
import javax.servlet.http.HttpServletRequest;
import javax.servlet.http.HttpServletResponse;

/**
 * Authenticates every MCP request as the REST API's context does: the {@code Bearer} capability token through
 * {@link TokenService#authenticate} (a refused token is audited there, a missing one here), its live state, then one
 * request from the subject's rate-limit bucket. Every refusal of a token looks the same: 401 with
 * {@code WWW-Authenticate: Bearer resource_metadata="..."} (RFC 9728) and no detail.
 */
final class Authenticator {

    private final TokenService tokens;
    private final RateLimiter limiter;
    private final AuditLog audit;
    private final Answers answers;

    Authenticator(TokenService tokens, RateLimiter limiter, AuditLog audit, Answers answers) {
        this.tokens = tokens;
        this.limiter = limiter;
        this.audit = audit;
        this.answers = answers;
    }

    /**
     * @return the caller, or {@code null} after answering 401 or 429
     */
    SecurityContext admit(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        String raw = bearer(req);
        SecurityContext caller;
        try {
            if (raw == null || raw.isEmpty()) {
                audit.record(new AuditEvent(Instant.now(), "authenticate", "failure", null, null,
                        "no Bearer token in the Authorization header (" + req.getMethod() + " "
                                + req.getRequestURI() + ")"));
                throw new AuthenticationException("no Bearer token");
            }
            caller = tokens.authenticate(raw);
            caller.checkLive();
        } catch (AuthenticationException | TokenStateException e) {
            unauthorized(req, resp);
            return null;
        }
        RateLimitDecision d = limiter.tryAcquire(caller.subject());
        if (!answers.rateLimit(resp, d)) {
            return null;
        }
        return caller;
    }

    /** Answers 401 with the resource-metadata challenge. */
    void unauthorized(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        resp.setHeader("WWW-Authenticate", "Bearer resource_metadata=\"" + ResourceMetadata.metadataUrl(req) + "\"");
        answers.error(req, resp, 401, JsonRpc.error(null, JsonRpc.UNAUTHORIZED, "Unauthorized", null));
    }

    /** The token of an {@code Authorization: Bearer} header (the scheme in any case), or {@code null}. */
    static String bearer(HttpServletRequest req) {
        String header = req.getHeader("Authorization");
        return header != null && header.regionMatches(true, 0, "Bearer ", 0, 7) ? header.substring(7).trim() : null;
    }
}
