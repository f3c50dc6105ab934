package io.toka.kernel;

/** The message is malformed or cannot be carried out (a limit, a full queue); the message names the limit. */
public class InvalidOperationException extends KernelException {

    private static final long serialVersionUID = 1L;

    /** @param message what is wrong */
    public InvalidOperationException(String message) {
        super(message);
    }
}
