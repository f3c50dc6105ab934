package io.toka.security;

/** No live token with the given id was issued by this Toka (or it has already expired). HTTP answers 404. */
public class UnknownTokenException extends TokenRequestException {

    private static final long serialVersionUID = 1L;

    /** @param jti the token id that was asked for */
    public UnknownTokenException(String jti) {
        super("no live token with id '" + jti + "' (unknown, or already expired)");
    }
}
