package io.toka.security.testing;

import io.toka.security.AuditEvent;
import io.toka.security.AuditLog;
import io.toka.security.SecurityContext;
import io.toka.security.ShellSecurity;
import io.toka.security.TokenRequest;
import io.toka.security.TokenRequestException;
import io.toka.security.TokenService;
import io.toka.security.internal.TokenAuthority;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.annotation.Annotation;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * For other modules' tests: the real token authority on a temporary directory (no scheduled key rotation, no
 * admin.token file), and tokens issued by it. Published in the security module's test-jar, so that tests elsewhere
 * use this small API instead of reaching into the security bundle's internals.
 */
public final class TestTokens {

    private final TokenAuthority authority;
    private final SecurityContext admin;
    /** Every audit event the authority recorded. */
    public final List<AuditEvent> audit = new CopyOnWriteArrayList<>();

    /**
     * @param dataDir where the authority keeps its keys, ledger and revocations
     * @param rolePermissions shell roles, e.g. {@code admin=*; viewer=tool:read}
     */
    public TestTokens(Path dataDir, String rolePermissions) {
        try {
            AuditLog log = audit::add;
            authority = new TokenAuthority(config(dataDir, rolePermissions), log);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        admin = authority.forRoles("test-admin", List.of("admin"));
    }

    /** @param dataDir where the authority keeps its state; only the {@code admin} role (permission {@code *}) */
    public TestTokens(Path dataDir) {
        this(dataDir, "admin=*");
    }

    /** @return the token service */
    public TokenService service() {
        return authority;
    }

    /** @return shell security: callers for JAAS roles */
    public ShellSecurity shell() {
        return authority;
    }

    /** @return a shell caller in the {@code admin} role */
    public SecurityContext admin() {
        return admin;
    }

    /** @return a token for the subject holding the permissions, valid for an hour */
    public String issue(String subject, String... permissions) {
        try {
            return authority.issue(admin, new TokenRequest(subject, null, List.of(permissions), Duration.ofHours(1)))
                    .token();
        } catch (TokenRequestException e) {
            throw new IllegalStateException(e);
        }
    }

    /** @return a caller authenticated with a fresh token for the subject holding the permissions */
    public SecurityContext caller(String subject, String... permissions) {
        try {
            return authority.authenticate(issue(subject, permissions));
        } catch (io.toka.security.AuthenticationException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Revokes a token (and its descendants) as the admin. */
    public void revoke(String jti) {
        try {
            authority.revoke(admin, jti);
        } catch (TokenRequestException e) {
            throw new IllegalStateException(e);
        }
    }

    private static TokenAuthority.Config config(Path data, String roles) {
        return new TokenAuthority.Config() {
            @Override
            public Class<? extends Annotation> annotationType() {
                return TokenAuthority.Config.class;
            }

            @Override
            public int clockSkewSeconds() {
                return 5;
            }

            @Override
            public int defaultTtlMinutes() {
                return 60;
            }

            @Override
            public int keyRotationHours() {
                return 0;
            }

            @Override
            public int keyOverlapMinutes() {
                return 60;
            }

            @Override
            public int maxDelegationDepth() {
                return 5;
            }

            @Override
            public String rolePermissions() {
                return roles;
            }

            @Override
            public String dataDirectory() {
                return data.toString();
            }

            @Override
            public String defaultVault() {
                return "toka";
            }

            @Override
            public String adminSubject() {
                return "admin";
            }

            @Override
            public boolean writeAdminToken() {
                return false;
            }
        };
    }
}
