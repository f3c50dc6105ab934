package io.toka.sandbox.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * Drains one output stream of a child to its end, keeping at most {@code cap} bytes. It keeps reading (and
 * discarding) past the cap, so a chatty program never blocks on a full pipe.
 */
final class Capture implements Runnable {

    private final InputStream in;
    private final long cap;
    private final ByteArrayOutputStream kept = new ByteArrayOutputStream();
    private boolean truncated;

    Capture(InputStream in, long cap) {
        this.in = in;
        this.cap = cap;
    }

    @Override
    public void run() {
        byte[] buf = new byte[8192];
        try (in) {
            int n;
            while ((n = in.read(buf)) >= 0) {
                synchronized (this) {
                    long room = cap - kept.size();
                    if (room >= n) {
                        kept.write(buf, 0, n);
                    } else {
                        if (room > 0) {
                            kept.write(buf, 0, (int) room);
                        }
                        truncated = true;
                    }
                }
            }
        } catch (IOException e) {
            // the stream was closed under us after the run ended: keep what was read
        }
    }

    synchronized byte[] bytes() {
        return kept.toByteArray();
    }

    synchronized boolean truncated() {
        return truncated;
    }
}
