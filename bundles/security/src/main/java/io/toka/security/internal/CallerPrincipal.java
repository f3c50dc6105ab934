package io.toka.security.internal;

import io.toka.security.TokenClaims;
import java.io.Serializable;
import java.util.List;
import org.apache.shiro.authz.Permission;

/**
 * The Shiro principal of a caller: its subject, its token's claims (if any) and its permissions, resolved once.
 *
 * @param subject the caller's name
 * @param claims the token's claims, or {@code null} for a shell user
 * @param permissions the resolved wildcard permissions
 * @param kid the id of the key that signed the token, or {@code null} for a shell user
 */
record CallerPrincipal(String subject, TokenClaims claims, List<Permission> permissions, String kid)
        implements Serializable {
}
