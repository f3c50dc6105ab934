package io.toka.security;

import java.util.Optional;
import org.osgi.annotation.versioning.ProviderType;

/** Token-bucket rate limits per subject, and optionally per subject and tool. */
@ProviderType
public interface RateLimiter {

    /**
     * Takes one request from the subject's bucket.
     *
     * @param subject the caller's subject
     * @return the decision
     */
    RateLimitDecision tryAcquire(String subject);

    /**
     * Takes one request from the subject's bucket for one tool, if per-tool limits are configured.
     *
     * @param subject the caller's subject
     * @param tool the tool name
     * @return the decision, or empty when per-tool limits are off
     */
    Optional<RateLimitDecision> tryAcquire(String subject, String tool);
}
