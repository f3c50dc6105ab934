package io.toka.http.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.toka.event.Event;
import io.toka.event.EventBus;
import io.toka.event.EventPage;
import io.toka.event.EventQuery;
import io.toka.event.EventStore;
import io.toka.kernel.CapabilityDeniedException;
import io.toka.kernel.InvalidOperationException;
import io.toka.kernel.Kernel;
import io.toka.kernel.KernelException;
import io.toka.kernel.Message;
import io.toka.kernel.Operation;
import io.toka.security.Permissions;
import io.toka.security.SecurityContext;
import java.io.IOException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.servlet.Servlet;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.http.whiteboard.propertytypes.HttpWhiteboardContextSelect;
import org.osgi.service.http.whiteboard.propertytypes.HttpWhiteboardServletName;
import org.osgi.service.http.whiteboard.propertytypes.HttpWhiteboardServletPattern;

/**
 * {@code /events} (query, the store's state, and a Server-Sent Events stream with {@code Last-Event-ID} resume)
 * and {@code /kernel/submit}.
 */
@Component(service = Servlet.class)
@HttpWhiteboardContextSelect(ApiContext.SELECT)
@HttpWhiteboardServletPattern({"/events", "/events/*", "/kernel/*"})
@HttpWhiteboardServletName(EventsServlet.NAME)
public final class EventsServlet extends ApiServlet {

    static final String NAME = "toka-events";
    static final int DEFAULT_LIMIT = 100;

    private static final long serialVersionUID = 1L;
    private static final List<String> READ = List.of(Permissions.EVENT_READ);

    private final transient Kernel kernel;
    private final transient EventStore store;
    private final transient EventStream events;

    private final transient Router router = new Router()
            .get("/events", this::list)
            .get("/events/store", this::storeState)
            .get("/events/stream", this::stream)
            .post("/kernel/submit", this::submit);

    @Activate
    public EventsServlet(@Reference Kernel kernel, @Reference EventStore store, @Reference EventBus bus) {
        this.kernel = kernel;
        this.store = store;
        this.events = new EventStream(store, bus, mapper);
    }

    @Override
    Router router() {
        return router;
    }

    private void list(Exchange x) throws IOException, Exchange.Rejected {
        x.caller().authorize("event.list", READ);
        EventPage page = store.query(query(x));
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("events", page.events().stream().map(events::json).toList());
        body.put("next", page.next());
        x.json(200, body);
    }

    private void storeState(Exchange x) throws IOException {
        x.caller().authorize("event.store", READ);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("type", store.type());
        body.put("count", store.count());
        body.put("lastSeq", store.lastSeq());
        x.json(200, body);
    }

    private void stream(Exchange x) throws IOException, Exchange.Rejected {
        SecurityContext caller = x.caller();
        caller.authorize("event.stream", READ);
        events.stream(x, EventStream.blankToNull(x.req.getParameter("agent")), caller);
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
            return new EventQuery(EventStream.blankToNull(x.req.getParameter("kind")), EventStream.blankToNull(x.req.getParameter("agent")),
                    EventStream.blankToNull(x.req.getParameter("subject")), instant(x, "since"), instant(x, "until"), after, limit);
        } catch (IllegalArgumentException e) {
            throw Exchange.Rejected.badRequest(e.getMessage());
        }
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

    // ---------------------------------------------------------------- submit

    private static final Set<String> MESSAGE_FIELDS = Set.of("origin", "capability", "operation", "op");

    private void submit(Exchange x) throws IOException, Exchange.Rejected {
        ObjectNode body = x.readObject(MESSAGE_FIELDS, "{\"origin\":\"agent-1\",\"capability\":\"<token>\","
                + "\"operation\":{\"ScheduleAgentTask\":{\"agent\":\"agent-1\",\"task\":{\"description\":\"...\"}}}}");
        String origin = text(body, "origin");
        String capability = text(body, "capability");
        if (capability == null) {
            // the message's capability defaults to the token the request was made with
            capability = ApiContext.bearer(x.req);
        }
        if (origin == null) {
            origin = x.caller().subject();
        }
        JsonNode opNode = body.has("operation") ? body.get("operation") : body.get("op");
        Message message = new Message(origin, capability, operation(opNode));
        try {
            Event e = kernel.submit(message);
            x.json(201, events.json(e));
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
     * {@code {"SpawnSubAgent":{"parent":..,"spec":{"name":..}}}} (or a full configuration as the spec),
     * {@code {"EmitObservation":{"agent":..,"data":..}}}
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
                return spawn(v);
            case "EmitObservation":
                return new Operation.EmitObservation(id(v.get("agent")), data(v.get("data")));
            default:
                throw Exchange.Rejected.badRequest("unknown operation '" + type
                        + "'; use ScheduleAgentTask, SpawnSubAgent or EmitObservation");
        }
    }

    /**
     * {@code spec} names a defined agent ({@code "name"} or {@code {"name":..}}), or is the child's full configuration:
     * an object with {@code metadata} (the agent YAML as JSON), or {@code {"name":..,"config":"<YAML>"}}.
     */
    private static Operation.SpawnSubAgent spawn(JsonNode v) throws Exchange.Rejected {
        JsonNode spec = v.get("spec");
        String parent = id(v.get("parent"));
        if (spec != null && spec.isObject() && spec.has("metadata")) {
            JsonNode name = spec.path("metadata").get("name");
            if (name == null || !name.isTextual()) {
                throw Exchange.Rejected.badRequest("a full configuration in 'spec' needs metadata.name");
            }
            return new Operation.SpawnSubAgent(parent, name.asText(), spec.toString());
        }
        if (spec != null && spec.isObject() && spec.has("config")) {
            JsonNode config = spec.get("config");
            if (!config.isTextual()) {
                throw Exchange.Rejected.badRequest("'spec.config' must be the child's configuration as YAML text");
            }
            return new Operation.SpawnSubAgent(parent, nested(spec, "name"), config.asText());
        }
        return new Operation.SpawnSubAgent(parent, nested(spec, "name"));
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
