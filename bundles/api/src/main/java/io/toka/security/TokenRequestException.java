package io.toka.security;

/** A token request the caller must fix: the message says what is wrong. HTTP answers 400. */
public class TokenRequestException extends Exception {

    private static final long serialVersionUID = 1L;

    /** @param message what is wrong with the request */
    public TokenRequestException(String message) {
        super(message);
    }
}
