package io.toka.security;

/** The caller is authenticated but lacks a permission. The message names the permission; HTTP answers 403. */
public class AccessDeniedException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final String permission;

    /**
     * @param permission the permission that is not held
     * @param message the message for the caller
     */
    public AccessDeniedException(String permission, String message) {
        super(message);
        this.permission = permission;
    }

    /** @return the permission that was not held */
    public String permission() {
        return permission;
    }
}
