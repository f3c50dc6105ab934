package io.toka.security;

/**
 * A call was refused by a rate limit before anything ran. HTTP answers 429 with {@code Retry-After}; other entry
 * points show the message.
 */
public class RateLimitExceededException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final transient RateLimitDecision decision;

    /**
     * @param decision the refusing decision
     * @param what what was limited, e.g. {@code calls of tool 'file-reader' by 'agent-1'}
     */
    public RateLimitExceededException(RateLimitDecision decision, String what) {
        super("Rate limit exceeded for " + what + " (" + decision.limit() + " per minute). Try again in "
                + decision.retryAfterSeconds() + " seconds.");
        this.decision = decision;
    }

    /** @return the refusing decision, for {@code Retry-After} and {@code X-RateLimit-*} */
    public RateLimitDecision decision() {
        return decision;
    }
}
