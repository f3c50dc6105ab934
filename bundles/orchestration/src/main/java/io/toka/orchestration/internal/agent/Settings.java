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
 * @param durable whether runs record their steps and resume after a restart (an agent can turn it off for itself)
 * @param stateDirectory where the tokens of durable runs and queued tasks are kept (owner-only files)
 * @param recordTimeout how long a run waits for one step to be stored before it stops
 * @param verdictTool whether the model is offered the report_verdict tool
 * @param resumeToolWait how long a resumed run waits for the tools it was offered to be registered again
 */
record Settings(int maxConcurrentAgents, long retryBaseMillis, long retryMaxMillis, int maxRetries, int maxTokens,
        Duration tokenTtl, double temperature, int maxToolOutputChars, boolean durable, java.nio.file.Path stateDirectory,
        Duration recordTimeout, boolean verdictTool, Duration resumeToolWait) {

    /** Settings as before durability: not durable, the verdict tool offered (for tests that build them by hand). */
    Settings(int maxConcurrentAgents, long retryBaseMillis, long retryMaxMillis, int maxRetries, int maxTokens,
            Duration tokenTtl, double temperature, int maxToolOutputChars) {
        this(maxConcurrentAgents, retryBaseMillis, retryMaxMillis, maxRetries, maxTokens, tokenTtl, temperature,
                maxToolOutputChars, false, java.nio.file.Path.of("data", "toka", "agents"), Duration.ofSeconds(30), true,
                Duration.ofSeconds(60));
    }

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
        positive("recordTimeoutSeconds", c.recordTimeoutSeconds());
        if (c.resumeToolWaitSeconds() < 0) {
            throw new IllegalArgumentException("resumeToolWaitSeconds must not be negative, not "
                    + c.resumeToolWaitSeconds());
        }
        return new Settings(c.maxConcurrentAgents(), c.retryBaseMillis(), c.retryMaxMillis(), c.maxRetries(),
                c.maxTokens(), Duration.ofMinutes(c.tokenTtlMinutes()), c.temperature(), c.maxToolOutputChars(),
                c.durable(), stateDirectory(c.stateDirectory()), Duration.ofSeconds(c.recordTimeoutSeconds()),
                c.verdictTool(), Duration.ofSeconds(c.resumeToolWaitSeconds()));
    }

    /** The configured directory; empty means {@code ${karaf.data}/toka/agents}. */
    static java.nio.file.Path stateDirectory(String configured) {
        if (configured == null || configured.isBlank()) {
            return java.nio.file.Path.of(System.getProperty("karaf.data", "data"), "toka", "agents");
        }
        String data = System.getProperty("karaf.data", "data");
        return java.nio.file.Path.of(configured.trim().replace("${karaf.data}", data));
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
