package io.toka.runtime.execution;

/**
 * A request refused before anything ran: an unknown language, code over the size limit, a missing permission
 * (see {@link io.toka.security.AccessDeniedException}, which is thrown as it is), a model without an engine, or an
 * engine too busy to take it within the queue timeout. The message is meant for the caller.
 */
public class ExecutionException extends Exception {

    private static final long serialVersionUID = 1L;

    /** Why it was refused, for mapping to HTTP statuses. */
    public enum Reason {
        /** Bad input: unknown language, code too large, malformed inputs. (HTTP 400) */
        INVALID,
        /** No engine for this model or language is installed. (HTTP 400 or 501) */
        UNSUPPORTED,
        /** The engine's concurrency cap was reached and the request waited its whole queue timeout. (HTTP 503) */
        BUSY
    }

    private final Reason reason;

    public ExecutionException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
