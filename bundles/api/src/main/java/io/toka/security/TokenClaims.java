package io.toka.security;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * The verified claims of a capability token.
 *
 * @param subject {@code sub}: who holds the token
 * @param vault {@code vault}: the namespace the token acts in
 * @param permissions {@code permissions}: Shiro wildcard permissions
 * @param issuedAt {@code iat}
 * @param expiresAt {@code exp}
 * @param jti {@code jti}: the token's unique id, used for revocation
 * @param issuer who minted it: the issuing or delegating subject, or {@code null} for the bootstrap token
 * @param chain the ids of the tokens this one was delegated from, root first; empty for a root token
 * @param restrictions the time restrictions added along the delegation chain; all must be satisfied
 */
public record TokenClaims(String subject, String vault, List<String> permissions, Instant issuedAt,
        Instant expiresAt, String jti, String issuer, List<String> chain, List<TimeRestriction> restrictions) {

    /** Copies the lists. */
    public TokenClaims {
        Objects.requireNonNull(subject, "subject");
        Objects.requireNonNull(vault, "vault");
        Objects.requireNonNull(issuedAt, "issuedAt");
        Objects.requireNonNull(expiresAt, "expiresAt");
        Objects.requireNonNull(jti, "jti");
        permissions = List.copyOf(permissions);
        chain = chain == null ? List.of() : List.copyOf(chain);
        restrictions = restrictions == null ? List.of() : List.copyOf(restrictions);
    }

    /** @return how many delegation steps separate this token from its root (0 for a root token) */
    public int depth() {
        return chain.size();
    }

    /** @return the id of the token this one was delegated from, or {@code null} for a root token */
    public String parent() {
        return chain.isEmpty() ? null : chain.get(chain.size() - 1);
    }

    /**
     * @param now the instant to test
     * @return whether every time restriction allows use at that instant
     */
    public boolean usableAt(Instant now) {
        for (TimeRestriction r : restrictions) {
            if (!r.permits(now)) {
                return false;
            }
        }
        return true;
    }
}
