package io.toka.mcp.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.toka.security.SecurityContext;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import javax.servlet.AsyncContext;
import javax.servlet.AsyncEvent;
import javax.servlet.AsyncListener;

/**
 * {@code subscriptions/listen} (2026-07-28): a long-lived SSE answer carrying the change notifications the client
 * opted in to. Toka honours {@code toolsListChanged} and {@code resourceSubscriptions} (event-log URIs the caller
 * may read, told by {@link ResourceWatch}); other kinds, and URIs it cannot read or that do not exist, are left out
 * of the acknowledgement. Every message
 * carries the listen request's id as {@code io.modelcontextprotocol/subscriptionId}. A stream ends when the client
 * closes it, when its token stops being usable, or, with a final result, when the endpoint stops.
 */
final class SubscriptionsArea implements McpArea {

    /** One open subscription. */
    final class Listen {
        final SecurityContext caller;
        final JsonNode id;
        final boolean tools;
        final List<EventUri> resources;
        final SseChannel channel;
        volatile Object toolsSeen;

        Listen(SecurityContext caller, JsonNode id, boolean tools, List<EventUri> resources) {
            this.caller = caller;
            this.id = id;
            this.tools = tools;
            this.resources = List.copyOf(resources);
            this.channel = new SseChannel("l", null, () -> end(false));
        }

        /** Sends a notification tagged with this subscription's id. */
        void send(String method, ObjectNode params) {
            ObjectNode p = params == null ? Json.object() : params;
            p.putObject("_meta").set(Meta.SUBSCRIPTION_ID, id);
            channel.send(Json.text(JsonRpc.notification(method, p)));
        }

        /** Ends the subscription; {@code graceful} sends the listen request's result first. */
        void end(boolean graceful) {
            listens.remove(this);
            if (graceful) {
                ObjectNode result = Json.object();
                result.put("resultType", "complete");
                ObjectNode meta = result.putObject("_meta");
                meta.set(Meta.SUBSCRIPTION_ID, id);
                meta.set(Meta.SERVER_INFO, serverInfo);
                channel.send(Json.text(JsonRpc.result(id, result)));
            }
            channel.complete();
        }
    }

    private final Set<Listen> listens = ConcurrentHashMap.newKeySet();
    private final ToolCatalog catalog;
    private final StreamMonitor monitor;
    private final ObjectNode serverInfo;
    private final SseWriters writers;

    SubscriptionsArea(ToolCatalog catalog, StreamMonitor monitor, ObjectNode serverInfo, SseWriters writers) {
        this.catalog = catalog;
        this.monitor = monitor;
        this.serverInfo = serverInfo;
        this.writers = writers;
    }

    @Override
    public void register(MethodTable table) {
        table.request("subscriptions/listen", MethodTable.MODERN, this::listen);
    }

    /** @return the open subscriptions (a snapshot) */
    List<Listen> live() {
        return List.copyOf(listens);
    }

    /** Ends every subscription with its final result (the endpoint is stopping). */
    void closeAll() {
        live().forEach(l -> l.end(true));
    }

    private Object listen(McpCall call) throws RpcException {
        JsonNode filter = call.params().get("notifications");
        if (filter == null || !filter.isObject()) {
            throw RpcException.invalidParams("Invalid params: \"notifications\" must be an object, e.g. "
                    + "{\"toolsListChanged\": true}");
        }
        if (!call.reply.streams()) {
            throw RpcException.invalidRequest("subscriptions/listen answers with an SSE stream: send Accept: "
                    + "text/event-stream", 406);
        }
        JsonNode toolsFlag = filter.get("toolsListChanged");
        boolean tools = toolsFlag != null && toolsFlag.isBoolean() && toolsFlag.booleanValue();
        List<EventUri> resources = resources(filter.get("resourceSubscriptions"), call.caller);
        Listen l = new Listen(call.caller, call.id(), tools, resources);
        if (tools) {
            l.toolsSeen = catalog.view(call.caller).fingerprint();
        }
        AsyncContext async = call.request.startAsync();
        async.setTimeout(0);
        SseConnection conn = writers.connection(call.response, async);
        async.addListener(new Ended(l, conn));
        try {
            conn.open();
        } catch (IOException e) {
            conn.close();
            return MethodTable.DETACHED;
        }
        listens.add(l);
        l.channel.attach(conn, -1, false);
        ObjectNode ack = Json.object();
        ObjectNode agreed = ack.putObject("notifications");
        if (tools) {
            agreed.put("toolsListChanged", true);
        }
        if (filter.has("resourceSubscriptions")) {
            ArrayNode uris = agreed.putArray("resourceSubscriptions");
            resources.forEach(u -> uris.add(u.uri()));
        }
        l.send("notifications/subscriptions/acknowledged", ack);
        monitor.watch(l.channel, call.caller, () -> l.end(false));
        return MethodTable.DETACHED;
    }

    /** The event-log URIs of {@code resourceSubscriptions} the caller may read; others are left out. */
    private static List<EventUri> resources(JsonNode uris, SecurityContext caller) throws RpcException {
        if (uris == null || uris.isNull()) {
            return List.of();
        }
        if (!uris.isArray() || uris.size() > ResourcesArea.MAX_SUBSCRIPTIONS) {
            throw RpcException.invalidParams("Invalid params: \"resourceSubscriptions\" must be an array of at most "
                    + ResourcesArea.MAX_SUBSCRIPTIONS + " resource URIs");
        }
        Map<String, EventUri> out = new LinkedHashMap<>();
        for (JsonNode u : uris) {
            if (!u.isTextual()) {
                throw RpcException.invalidParams("Invalid params: \"resourceSubscriptions\" holds URIs (strings)");
            }
            try {
                EventUri e = EventResource.resolve(u.textValue(), caller, "event.subscribe");
                if (e != null) {
                    out.putIfAbsent(e.uri(), e);
                }
            } catch (EventUri.BadQuery bad) {
                throw RpcException.invalidParams("Invalid params: " + JsonRpc.clip(u.textValue(), 128) + ": "
                        + bad.getMessage());
            }
        }
        return List.copyOf(out.values());
    }

    /** The container ended the stream (the client went away, an error): forget the subscription. */
    private final class Ended implements AsyncListener {
        private final Listen listen;
        private final SseConnection conn;

        Ended(Listen listen, SseConnection conn) {
            this.listen = listen;
            this.conn = conn;
        }

        @Override
        public void onComplete(AsyncEvent event) {
            listens.remove(listen);
            listen.channel.complete();
        }

        @Override
        public void onTimeout(AsyncEvent event) {
            conn.close();
        }

        @Override
        public void onError(AsyncEvent event) {
            conn.close();
        }

        @Override
        public void onStartAsync(AsyncEvent event) {
            // not restarted
        }
    }
}
