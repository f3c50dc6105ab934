package io.toka.security;

import org.osgi.annotation.versioning.ProviderType;

/** Capability tokens: verification, issue, delegation and revocation. Every issue, delegation, revocation and refusal is audited. */
@ProviderType
public interface TokenService {

    /**
     * Verifies a token: size, HS256 signature under a known key ({@code kid}), {@code typ}, expiry and issue time
     * (with the configured clock skew), the claim rules, revocation of the token and of every token it was
     * delegated from, and its time windows.
     *
     * @param rawToken the compact JWT, without a {@code Bearer } prefix
     * @return the caller
     * @throws AuthenticationException for any refusal; its message is generic, its reason is audited
     */
    SecurityContext authenticate(String rawToken) throws AuthenticationException;

    /**
     * Issues a new root token. The issuer needs {@link Permissions#TOKEN_ISSUE} and must hold every permission it
     * grants, so issuing never widens anyone's rights.
     *
     * @param issuer the caller
     * @param request what to issue
     * @return the token
     * @throws TokenRequestException if the request is malformed
     * @throws AccessDeniedException if the issuer lacks {@code token:issue} or a permission it tries to grant
     */
    IssuedToken issue(SecurityContext issuer, TokenRequest request) throws TokenRequestException;

    /**
     * Narrows the caller's own token into a child token (attenuation). The chain is recorded, and revoking any
     * ancestor revokes the child.
     *
     * @param holder the caller; must have authenticated with a token
     * @param request how to narrow
     * @return the child token
     * @throws TokenRequestException if the request is malformed, the chain would be too deep, or the caller has no token
     * @throws AccessDeniedException naming a permission the parent does not hold
     */
    IssuedToken delegate(SecurityContext holder, DelegationRequest request) throws TokenRequestException;

    /**
     * Revokes a token and, with it, every token delegated from it. Persisted; effective at once.
     *
     * @param actor the caller: needs {@link Permissions#TOKEN_REVOKE}, or to be the token's issuer
     * @param jti the token id
     * @return what was revoked
     * @throws UnknownTokenException if no live token has that id
     * @throws AccessDeniedException if the actor may not revoke it
     */
    Revocation revoke(SecurityContext actor, String jti) throws TokenRequestException;
}
