package io.toka.kernel;

/** The capability does not allow the operation: invalid token, wrong subject, or a missing permission. */
public class CapabilityDeniedException extends KernelException {

    private static final long serialVersionUID = 1L;

    /** @param message "capability denied", with the reason when the caller may know it */
    public CapabilityDeniedException(String message) {
        super(message);
    }
}
