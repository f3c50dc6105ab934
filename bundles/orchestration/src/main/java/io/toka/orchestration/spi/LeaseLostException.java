package io.toka.orchestration.spi;

/** This node no longer holds a lease at its epoch: it must not act for the run or session any more. */
public class LeaseLostException extends Exception {

    private static final long serialVersionUID = 1L;

    /** @param message which lease, and why it is lost */
    public LeaseLostException(String message) {
        super(message);
    }
}
