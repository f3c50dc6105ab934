package io.toka.sandbox;

/** A program could not be started in the sandbox. The message is meant for the caller. */
public class SandboxException extends Exception {

    private static final long serialVersionUID = 1L;

    public SandboxException(String message) {
        super(message);
    }

    public SandboxException(String message, Throwable cause) {
        super(message, cause);
    }
}
