package io.toka.mcp.stdio;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * The bridge's standard output: JSON-RPC messages, one per line, and nothing else.
 *
 * <p>Several threads write (one per request in flight, and the server stream), so each line is written and flushed
 * under one lock: lines never interleave. If the client has gone away (broken pipe) the output is marked broken and
 * later lines are dropped.
 */
final class Output {

    private final OutputStream out;
    private final Log log;
    private boolean broken;

    Output(OutputStream out, Log log) {
        this.out = out;
        this.log = log;
    }

    /**
     * Writes one message as one line.
     *
     * @param message a JSON value (a map for a JSON-RPC message)
     */
    void write(Object message) {
        byte[] line = (Json.write(message) + "\n").getBytes(StandardCharsets.UTF_8);
        synchronized (this) {
            if (broken) {
                return;
            }
            try {
                out.write(line);
                out.flush();
            } catch (IOException e) {
                broken = true;
                log.info("cannot write to standard output any more (" + e.getMessage() + "); the client has gone away");
            }
        }
    }

    /** @return whether a write failed, i.e. nobody reads our output any more */
    synchronized boolean isBroken() {
        return broken;
    }
}
