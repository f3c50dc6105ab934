package io.toka.security;

import java.time.Instant;

/**
 * A signing key as shown to operators: ids and dates, never key material.
 *
 * @param kid the key id, carried in every token's header
 * @param createdAt when it was generated
 * @param active whether new tokens are signed with it
 * @param retiredAt when it stopped signing, or {@code null} while active
 * @param validUntil until when tokens signed with it are accepted, or {@code null} while active
 */
public record KeyInfo(String kid, Instant createdAt, boolean active, Instant retiredAt, Instant validUntil) {
}
