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
     * Whether the caller holds a permission (wildcards apply). Not audited.
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
     * @throws AccessDeniedException naming the first permission the caller does not hold
     */
    void authorize(String action, Collection<String> permissions) throws AccessDeniedException;
}
