package io.toka.security;

import java.util.Collection;
import java.util.Optional;
import org.osgi.annotation.versioning.ProviderType;

/**
 * An authenticated caller: a capability token's holder or a logged-in shell user. Permission checks go through
 * the Shiro realm backed by the caller's permissions.
 */
@ProviderType
public interface SecurityContext {

    /**
     * The caller's identity: the token's {@code sub}, or the shell user's name.
     *
     * @return the subject; never blank
     */
    String subject();

    /**
     * The verified claims, if the caller presented a capability token.
     *
     * @return the claims, or empty for a shell user
     */
    Optional<TokenClaims> token();

    /**
     * Checks that the caller's token is still usable at this moment: neither it nor any token it was delegated from
     * is revoked, it has not expired (with the clock skew), it is inside its time windows, and the key that signed it
     * is still valid. Each is an O(1) lookup. A shell user (no token) always passes. {@link #isPermitted} and
     * {@link #authorize} run this check first, so a revoked token stops working at its next check.
     *
     * @throws TokenStateException naming the reason, e.g. {@code token revoked}
     */
    void checkLive() throws TokenStateException;

    /**
     * Whether the caller holds a permission (wildcards apply), and its token is still usable ({@link #checkLive}).
     * Not audited.
     *
     * @param permission a Shiro wildcard permission such as {@code tool:invoke:file-reader}
     * @return whether it is implied by one of the caller's permissions
     */
    boolean isPermitted(String permission);

    /**
     * Guards an action: the caller must hold every permission. The decision, allowed or denied, is written to the
     * audit log.
     *
     * @param action what is being attempted, for the audit log, e.g. {@code tool.invoke:file-reader}
     * @param permissions the permissions needed
     * @throws TokenStateException if the caller's token is no longer usable ({@link #checkLive}); audited
     * @throws AccessDeniedException naming the first permission the caller does not hold
     */
    void authorize(String action, Collection<String> permissions) throws AccessDeniedException;
}
