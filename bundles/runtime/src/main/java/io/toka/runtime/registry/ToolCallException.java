package io.toka.runtime.registry;

/** A call that could not be dispatched because of the request itself. The message is safe to show. */
public abstract class ToolCallException extends Exception {

    private static final long serialVersionUID = 1L;

    protected ToolCallException(String message) {
        super(message);
    }
}
