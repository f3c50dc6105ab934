package io.toka.security.spi;

/** The security state store cannot be read or written; the message names what failed, never a secret. */
public class SecurityStateException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** @param message what failed */
    public SecurityStateException(String message) {
        super(message);
    }

    /**
     * @param message what failed
     * @param cause the underlying failure
     */
    public SecurityStateException(String message, Throwable cause) {
        super(message, cause);
    }
}
