package io.toka.security;

import java.time.Instant;
import java.util.List;

/**
 * The outcome of a revocation.
 *
 * @param jti the revoked token
 * @param cascade the ids of known tokens delegated from it (directly or further down), now revoked with it
 * @param revokedAt when
 */
public record Revocation(String jti, List<String> cascade, Instant revokedAt) {

    /** Copies the list. */
    public Revocation {
        cascade = List.copyOf(cascade);
    }
}
