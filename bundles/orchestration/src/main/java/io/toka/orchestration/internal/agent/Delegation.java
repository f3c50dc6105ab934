package io.toka.orchestration.internal.agent;

import io.toka.orchestration.AgentConfig;
import io.toka.runtime.registry.ToolRegistry;
import io.toka.security.AccessDeniedException;
import io.toka.security.AuthenticationException;
import io.toka.security.DelegationRequest;
import io.toka.security.IssuedToken;
import io.toka.security.SecurityContext;
import io.toka.security.TokenClaims;
import io.toka.security.TokenRequest;
import io.toka.security.TokenRequestException;
import io.toka.security.TokenService;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * An agent's token: delegated from its caller's token and narrowed to the agent's {@code capabilities_required} and
 * the tools they cover (see {@link AgentPermissions}), so that it only ever narrows. A shell user without a token gets
 * one issued instead (needs {@code token:issue} and every permission granted).
 */
final class Delegation {

    /** The token could not be had; the message says why. */
    static final class Refused extends Exception {
        private static final long serialVersionUID = 1L;
        final boolean depth;

        Refused(String message, boolean depth) {
            super(message, null, false, false);
            this.depth = depth;
        }
    }

    private final TokenService tokens;
    private final ToolRegistry tools;
    private final Duration ttl;

    Delegation(TokenService tokens, ToolRegistry tools, Duration ttl) {
        this.tokens = tokens;
        this.tools = tools;
        this.ttl = ttl;
    }

    /** The permissions the agent's token gets from this caller. */
    List<String> permissions(AgentConfig config, SecurityContext caller) throws Refused {
        List<String> capabilities = AgentPermissions.capabilities(
                config.security() == null ? List.of() : config.security().capabilitiesRequired());
        if (capabilities.isEmpty()) {
            throw new Refused("security.capabilities_required is empty: an agent token needs at least one permission",
                    false);
        }
        return AgentPermissions.delegated(capabilities, tools.list(), caller);
    }

    /** The first capability the caller does not hold, if any. */
    static Optional<String> missing(AgentConfig config, SecurityContext caller) {
        for (String c : AgentPermissions.capabilities(
                config.security() == null ? List.of() : config.security().capabilitiesRequired())) {
            if (!caller.isPermitted(c)) {
                return Optional.of(c);
            }
        }
        return Optional.empty();
    }

    /**
     * @return the agent's token, authenticated
     * @throws Refused naming why (a permission the caller lacks, a chain too deep, a revoked caller)
     */
    TaskLoop.TaskToken token(AgentConfig config, SecurityContext caller, boolean own) throws Refused {
        List<String> permissions = permissions(config, caller);
        try {
            IssuedToken token = caller.token().isPresent()
                    ? tokens.delegate(caller, new DelegationRequest("agent:" + config.name(), permissions,
                            ttl(caller), List.of(), Set.of()))
                    : tokens.issue(caller, new TokenRequest("agent:" + config.name(), null, permissions, ttl));
            return new TaskLoop.TaskToken(tokens.authenticate(token.token()), token.token(), own);
        } catch (TokenRequestException e) {
            throw new Refused("cannot delegate the agent's token from " + caller.subject() + ": " + e.getMessage(),
                    e.getMessage() != null && e.getMessage().contains("deep"));
        } catch (AccessDeniedException | AuthenticationException e) {
            throw new Refused("cannot delegate the agent's token from " + caller.subject() + ": " + e.getMessage(),
                    false);
        }
    }

    /**
     * A kept token, checked again as if new.
     *
     * @throws Refused with the reason it is no longer valid (revoked, expired...)
     */
    TaskLoop.TaskToken reauthenticate(String raw, boolean own) throws Refused {
        try {
            return new TaskLoop.TaskToken(tokens.authenticate(raw), raw, own);
        } catch (AuthenticationException e) {
            throw new Refused(e.reason() == null ? e.getMessage() : e.reason(), false);
        }
    }

    /** The configured lifetime, or null (expire with the caller's token) when that would outlive it. */
    private Duration ttl(SecurityContext caller) {
        Optional<Instant> parentExpiry = caller.token().map(TokenClaims::expiresAt);
        if (parentExpiry.isPresent() && Instant.now().plus(ttl).isAfter(parentExpiry.get())) {
            return null;
        }
        return ttl;
    }
}
