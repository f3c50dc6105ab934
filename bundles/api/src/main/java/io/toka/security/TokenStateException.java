package io.toka.security;

/**
 * The caller's token was valid when it signed in, but is no longer usable now: it, or a token it was delegated from,
 * was revoked; it expired; it is used outside its time windows; or the key that signed it is no longer valid.
 * Raised by every permission check, so a token stops working at the moment its state changes, not at the next
 * sign-in. The message names the reason (e.g. {@code token revoked}); HTTP answers 401.
 */
public class TokenStateException extends AccessDeniedException {

    private static final long serialVersionUID = 1L;

    /** Why a token is no longer usable. */
    public enum Reason {
        /** The token or one of its ancestors was revoked. */
        REVOKED("token revoked"),
        /** The token expired (beyond the clock skew). */
        EXPIRED("token expired"),
        /** The token is used outside its delegated time windows. */
        OUTSIDE_WINDOW("token used outside its time window"),
        /** The key that signed the token is past its overlap after a rotation. */
        KEY_EXPIRED("token signed by a key that is no longer valid");

        private final String text;

        Reason(String text) {
            this.text = text;
        }

        /** @return the short text used in messages, e.g. {@code token revoked} */
        public String text() {
            return text;
        }
    }

    private final Reason reason;

    /**
     * @param reason why the token is no longer usable
     * @param detail what exactly, for the caller (no secrets), e.g. the revoked ancestor's id
     */
    public TokenStateException(Reason reason, String detail) {
        super("token", detail == null || detail.isBlank() ? reason.text() : reason.text() + ": " + detail);
        this.reason = reason;
    }

    /** @return why the token is no longer usable */
    public Reason reason() {
        return reason;
    }
}
