package io.toka.event;

/** The store could not do what was asked (I/O, database, closed); nothing was acknowledged. */
public class EventStoreException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** @param message what failed */
    public EventStoreException(String message) {
        super(message);
    }

    /**
     * @param message what failed
     * @param cause the underlying error
     */
    public EventStoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
