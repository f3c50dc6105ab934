package io.toka.orchestration.internal.agent;

import java.time.Duration;

/**
 * The agent runtime's configuration, checked.
 *
 * @param maxConcurrentAgents runs that execute at once; more wait for a thread
 * @param retryBaseMillis the first retry's delay
 * @param retryMaxMillis the longest delay
 * @param maxRetries retries of a failed model turn
 * @param maxTokens reply tokens per model turn
 * @param tokenTtl the agent token's lifetime (capped by the caller's token)
 * @param temperature the model temperature
 * @param maxToolOutputChars tool output sent back to the model, at most
 */
record Settings(int maxConcurrentAgents, long retryBaseMillis, long retryMaxMillis, int maxRetries, int maxTokens,
        Duration tokenTtl, double temperature, int maxToolOutputChars) {

    /** @throws IllegalArgumentException naming the bad value, so that the component is not activated */
    static Settings of(AgentServiceImpl.Config c) {
        positive("maxConcurrentAgents", c.maxConcurrentAgents());
        positive("retryBaseMillis", c.retryBaseMillis());
        if (c.retryMaxMillis() < c.retryBaseMillis()) {
            throw new IllegalArgumentException("retryMaxMillis (" + c.retryMaxMillis()
                    + ") must be at least retryBaseMillis (" + c.retryBaseMillis() + ")");
        }
        if (c.maxRetries() < 0) {
            throw new IllegalArgumentException("maxRetries must not be negative, not " + c.maxRetries());
        }
        positive("maxTokens", c.maxTokens());
        positive("tokenTtlMinutes", c.tokenTtlMinutes());
        if (c.temperature() < 0 || c.temperature() > 1) {
            throw new IllegalArgumentException("temperature must be between 0 and 1, not " + c.temperature());
        }
        if (c.maxToolOutputChars() < 256) {
            throw new IllegalArgumentException("maxToolOutputChars must be at least 256, not "
                    + c.maxToolOutputChars());
        }
        return new Settings(c.maxConcurrentAgents(), c.retryBaseMillis(), c.retryMaxMillis(), c.maxRetries(),
                c.maxTokens(), Duration.ofMinutes(c.tokenTtlMinutes()), c.temperature(), c.maxToolOutputChars());
    }

    /** @return the delay before retry {@code n} (1-based): base × 2^(n−1), at most the maximum */
    long backoffMillis(int n) {
        double d = retryBaseMillis * Math.pow(2, Math.max(0, n - 1));
        return (long) Math.min(d, retryMaxMillis);
    }

    private static void positive(String name, long value) {
        if (value <= 0) {
            throw new IllegalArgumentException(name + " must be positive, not " + value);
        }
    }
}
