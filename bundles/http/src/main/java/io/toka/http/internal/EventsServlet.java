package io.toka.http.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.toka.event.Event;
import io.toka.event.EventBus;
import io.toka.event.EventPage;
import io.toka.event.EventQuery;
import io.toka.event.EventStore;
import io.toka.event.EventSubscriber;
import io.toka.kernel.CapabilityDeniedException;
import io.toka.kernel.InvalidOperationException;
import io.toka.kernel.Kernel;
import io.toka.kernel.KernelException;
import io.toka.kernel.Message;
import io.toka.kernel.Operation;
import io.toka.security.Permissions;
import io.toka.security.SecurityContext;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * {@code /events} (query, and a Server-Sent Events stream with {@code Last-Event-ID} resume) and
 * {@code /kernel/submit}.
 */
final class EventApi {

    static final int DEFAULT_LIMIT = 100;
    /** A comment line is sent when nothing happened for this long, so dead connections are noticed. */
    static final long HEARTBEAT_MILLIS = 15_000;
    private static final List<String> READ = List.of(Permissions.EVENT_READ);

    private final Kernel kernel;
    private final EventStore store;
    private final EventBus bus;
    private final ObjectMapper mapper;

    EventApi(Kernel kernel, EventStore store, EventBus bus, ObjectMapper mapper) {
        this.kernel = kernel;
        this.store = store;
        this.bus = bus;
        this.mapper = mapper;
    }

    /** Routes {@code /events...} and {@code /kernel/submit}; returns false if the path is neither. */
    boolean route(Exchange x, SecurityContext caller, String[] parts) throws IOException, Exchange.Rejected {
        if (parts[0].equals("events") && parts.length == 1) {
            if (x.allow("GET")) {
                caller.authorize("event.list", READ);
                EventPage page = store.query(query(x));
                Map<String, Object> body = new LinkedHashMap<>();
                body.put("events", page.events().stream().map(this::json).toList());
                body.put("next", page.next());
                x.json(200, body);
            }
            return true;
        }
        if (parts[0].equals("events") && parts.length == 2 && parts[1].equals("store")) {
            if (x.allow("GET")) {
                caller.authorize("event.store", READ);
                Map<String, Object> body = new LinkedHashMap<>();
                body.put("type", store.type());
                body.put("count", store.count());
                body.put("lastSeq", store.lastSeq());
                x.json(200, body);
            }
            return true;
        }
        if (parts[0].equals("events") && parts.length == 2 && parts[1].equals("stream")) {
            if (x.allow("GET")) {
                caller.authorize("event.stream", READ);
                stream(x, caller);
            }
            return true;
        }
        if (parts[0].equals("kernel") && parts.length == 2 && parts[1].equals("submit")) {
            if (x.allow("POST")) {
                submit(x, caller);
            }
            return true;
        }
        return false;
    }

    // ---------------------------------------------------------------- query

    private EventQuery query(Exchange x) throws Exchange.Rejected {
        String limitText = x.req.getParameter("limit");
        int limit = DEFAULT_LIMIT;
        if (limitText != null) {
            try {
                limit = Integer.parseInt(limitText);
            } catch (NumberFormatException e) {
                throw Exchange.Rejected.badRequest("limit must be a number from 1 to " + EventQuery.MAX_LIMIT);
            }
        }
        long after = 0;
        String afterText = x.req.getParameter("after");
        if (afterText != null) {
            try {
                after = Long.parseLong(afterText);
            } catch (NumberFormatException e) {
                throw Exchange.Rejected.badRequest("after must be an event sequence number (the 'next' of a page)");
            }
        }
        try {
            return new EventQuery(blankToNull(x.req.getParameter("kind")), blankToNull(x.req.getParameter("agent")),
                    blankToNull(x.req.getParameter("subject")), instant(x, "since"), instant(x, "until"), after, limit);
        } catch (IllegalArgumentException e) {
            throw Exchange.Rejected.badRequest(e.getMessage());
        }
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }

    private static Instant instant(Exchange x, String name) throws Exchange.Rejected {
        String v = x.req.getParameter(name);
        if (v == null || v.isBlank()) {
            return null;
        }
        try {
            return Instant.parse(v);
        } catch (DateTimeParseException e) {
            throw Exchange.Rejected.badRequest(name + " must be an ISO-8601 instant such as 2026-11-22T08:00:00Z, not '"
                    + v + "'");
        }
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

    // ---------------------------------------------------------------- stream

    /**
     * Replays stored events after {@code Last-Event-ID} (or {@code ?after=}), then follows live ones. Live events
     * are buffered from before the replay starts and de-duplicated by sequence number; when the subscription drops
     * events (a slow client), the gap is filled from the store, so the client misses nothing.
     */
    private void stream(Exchange x, SecurityContext caller) throws IOException, Exchange.Rejected {
        stream(x, blankToNull(x.req.getParameter("agent")), caller);
    }

    /**
     * The live stream, optionally only the events concerning one agent (its progress: agent.spawned,
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
        java.util.function.Predicate<Event> wanted = e -> (kindParam == null || kindParam.equals(e.kind()))
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
            last = replay(out, last, wanted);
            long idleSince = System.currentTimeMillis();
            while (!Thread.currentThread().isInterrupted()) {
                try {
                    caller.checkLive();
                } catch (io.toka.security.TokenStateException revoked) {
                    out.write(("event: error\ndata: " + mapper.writeValueAsString(
                            java.util.Map.of("error", revoked.getMessage())) + "\n\n").getBytes(StandardCharsets.UTF_8));
                    out.flush();
                    break;
                }
                if (gap.getAndSet(false)) {
                    live.clear();
                    last = replay(out, last, wanted);
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
                    last = replay(out, last, wanted);
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
        } catch (IOException clientGone) {
            // the client disconnected: nothing to answer
        } finally {
            sub.close();
        }
    }

    private long replay(OutputStream out, long after, java.util.function.Predicate<Event> wanted) throws IOException {
        long last = after;
        while (true) {
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

    // ---------------------------------------------------------------- submit

    private static final Set<String> MESSAGE_FIELDS = Set.of("origin", "capability", "operation", "op");

    private void submit(Exchange x, SecurityContext caller) throws IOException, Exchange.Rejected {
        ObjectNode body = x.readObject(MESSAGE_FIELDS, "{\"origin\":\"agent-1\",\"capability\":\"<token>\","
                + "\"operation\":{\"ScheduleAgentTask\":{\"agent\":\"agent-1\",\"task\":{\"description\":\"...\"}}}}");
        String origin = text(body, "origin");
        String capability = text(body, "capability");
        if (capability == null) {
            // the message's capability defaults to the token the request was made with
            String header = x.req.getHeader("Authorization");
            capability = header.substring(7).trim();
        }
        if (origin == null) {
            origin = caller.subject();
        }
        JsonNode opNode = body.has("operation") ? body.get("operation") : body.get("op");
        Message message = new Message(origin, capability, operation(opNode));
        try {
            Event e = kernel.submit(message);
            x.json(201, json(e));
        } catch (InvalidOperationException e) {
            throw Exchange.Rejected.badRequest(e.getMessage());
        } catch (CapabilityDeniedException e) {
            throw new Exchange.Rejected(Problem.forbidden(e.getMessage()));
        } catch (KernelException e) {
            throw Exchange.Rejected.badRequest(e.getMessage());
        }
    }

    private static String text(JsonNode n, String field) throws Exchange.Rejected {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isTextual()) {
            throw Exchange.Rejected.badRequest("'" + field + "' must be a string");
        }
        return v.asText();
    }

    /**
     * The original system's externally tagged form: {@code {"ScheduleAgentTask":{"agent":..,"task":{"description":..}}}},
     * {@code {"SpawnSubAgent":{"parent":..,"spec":{"name":..}}}}, {@code {"EmitObservation":{"agent":..,"data":..}}}
     * (data as base64 text or an array of byte values). A plain string works for task and spec too.
     */
    static Operation operation(JsonNode n) throws Exchange.Rejected {
        if (n == null || !n.isObject() || n.size() != 1) {
            throw Exchange.Rejected.badRequest("'operation' must be one of {\"ScheduleAgentTask\":{...}}, "
                    + "{\"SpawnSubAgent\":{...}} or {\"EmitObservation\":{...}}");
        }
        String type = n.fieldNames().next();
        JsonNode v = n.get(type);
        if (!v.isObject()) {
            throw Exchange.Rejected.badRequest("'" + type + "' must be an object");
        }
        switch (type) {
            case "ScheduleAgentTask":
                return new Operation.ScheduleAgentTask(id(v.get("agent")), nested(v.get("task"), "description"));
            case "SpawnSubAgent":
                return new Operation.SpawnSubAgent(id(v.get("parent")), nested(v.get("spec"), "name"));
            case "EmitObservation":
                return new Operation.EmitObservation(id(v.get("agent")), data(v.get("data")));
            default:
                throw Exchange.Rejected.badRequest("unknown operation '" + type
                        + "'; use ScheduleAgentTask, SpawnSubAgent or EmitObservation");
        }
    }

    /** Agent ids may be strings or (as in the original) numbers. */
    private static String id(JsonNode n) {
        return n == null || n.isNull() ? null : n.asText();
    }

    private static String nested(JsonNode n, String field) throws Exchange.Rejected {
        if (n == null || n.isNull()) {
            return null;
        }
        if (n.isTextual()) {
            return n.asText();
        }
        if (n.isObject() && n.get(field) != null && n.get(field).isTextual()) {
            return n.get(field).asText();
        }
        throw Exchange.Rejected.badRequest("expected a string or {\"" + field + "\":\"...\"}, not " + n);
    }

    private static byte[] data(JsonNode n) throws Exchange.Rejected {
        if (n == null || n.isNull()) {
            return new byte[0];
        }
        if (n.isTextual()) {
            try {
                return Base64.getDecoder().decode(n.asText());
            } catch (IllegalArgumentException e) {
                throw Exchange.Rejected.badRequest("'data' text must be base64");
            }
        }
        if (n.isArray()) {
            List<Byte> bytes = new ArrayList<>(n.size());
            for (JsonNode b : n) {
                if (!b.canConvertToInt() || b.asInt() < 0 || b.asInt() > 255) {
                    throw Exchange.Rejected.badRequest("'data' arrays hold byte values 0-255, not " + b);
                }
                bytes.add((byte) b.asInt());
            }
            byte[] out = new byte[bytes.size()];
            for (int i = 0; i < out.length; i++) {
                out[i] = bytes.get(i);
            }
            return out;
        }
        throw Exchange.Rejected.badRequest("'data' must be base64 text or an array of byte values");
    }
}
