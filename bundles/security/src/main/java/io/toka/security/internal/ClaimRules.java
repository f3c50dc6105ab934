package io.toka.security.internal;

import io.toka.security.TokenClaims;
import java.time.Duration;
import java.util.List;

/** The claim rules of ARCHITECTURE.md §5, shared by verification and by minting. */
final class ClaimRules {

    static final int MAX_TOKEN_CHARS = 8192;
    static final int MAX_ID_CHARS = 256;
    static final int MAX_PERMISSIONS = 100;
    static final int MAX_PERMISSION_CHARS = 64;
    static final Duration MAX_LIFETIME = Duration.ofHours(24);

    private ClaimRules() {
    }

    /** @return what is wrong with the claims, or {@code null} if they obey every rule */
    static String violation(TokenClaims c) {
        String v = identifier("sub", c.subject());
        if (v == null) {
            v = identifier("vault", c.vault());
        }
        if (v == null) {
            v = permissions(c.permissions());
        }
        if (v == null && !c.expiresAt().isAfter(c.issuedAt())) {
            v = "exp must be after iat";
        }
        if (v == null && Duration.between(c.issuedAt(), c.expiresAt()).compareTo(MAX_LIFETIME) > 0) {
            v = "lifetime " + Duration.between(c.issuedAt(), c.expiresAt()).toSeconds() + " s exceeds 24 h";
        }
        if (v == null) {
            v = identifier("jti", c.jti());
        }
        return v;
    }

    /** @return what is wrong with the value, or {@code null} */
    static String identifier(String name, String value) {
        if (value == null || value.isBlank()) {
            return name + " must not be blank";
        }
        if (value.length() > MAX_ID_CHARS) {
            return name + " is " + value.length() + " characters; the limit is " + MAX_ID_CHARS;
        }
        return null;
    }

    /** @return what is wrong with the list, or {@code null} */
    static String permissions(List<String> permissions) {
        if (permissions.size() > MAX_PERMISSIONS) {
            return permissions.size() + " permissions; the limit is " + MAX_PERMISSIONS;
        }
        for (String p : permissions) {
            if (p == null || p.isBlank()) {
                return "a permission must not be blank";
            }
            if (p.length() > MAX_PERMISSION_CHARS) {
                return "permission '" + p.substring(0, 16) + "...' is " + p.length() + " characters; the limit is "
                        + MAX_PERMISSION_CHARS;
            }
        }
        return null;
    }
}
