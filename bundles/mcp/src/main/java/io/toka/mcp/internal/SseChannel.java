package io.toka.mcp.internal;

import java.io.IOException;

/**
 * One logical SSE stream, which may outlive its HTTP connection: a session's GET stream, the SSE answer of one POST,
 * or a {@code subscriptions/listen} stream. With an {@link EventLog} (2025 sessions) every event gets an id and is
 * kept for {@code Last-Event-ID} resumption: when the connection drops, later events are only stored, and a GET
 * that resumes attaches a new connection after replaying them. Without a log (2026-07-28, requests without a
 * session) events have no id, and a dropped connection runs {@code onLost}. Thread-safe.
 */
final class SseChannel {

    /** The reconnection delay announced in priming events. */
    static final long RETRY_MILLIS = 2000;

    final String key;
    private final EventLog log;
    private final Runnable onLost;
    private SseConnection conn;
    private boolean completed;
    private long delivered;

    /**
     * @param key the stream's key in event ids
     * @param log the session's log, or {@code null} for a stream without ids and resumption
     * @param onLost run (once per lost connection) when a write finds the client gone; may be {@code null}
     */
    SseChannel(String key, EventLog log, Runnable onLost) {
        this.key = key;
        this.log = log;
        this.onLost = onLost;
    }

    /**
     * Makes {@code c} the stream's connection, replacing (closing) any other: replays the stored events after
     * {@code after}, or after the last one written to a connection when {@code after} is negative; with
     * {@code prime} and nothing to replay, sends a priming event (an id to resume from, empty data). A completed
     * stream closes {@code c} after the replay.
     */
    synchronized void attach(SseConnection c, long after, boolean prime) {
        if (conn != null && conn != c) {
            conn.close();
        }
        conn = c;
        c.onFailure(() -> failed(c));
        try {
            if (log != null) {
                long from = after < 0 ? delivered : after;
                boolean replayed = false;
                for (EventLog.Event e : log.after(key, from)) {
                    c.event(EventLog.id(key, e.seq()), e.data(), 0);
                    delivered = Math.max(delivered, e.seq());
                    replayed = true;
                }
                if (prime && !replayed) {
                    c.event(EventLog.id(key, from), "", RETRY_MILLIS);
                }
            }
        } catch (IOException e) {
            lost();
            return;
        }
        if (completed) {
            conn.close();
            conn = null;
        }
    }

    /** Sends one message: stored first (with a log), then written if a connection is attached. */
    synchronized void send(String json) {
        if (completed) {
            return;
        }
        long seq = log == null ? 0 : log.append(key, json);
        if (conn == null) {
            return;
        }
        try {
            conn.event(log == null ? null : EventLog.id(key, seq), json, 0);
            delivered = seq;
        } catch (IOException e) {
            lost();
        }
    }

    /** Writes a keep-alive comment; finds a connection whose client is gone. */
    synchronized void keepAlive() {
        if (conn == null) {
            return;
        }
        try {
            conn.keepAlive();
        } catch (IOException e) {
            lost();
        }
    }

    /** A queued write of {@code c} failed in its writer: the client is gone. */
    private synchronized void failed(SseConnection c) {
        if (conn == c) {
            lost();
        }
    }

    private void lost() {
        SseConnection c = conn;
        conn = null;
        if (c != null) {
            c.close();
        }
        if (onLost != null) {
            onLost.run();
        }
    }

    /** Ends the stream: no more events; the connection is closed. */
    synchronized void complete() {
        completed = true;
        if (conn != null) {
            conn.close();
            conn = null;
        }
    }

    /** Forgets {@code c} if it is the current connection (the container ended it: an error or a timeout). */
    synchronized void detach(SseConnection c) {
        if (conn == c) {
            conn = null;
        }
    }

    /** Closes the connection without ending the stream (it stays resumable). */
    synchronized void disconnect() {
        if (conn != null) {
            conn.close();
            conn = null;
        }
    }

    synchronized boolean connected() {
        return conn != null;
    }

    synchronized boolean completed() {
        return completed;
    }
}
