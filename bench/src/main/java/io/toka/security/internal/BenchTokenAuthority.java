package io.toka.security.internal;

import io.toka.security.AuditLog;
import io.toka.security.TokenRequest;
import io.toka.security.TokenService;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;

/**
 * For benchmarks outside the security bundle: the real {@link TokenAuthority} on a directory, without audit output
 * or background maintenance, and tokens issued by it. In the security bundle's package to reach its package-private
 * constructor.
 */
public final class BenchTokenAuthority {

    private static final AuditLog NO_AUDIT = event -> {
    };

    private final TokenAuthority authority;

    /** @param dataDir where the authority keeps its keys */
    public BenchTokenAuthority(Path dataDir) throws IOException {
        this.authority = new TokenAuthority(Settings.defaults(dataDir), Clock.systemUTC(), NO_AUDIT, false);
    }

    /** @return the authority as the kernel sees it */
    public TokenService service() {
        return authority;
    }

    /**
     * @param subject who holds it
     * @param ttl how long it lives (at most 24 h)
     * @param permissions what it may do
     * @return a root token, issued by an admin
     */
    public String issue(String subject, Duration ttl, String... permissions) throws Exception {
        return authority.issue(authority.forRoles("bench", List.of("admin")),
                new TokenRequest(subject, null, List.of(permissions), ttl)).token();
    }
}
