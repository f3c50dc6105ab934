package io.toka.security.spi;

import java.time.Instant;
import java.util.Objects;

/**
 * What the token ledger keeps about one minted token: enough to decide who may revoke it and which tokens descend
 * from it.
 *
 * @param jti the token id
 * @param subject its subject
 * @param issuer who issued it (a token's subject or a shell user), or {@code null} for the bootstrap admin token
 * @param parent the token it was delegated or issued from, or {@code null}
 * @param expiresAt when it expires
 * @param shellIssuer whether {@code issuer} is a logged-in shell user (authenticated by JAAS)
 */
public record LedgerEntry(String jti, String subject, String issuer, String parent, Instant expiresAt,
        boolean shellIssuer) {

    /** Checks the required fields. */
    public LedgerEntry {
        Objects.requireNonNull(jti, "jti");
        Objects.requireNonNull(subject, "subject");
        Objects.requireNonNull(expiresAt, "expiresAt");
    }
}
