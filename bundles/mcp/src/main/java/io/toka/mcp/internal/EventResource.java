package io.toka.mcp.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.toka.event.Event;
import io.toka.event.EventPage;
import io.toka.event.EventQuery;
import io.toka.event.EventStore;
import io.toka.security.AccessDeniedException;
import io.toka.security.Permissions;
import io.toka.security.SecurityContext;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * Toka's event log as an MCP resource: who may see it, and reading the newest matching events from the
 * {@link EventStore}. The permission is {@code event:read}, asked through {@link SecurityContext#authorize} (the
 * policy point the REST {@code /events} uses, audited) at every read and subscription; a caller without it is
 * told exactly what it would be told for a resource that does not exist.
 */
final class EventResource {

    static final String MIME = "application/json";
    private static final List<String> READ = List.of(Permissions.EVENT_READ);
    /** The first window searched backwards from the newest event, in sequence numbers. */
    private static final long FIRST_WINDOW = 256;

    private final EventStore store;

    EventResource(EventStore store) {
        this.store = store;
    }

    /** @return whether the caller may see the resource (for lists; not audited) */
    static boolean visible(SecurityContext caller) {
        return caller.isPermitted(Permissions.EVENT_READ);
    }

    /**
     * The URI as a permitted caller's resource.
     *
     * @return the parsed URI, or {@code null} when it names no resource this caller can see: another resource, or
     *     the event log without {@code event:read} (the denial is audited)
     * @throws EventUri.BadQuery for the event log's URI with a wrong query, told only to a permitted caller
     * @throws io.toka.security.TokenStateException if the token is no longer usable
     */
    static EventUri resolve(String uri, SecurityContext caller, String action) throws EventUri.BadQuery {
        EventUri parsed;
        EventUri.BadQuery bad = null;
        try {
            parsed = EventUri.parse(uri);
        } catch (EventUri.BadQuery e) {
            parsed = null;
            bad = e;
        }
        if (parsed == null && bad == null) {
            return null;
        }
        try {
            caller.authorize(action, READ);
        } catch (AccessDeniedException e) {
            return null;
        }
        if (bad != null) {
            throw bad;
        }
        return parsed;
    }

    /** @return the newest events the URI selects, oldest first, as {@code {"events": [...], "lastSeq": n}} */
    ObjectNode read(EventUri uri) {
        long last = store.lastSeq();
        Deque<List<Event>> windows = new ArrayDeque<>();
        int found = 0;
        long hi = last;
        long span = Math.max(FIRST_WINDOW, uri.limit() * 4L);
        // search backwards in growing windows until enough events are found or the log's start is reached
        while (hi > 0 && found < uri.limit()) {
            long lo = Math.max(0, hi - span);
            List<Event> window = window(uri, lo, hi);
            windows.addFirst(window);
            found += window.size();
            hi = lo;
            span = Math.min(span * 4, Long.MAX_VALUE / 8);
        }
        List<Event> all = new ArrayList<>(found);
        windows.forEach(all::addAll);
        List<Event> newest = all.subList(Math.max(0, all.size() - uri.limit()), all.size());
        ObjectNode body = Json.object();
        ArrayNode events = body.putArray("events");
        newest.forEach(e -> events.add(json(e)));
        body.put("lastSeq", last);
        return body;
    }

    /** The matching events with {@code lo < seq <= hi}, oldest first. */
    private List<Event> window(EventUri uri, long lo, long hi) {
        List<Event> out = new ArrayList<>();
        long after = lo;
        while (true) {
            EventPage page = store.query(new EventQuery(uri.kind(), null, uri.subject(), null, null, after,
                    EventQuery.MAX_LIMIT));
            for (Event e : page.events()) {
                if (e.seq() > hi) {
                    return out;
                }
                out.add(e);
                after = e.seq();
            }
            if (page.next() == null || page.events().isEmpty()) {
                return out;
            }
            after = Math.max(after, page.next());
        }
    }

    /** An event as the REST API shows it. */
    static ObjectNode json(Event e) {
        ObjectNode m = Json.object();
        m.put("seq", e.seq());
        m.put("id", e.id());
        m.put("kind", e.kind());
        m.put("version", e.version());
        m.put("timestamp", e.timestamp().toString());
        m.put("agent", e.agent());
        m.put("subject", e.subject());
        ArrayNode parents = m.putArray("parents");
        e.parents().forEach(parents::add);
        m.put("digest", e.digest());
        JsonNode payload;
        try {
            payload = Json.parse(e.payload().getBytes(java.nio.charset.StandardCharsets.UTF_8));
        } catch (IOException ex) {
            payload = Json.NODES.textNode(e.payload());
        }
        m.set("payload", payload);
        return m;
    }
}
