package io.toka.bench.soak;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One long-lived Server-Sent Events subscriber. It reads a stream, reconnects every {@code reconnectMillis} with
 * the last id it saw ({@code Last-Event-ID}, where the stream has ids), and counts as errors what a healthy server
 * never does: a stream that ends or fails on its own, a stream silent (not even a heartbeat) for longer than
 * {@code stallMillis}, or an id that goes backwards or repeats after a resume.
 */
final class SseSubscriber implements Runnable {

    private final Api api;
    private final String path;
    private final String kind;
    private final Stats stats;
    private final long reconnectMillis;
    private final long stallMillis;
    private volatile boolean stopped;
    private volatile InputStream current;
    private volatile long lastLine = System.nanoTime();
    final AtomicLong events = new AtomicLong();
    final AtomicLong connects = new AtomicLong();

    SseSubscriber(Api api, String path, String kind, Stats stats, long reconnectMillis, long stallMillis) {
        this.api = api;
        this.path = path;
        this.kind = kind;
        this.stats = stats;
        this.reconnectMillis = reconnectMillis;
        this.stallMillis = stallMillis;
    }

    @Override
    public void run() {
        String lastId = null;
        long lastSeq = -1;
        while (!stopped) {
            long began = System.nanoTime();
            HttpResponse<InputStream> r;
            try {
                r = api.stream(path, lastId);
            } catch (Api.Failure f) {
                if (!stopped) {
                    stats.error(kind, "connect-" + f.label);
                    pause(1000);
                }
                continue;
            }
            connects.incrementAndGet();
            stats.ok(kind + "-connect", began);
            current = r.body();
            lastLine = System.nanoTime();
            long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(reconnectMillis);
            boolean ended = true;
            try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    lastLine = System.nanoTime();
                    if (line.startsWith("id:")) {
                        String id = line.substring(3).trim();
                        try {
                            long seq = Long.parseLong(id);
                            if (seq <= lastSeq) {
                                stats.error(kind, "id-not-increasing");
                            }
                            lastSeq = seq;
                        } catch (NumberFormatException e) {
                            // not a sequence number: nothing to compare
                        }
                        lastId = id;
                    } else if (line.startsWith("event:") && line.substring(6).trim().equals("error")) {
                        stats.error(kind, "error-event");
                    } else if (line.startsWith("data:")) {
                        events.incrementAndGet();
                    }
                    if (stopped || System.nanoTime() - until > 0) {
                        ended = false;
                        break;
                    }
                }
            } catch (IOException e) {
                if (stopped || current == null) {
                    ended = false; // closed by us: stop() or the stall watch
                } else {
                    stats.error(kind, "read-failed");
                    ended = false;
                }
            }
            if (ended && !stopped) {
                stats.error(kind, "ended");
            }
            current = null;
        }
    }

    /** Called every few seconds: a stream silent for longer than the stall limit is counted and reopened. */
    void watch() {
        InputStream in = current;
        if (in != null && System.nanoTime() - lastLine > TimeUnit.MILLISECONDS.toNanos(stallMillis)) {
            stats.error(kind, "stalled");
            current = null;
            close(in);
        }
    }

    void stop() {
        stopped = true;
        InputStream in = current;
        current = null;
        if (in != null) {
            close(in);
        }
    }

    private static void close(InputStream in) {
        try {
            in.close();
        } catch (IOException e) {
            // closing a stream we gave up on
        }
    }

    private static void pause(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
