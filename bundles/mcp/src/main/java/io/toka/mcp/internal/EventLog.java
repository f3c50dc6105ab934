package io.toka.mcp.internal;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * A session's recent server messages for {@code Last-Event-ID} resumption: a bounded ring (oldest dropped), each
 * event with a sequence number unique in the session and the key of the stream it belongs to. Thread-safe.
 */
final class EventLog {

    /** One stored event. */
    record Event(long seq, String stream, String data) {
    }

    private final int capacity;
    private final Deque<Event> ring = new ArrayDeque<>();
    private long seq;

    EventLog(int capacity) {
        this.capacity = capacity;
    }

    /** @return the new event's sequence number */
    synchronized long append(String stream, String data) {
        if (ring.size() == capacity) {
            ring.removeFirst();
        }
        seq++;
        ring.addLast(new Event(seq, stream, data));
        return seq;
    }

    /** @return the last sequence number handed out (0 before the first event) */
    synchronized long last() {
        return seq;
    }

    /** @return the events of one stream after {@code after}, oldest first */
    synchronized List<Event> after(String stream, long after) {
        List<Event> out = new ArrayList<>();
        for (Event e : ring) {
            if (e.seq() > after && e.stream().equals(stream)) {
                out.add(e);
            }
        }
        return out;
    }

    /** An event id: the stream key and the sequence number, e.g. {@code 0-17}. */
    static String id(String stream, long seq) {
        return stream + "-" + seq;
    }

    /** A parsed {@code Last-Event-ID}. */
    record Cursor(String stream, long seq) {
        /** @return the cursor, or {@code null} when the text is not one of our ids */
        static Cursor parse(String lastEventId) {
            if (lastEventId == null) {
                return null;
            }
            String s = lastEventId.trim();
            int dash = s.lastIndexOf('-');
            if (dash <= 0 || dash == s.length() - 1 || s.length() > 40) {
                return null;
            }
            try {
                return new Cursor(s.substring(0, dash), Long.parseLong(s.substring(dash + 1)));
            } catch (NumberFormatException e) {
                return null;
            }
        }
    }
}
