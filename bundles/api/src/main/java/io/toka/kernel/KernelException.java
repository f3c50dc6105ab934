package io.toka.kernel;

/** The kernel refused a message; nothing was recorded. */
public abstract class KernelException extends Exception {

    private static final long serialVersionUID = 1L;

    KernelException(String message) {
        super(message);
    }
}
