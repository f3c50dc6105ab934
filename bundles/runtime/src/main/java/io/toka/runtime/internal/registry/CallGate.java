package io.toka.runtime.internal.registry;

import io.toka.security.AuditEvent;
import io.toka.security.AuditLog;
import io.toka.security.RateLimitDecision;
import io.toka.security.RateLimitExceededException;
import io.toka.security.RateLimiter;
import io.toka.security.SecurityContext;
import io.toka.security.TokenStateException;
import java.time.Instant;
import java.util.List;

/**
 * The first steps of the one policy point every tool call goes through, before the registry checks permissions,
 * validates the arguments and runs the tool: the caller's token must still be usable (live state), then the call
 * must fit the caller's rate limits (per subject, and per subject and tool when configured). HTTP, the shell, the
 * runtime manager and agents all reach a tool through {@link ToolRegistryImpl#invoke}, so none can skip or reorder
 * these steps.
 */
final class CallGate {

    /** Admits every call: for unit tests and benchmarks that build the registry by hand, never in Toka. */
    static final CallGate UNLIMITED = new CallGate(null, null);

    private final RateLimiter limiter;
    private final AuditLog audit;

    CallGate(RateLimiter limiter, AuditLog audit) {
        this.limiter = limiter;
        this.audit = audit;
    }

    /**
     * Admits one call of a tool.
     *
     * @return the rate-limit decision, or {@code null} when no limiter is configured
     * @throws TokenStateException if the caller's token is no longer usable (audited)
     * @throws RateLimitExceededException if a rate limit refuses the call (audited)
     */
    RateLimitDecision admit(SecurityContext caller, String tool) {
        try {
            caller.checkLive();
        } catch (TokenStateException e) {
            // authorize records the refusal in the audit log and throws it again
            caller.authorize("tool.invoke:" + tool, List.of());
            throw e;
        }
        if (limiter == null) {
            return null;
        }
        RateLimitDecision d = limiter.tryAcquireCall(caller.subject(), tool);
        if (!d.allowed()) {
            if (audit != null) {
                audit.record(new AuditEvent(Instant.now(), "ratelimit", "denied", caller.subject(),
                        caller.token().map(t -> t.jti()).orElse(null), "tool.invoke:" + tool + " retry after "
                                + d.retryAfterSeconds() + " s"));
            }
            throw new RateLimitExceededException(d, "calls of tool '" + tool + "' by '" + caller.subject() + "'");
        }
        return d;
    }
}
