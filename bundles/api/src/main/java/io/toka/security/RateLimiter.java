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

    /**
     * Admits one tool call, whatever entry point it came through: takes one from the subject's bucket of tool calls
     * (kept apart from its bucket of HTTP requests, so an HTTP tool call is not counted twice against one bucket), and
     * one from the subject's bucket for that tool when per-tool limits are configured.
     *
     * @param subject the caller's subject
     * @param tool the tool name
     * @return the tighter of the decisions: refused if either bucket refuses (then nothing is taken from the other)
     */
    RateLimitDecision tryAcquireCall(String subject, String tool);

    /**
     * What the limiter has refused since it started, for metrics. Counting costs one uncontended add per refusal;
     * an admitted request costs nothing. Added in 1.4 as a default method, so other implementations (test fakes)
     * still compile; the default reports nothing refused.
     *
     * @return the counters, never {@code null}
     */
    default Refusals refusals() {
        return new Refusals(0, 0);
    }

    /**
     * Refusals so far.
     *
     * @param requests requests refused by a subject's request bucket ({@link #tryAcquire(String)}: REST and MCP)
     * @param calls tool calls refused by a subject's call or per-tool bucket ({@link #tryAcquireCall},
     *     {@link #tryAcquire(String, String)})
     */
    record Refusals(long requests, long calls) {
    }
}
