package io.toka.security;

import java.time.Duration;
import java.util.List;

/**
 * A request for a new root token.
 *
 * @param subject who will hold it (1-256 characters)
 * @param vault its vault, or {@code null} for the issuer's own
 * @param permissions what it may do; each must be held by the issuer
 * @param ttl how long it lives (at most 24 h), or {@code null} for the configured default
 */
public record TokenRequest(String subject, String vault, List<String> permissions, Duration ttl) {

    /** Copies the list. */
    public TokenRequest {
        permissions = permissions == null ? List.of() : List.copyOf(permissions);
    }
}
