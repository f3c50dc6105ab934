package io.toka.security;

import java.time.Instant;

/**
 * One security-relevant decision.
 *
 * @param time when
 * @param action what was attempted: {@code authenticate}, {@code authorize}, {@code token.issue},
 *     {@code token.delegate}, {@code token.revoke}, {@code key.rotate}, {@code key.generate}
 * @param outcome {@code success}, {@code failure}, {@code allowed} or {@code denied}
 * @param subject who (may be {@code null} when a token could not be read)
 * @param jti the token involved (may be {@code null})
 * @param detail the resource, the reason for a refusal, or other context (may be {@code null})
 */
public record AuditEvent(Instant time, String action, String outcome, String subject, String jti, String detail) {
}
