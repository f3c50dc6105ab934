package io.toka.cli;

/**
 * Why a command failed, as one sentence for standard error, with the exit status it ends the command with. Never a
 * stack trace: the message says what went wrong and, where it can, what to do.
 */
final class CliException extends Exception {

    private static final long serialVersionUID = 1L;

    private final int exitStatus;

    private CliException(String message, int exitStatus) {
        super(message, null, false, false);
        this.exitStatus = exitStatus;
    }

    /** @return a bad command line (exit {@value Main#EXIT_USAGE}) */
    static CliException usage(String message) {
        return new CliException(message, Main.EXIT_USAGE);
    }

    /** @return a request or an operation that failed (exit {@value Main#EXIT_FAILURE}) */
    static CliException failure(String message) {
        return new CliException(message, Main.EXIT_FAILURE);
    }

    /** @return Toka refused the token or a permission (exit {@value Main#EXIT_REFUSED}) */
    static CliException refused(String message) {
        return new CliException(message, Main.EXIT_REFUSED);
    }

    /** @return the exit status this failure ends the command with */
    int exitStatus() {
        return exitStatus;
    }
}
