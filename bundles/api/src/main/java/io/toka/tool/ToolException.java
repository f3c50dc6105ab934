package io.toka.tool;

/**
 * Thrown by {@link Tool#invoke} when a tool fails. The message is shown to the caller, so it must be
 * a plain sentence that names the bad value; the cause is logged and never shown.
 */
public class ToolException extends Exception {

    private static final long serialVersionUID = 1L;

    /**
     * @param message the message shown to the caller
     */
    public ToolException(String message) {
        super(message);
    }

    /**
     * @param message the message shown to the caller
     * @param cause the underlying failure, logged only; may be {@code null}
     */
    public ToolException(String message, Throwable cause) {
        super(message, cause);
    }
}
