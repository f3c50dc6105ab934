package io.toka.security.internal;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.shiro.authc.AuthenticationException;
import org.apache.shiro.authc.AuthenticationInfo;
import org.apache.shiro.authc.AuthenticationToken;
import org.apache.shiro.authc.BearerToken;
import org.apache.shiro.authc.SimpleAuthenticationInfo;
import org.apache.shiro.authc.credential.AllowAllCredentialsMatcher;
import org.apache.shiro.authz.AuthorizationInfo;
import org.apache.shiro.authz.Permission;
import org.apache.shiro.authz.SimpleAuthorizationInfo;
import org.apache.shiro.authz.permission.PermissionResolver;
import org.apache.shiro.authz.permission.WildcardPermission;
import org.apache.shiro.realm.AuthorizingRealm;
import org.apache.shiro.subject.PrincipalCollection;

/**
 * The Shiro realm behind every Toka permission check. Authentication takes a {@link BearerToken} (the raw capability
 * token) and delegates verification to the token authority; authorization reads the permissions the principal
 * carries, so no lookup is needed per check. Permission strings are parsed once and cached.
 */
final class CapabilityRealm extends AuthorizingRealm {

    /** Verifies a raw token into a principal, or throws with the refusal reason. */
    @FunctionalInterface
    interface Verifier {
        CallerPrincipal verify(String raw) throws io.toka.security.AuthenticationException;
    }

    /** Carries the refusal reason through Shiro's authenticator. */
    static final class Refused extends AuthenticationException {
        private static final long serialVersionUID = 1L;
        final transient io.toka.security.AuthenticationException cause;

        Refused(io.toka.security.AuthenticationException cause) {
            super(cause.reason());
            this.cause = cause;
        }
    }

    static final String NAME = "toka-capability";
    private static final int MAX_CACHED_PERMISSIONS = 4096;

    private final Verifier verifier;
    private final Map<String, Permission> resolved = new ConcurrentHashMap<>();

    CapabilityRealm(Verifier verifier) {
        this.verifier = verifier;
        setName(NAME);
        setAuthenticationTokenClass(BearerToken.class);
        setCredentialsMatcher(new AllowAllCredentialsMatcher());
        setAuthenticationCachingEnabled(false);
        setAuthorizationCachingEnabled(false);
        setCachingEnabled(false);
        setPermissionResolver(new CachingResolver());
    }

    @Override
    protected AuthenticationInfo doGetAuthenticationInfo(AuthenticationToken token) {
        String raw = ((BearerToken) token).getToken();
        try {
            return new SimpleAuthenticationInfo(verifier.verify(raw), raw, getName());
        } catch (io.toka.security.AuthenticationException e) {
            throw new Refused(e);
        }
    }

    @Override
    protected AuthorizationInfo doGetAuthorizationInfo(PrincipalCollection principals) {
        CallerPrincipal p = principals.oneByType(CallerPrincipal.class);
        SimpleAuthorizationInfo info = new SimpleAuthorizationInfo();
        if (p != null) {
            info.setObjectPermissions(new java.util.HashSet<>(p.permissions()));
        }
        return info;
    }

    /**
     * Parses a permission string.
     *
     * @throws IllegalArgumentException if it is not a valid wildcard permission
     */
    Permission resolve(String permission) {
        return getPermissionResolver().resolvePermission(permission);
    }

    private final class CachingResolver implements PermissionResolver {
        @Override
        public Permission resolvePermission(String permissionString) {
            Permission p = resolved.get(permissionString);
            if (p == null) {
                p = new WildcardPermission(permissionString);
                if (resolved.size() >= MAX_CACHED_PERMISSIONS) {
                    resolved.clear();
                }
                resolved.put(permissionString, p);
            }
            return p;
        }
    }
}
