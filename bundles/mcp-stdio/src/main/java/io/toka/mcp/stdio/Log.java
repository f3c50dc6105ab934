package io.toka.mcp.stdio;

import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * Diagnostics on standard error, one line each, prefixed {@code toka-mcp:}. MCP clients show or store this stream
 * as the server's log; standard output is reserved for protocol messages. Never logs a token.
 */
final class Log {

    private final PrintStream err;
    private final boolean verbose;

    Log(OutputStream err, boolean verbose) {
        this.err = new PrintStream(err, true, StandardCharsets.UTF_8);
        this.verbose = verbose;
    }

    /** @param message a line that is always written */
    void info(String message) {
        err.println("toka-mcp: " + message.replace('\n', ' ').replace('\r', ' '));
    }

    /** @param message a line written only with {@code --verbose} */
    void debug(String message) {
        if (verbose) {
            info(message);
        }
    }

    boolean isVerbose() {
        return verbose;
    }
}
