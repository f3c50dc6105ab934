package io.toka.security;

/**
 * A credential was refused. {@link #getMessage()} is the same generic text for every refusal, so a caller learns
 * nothing about why; the reason is kept in {@link #reason()} for the audit log only.
 */
public class AuthenticationException extends Exception {

    private static final long serialVersionUID = 1L;

    /** What every refused caller is told. */
    public static final String GENERIC_MESSAGE = "a valid capability token is required";

    private final String reason;

    /** @param reason why the credential was refused; for the audit log, never for the caller */
    public AuthenticationException(String reason) {
        super(GENERIC_MESSAGE);
        this.reason = reason;
    }

    /** @return why the credential was refused (audit log only) */
    public String reason() {
        return reason;
    }
}
