package io.toka.security.internal;

import io.toka.security.AccessDeniedException;
import io.toka.security.AuditEvent;
import io.toka.security.AuditLog;
import io.toka.security.SecurityContext;
import io.toka.security.TokenStateException;
import io.toka.security.TokenClaims;
import java.time.Clock;
import java.util.Collection;
import java.util.Optional;
import org.apache.shiro.mgt.SecurityManager;
import org.apache.shiro.subject.PrincipalCollection;
import org.apache.shiro.subject.SimplePrincipalCollection;

/** A {@link SecurityContext} whose checks go through Shiro's security manager and the capability realm. */
final class Caller implements SecurityContext {

    /** Re-checks a token's live state at the moment of use: revocation, expiry, time windows, key validity. */
    @FunctionalInterface
    interface LiveCheck {
        void check(CallerPrincipal principal) throws TokenStateException;
    }

    private final LiveCheck live;
    private final CallerPrincipal principal;
    private final PrincipalCollection principals;
    private final SecurityManager shiro;
    private final AuditLog audit;
    private final Clock clock;

    Caller(CallerPrincipal principal, SecurityManager shiro, AuditLog audit, Clock clock, LiveCheck live) {
        this.live = live;
        this.principal = principal;
        this.principals = new SimplePrincipalCollection(principal, CapabilityRealm.NAME);
        this.shiro = shiro;
        this.audit = audit;
        this.clock = clock;
    }

    Caller(PrincipalCollection principals, SecurityManager shiro, AuditLog audit, Clock clock, LiveCheck live) {
        this.live = live;
        this.principal = principals.oneByType(CallerPrincipal.class);
        this.principals = principals;
        this.shiro = shiro;
        this.audit = audit;
        this.clock = clock;
    }

    CallerPrincipal principal() {
        return principal;
    }

    @Override
    public String subject() {
        return principal.subject();
    }

    @Override
    public Optional<TokenClaims> token() {
        return Optional.ofNullable(principal.claims());
    }

    @Override
    public void checkLive() {
        if (principal.claims() != null) {
            live.check(principal);
        }
    }

    @Override
    public boolean isPermitted(String permission) {
        if (principal.claims() != null) {
            try {
                live.check(principal);
            } catch (TokenStateException e) {
                return false;
            }
        }
        return holds(permission);
    }

    /** The permission check alone, once the live state has been checked. */
    private boolean holds(String permission) {
        try {
            return shiro.isPermitted(principals, permission);
        } catch (IllegalArgumentException notAPermission) {
            return false;
        }
    }

    @Override
    public void authorize(String action, Collection<String> permissions) {
        try {
            checkLive();
        } catch (TokenStateException e) {
            audit.record(new AuditEvent(clock.instant(), "authorize", "denied", subject(), jti(),
                    action + ": " + e.getMessage()));
            throw e;
        }
        for (String p : permissions) {
            if (!holds(p)) {
                audit.record(new AuditEvent(clock.instant(), "authorize", "denied", subject(), jti(),
                        action + " needs " + p));
                throw new AccessDeniedException(p, "permission '" + p + "' is required for " + action
                        + " and is not held by '" + subject() + "'");
            }
        }
        audit.record(new AuditEvent(clock.instant(), "authorize", "allowed", subject(), jti(), action));
    }

    private String jti() {
        return principal.claims() == null ? null : principal.claims().jti();
    }

    @Override
    public String toString() {
        return "Caller[" + subject() + (principal.claims() == null ? ", shell" : ", jti " + jti()) + "]";
    }
}
