package io.toka.llm;

/** A request the gateway refused or the provider failed. The message is safe to show: it never holds a key. */
public class LlmException extends Exception {

    private static final long serialVersionUID = 1L;

    /** Why. */
    public enum Reason {
        /** No provider, no key (the message names the variable or setting), a bad base URL. */
        CONFIGURATION,
        /** The agent is over its rate limit. */
        RATE_LIMITED,
        /** The sanitiser blocked the prompt (the message names why). */
        BLOCKED,
        /** The prompt is over 32 KiB or the reply over 1 MiB. */
        TOO_LARGE,
        /** The provider answered with an error, after the retries. */
        PROVIDER,
        /** The provider did not answer in time, after the retries. */
        TIMEOUT
    }

    private final Reason reason;

    public LlmException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public LlmException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
