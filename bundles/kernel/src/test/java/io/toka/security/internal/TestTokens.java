package io.toka.security.internal;

import io.toka.security.AuditEvent;
import io.toka.security.AuditLog;
import io.toka.security.SecurityContext;
import io.toka.security.TokenRequest;
import io.toka.security.TokenService;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Test helper: the real token authority on a temporary directory, and tokens issued by it. */
public final class TestTokens {

    private final TokenAuthority authority;
    private final SecurityContext admin;
    /** Every audit event the authority recorded. */
    public final List<AuditEvent> audit = new CopyOnWriteArrayList<>();

    public TestTokens(Path dataDir) {
        try {
            AuditLog log = audit::add;
            authority = new TokenAuthority(Settings.defaults(dataDir), Clock.systemUTC(), log, false);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        admin = authority.forRoles("test-admin", List.of("admin"));
    }

    /** @return the token service */
    public TokenService service() {
        return authority;
    }

    /** @return a token for the subject holding the permissions, valid for an hour */
    public String issue(String subject, String... permissions) {
        try {
            return authority.issue(admin, new TokenRequest(subject, null, List.of(permissions), Duration.ofHours(1)))
                    .token();
        } catch (io.toka.security.TokenRequestException e) {
            throw new IllegalStateException(e);
        }
    }
}
