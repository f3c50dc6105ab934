package io.toka.engine.wasm.internal;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/** Collects what a module writes to stdout or stderr, keeping at most a fixed number of bytes. */
final class CappedOutput extends OutputStream {

    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final long cap;
    private long dropped;

    CappedOutput(long cap) {
        this.cap = cap;
    }

    @Override
    public synchronized void write(int b) {
        if (bytes.size() < cap) {
            bytes.write(b);
        } else {
            dropped++;
        }
    }

    @Override
    public synchronized void write(byte[] b, int off, int len) {
        int room = (int) Math.max(0, Math.min(len, cap - bytes.size()));
        bytes.write(b, off, room);
        dropped += len - room;
    }

    synchronized boolean isEmpty() {
        return bytes.size() == 0 && dropped == 0;
    }

    /** The text, with a note of how much was dropped. */
    @Override
    public synchronized String toString() {
        String text = bytes.toString(StandardCharsets.UTF_8);
        return dropped == 0 ? text : text + "\n[output truncated: " + dropped + " more bytes]";
    }
}
