package io.toka.http.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.toka.event.Event;
import io.toka.event.EventBus;
import io.toka.event.EventPage;
import io.toka.event.EventQuery;
import io.toka.event.EventStore;
import io.toka.event.EventSubscriber;
import io.toka.security.SecurityContext;
import io.toka.security.TokenStateException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Predicate;

/**
 * Events as JSON, and as a Server-Sent Events stream with {@code Last-Event-ID} resume; shared by
 * {@code /events/stream} and {@code /agents/{name}/events}.
 */
final class EventStream {

    /** A comment line is sent when nothing happened for this long, so dead connections are noticed. */
    static final long HEARTBEAT_MILLIS = 15_000;

    private final EventStore store;
    private final EventBus bus;
    private final ObjectMapper mapper;

    EventStream(EventStore store, EventBus bus, ObjectMapper mapper) {
        this.store = store;
        this.bus = bus;
        this.mapper = mapper;
    }

    Map<String, Object> json(Event e) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("seq", e.seq());
        m.put("id", e.id());
        m.put("kind", e.kind());
        m.put("version", e.version());
        m.put("timestamp", e.timestamp().toString());
        m.put("agent", e.agent());
        m.put("subject", e.subject());
        m.put("parents", e.parents());
        m.put("digest", e.digest());
        JsonNode payload;
        try {
            payload = mapper.readTree(e.payload());
        } catch (IOException ex) {
            payload = mapper.getNodeFactory().textNode(e.payload());
        }
        m.put("payload", payload);
        return m;
    }

    /**
     * Replays stored events after {@code Last-Event-ID} (or {@code ?after=}), then follows live ones. Live events
     * are buffered from before the replay starts and de-duplicated by sequence number; when the subscription drops
     * events (a slow client), the gap is filled from the store, so the client misses nothing.
     *
     * <p>The live stream, optionally only the events concerning one agent (its progress: agent.spawned,
     * task.scheduled, observation.emitted, task.completed/failed, agent.terminated). The caller's token is checked
     * again before every event and at least every second: a stream ends with an {@code error} event as soon as the
     * token is revoked, expires or leaves its time window.
     */
    void stream(Exchange x, String agent, SecurityContext caller) throws IOException, Exchange.Rejected {
        long last = 0;
        String resume = x.req.getHeader("Last-Event-ID");
        if (resume == null) {
            resume = x.req.getParameter("after");
        }
        if (resume != null && !resume.isBlank()) {
            try {
                last = Long.parseLong(resume.trim());
            } catch (NumberFormatException e) {
                throw Exchange.Rejected.badRequest("Last-Event-ID must be an event sequence number");
            }
        }
        String kindParam = blankToNull(x.req.getParameter("kind"));
        Predicate<Event> wanted = e -> (kindParam == null || kindParam.equals(e.kind()))
                && (agent == null || agent.equals(e.agent()));
        BlockingQueue<Event> live = new ArrayBlockingQueue<>(4096);
        AtomicBoolean gap = new AtomicBoolean();
        EventBus.Subscription sub = bus.subscribe(new EventSubscriber() {
            @Override
            public void onEvent(Event event) {
                if (!live.offer(event)) {
                    gap.set(true);
                }
            }

            @Override
            public void onMissed(long count) {
                gap.set(true);
            }
        }, 4096);
        try {
            x.resp.setStatus(200);
            x.resp.setContentType("text/event-stream");
            x.resp.setHeader("Cache-Control", "no-store");
            x.resp.setHeader("X-Accel-Buffering", "no");
            OutputStream out = x.resp.getOutputStream();
            out.write((": toka event stream\nretry: 2000\n\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
            follow(out, last, wanted, live, gap, caller);
        } catch (IOException clientGone) {
            // the client disconnected: nothing to answer
        } finally {
            sub.close();
        }
    }

    /**
     * The replay, then the live events, until the client leaves or the token stops being live; then an
     * {@code error} event says why.
     */
    private void follow(OutputStream out, long after, Predicate<Event> wanted, BlockingQueue<Event> live,
            AtomicBoolean gap, SecurityContext caller) throws IOException {
        try {
            long last = replay(out, after, wanted, caller);
            long idleSince = System.currentTimeMillis();
            while (!Thread.currentThread().isInterrupted()) {
                caller.checkLive();
                if (gap.getAndSet(false)) {
                    live.clear();
                    last = replay(out, last, wanted, caller);
                }
                Event e;
                try {
                    e = live.poll(1, TimeUnit.SECONDS);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    break;
                }
                if (e == null) {
                    if (System.currentTimeMillis() - idleSince >= HEARTBEAT_MILLIS) {
                        out.write(": keep-alive\n\n".getBytes(StandardCharsets.UTF_8));
                        out.flush();
                        idleSince = System.currentTimeMillis();
                    }
                    continue;
                }
                if (e.seq() <= last) {
                    continue;
                }
                if (e.seq() > last + 1) {
                    // events were stored but not yet seen live (posted in a batch, or dropped): take them from the store
                    last = replay(out, last, wanted, caller);
                    if (e.seq() <= last) {
                        continue;
                    }
                }
                if (wanted.test(e)) {
                    send(out, e);
                }
                last = e.seq();
                idleSince = System.currentTimeMillis();
            }
        } catch (TokenStateException revoked) {
            out.write(("event: error\ndata: " + mapper.writeValueAsString(Map.of("error", revoked.getMessage()))
                    + "\n\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
        }
    }

    /**
     * Sends the stored events after {@code after}, page by page. The token is checked before each page: a replay
     * of a long history takes seconds, and a token revoked meanwhile must not go on reading it.
     */
    private long replay(OutputStream out, long after, Predicate<Event> wanted, SecurityContext caller)
            throws IOException, TokenStateException {
        long last = after;
        while (true) {
            caller.checkLive();
            EventPage page = store.query(new EventQuery(null, null, null, null, null, last, EventQuery.MAX_LIMIT));
            for (Event e : page.events()) {
                if (wanted.test(e)) {
                    send(out, e);
                }
                last = e.seq();
            }
            if (page.next() == null) {
                return last;
            }
        }
    }

    private void send(OutputStream out, Event e) throws IOException {
        String data = mapper.writeValueAsString(json(e));
        out.write(("id: " + e.seq() + "\nevent: " + e.kind() + "\ndata: " + data + "\n\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }
}
