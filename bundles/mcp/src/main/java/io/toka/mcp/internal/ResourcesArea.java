package io.toka.mcp.internal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.toka.security.SecurityContext;

/**
 * Resources: Toka's event log, as {@code toka://events} (the newest {@value EventUri#DEFAULT_LIMIT} events, in
 * {@code resources/list}) and the template {@value EventUri#TEMPLATE} ({@code resources/templates/list});
 * {@code resources/read} returns the newest matching events, oldest first, as one {@code application/json} text.
 * On the 2025 revisions a session subscribes with {@code resources/subscribe} and hears
 * {@code notifications/resources/updated} on its GET stream when a matching event is recorded (see
 * {@link ResourceWatch}); on 2026-07-28 that is {@code subscriptions/listen} with {@code resourceSubscriptions}.
 * Who may read is {@link EventResource}'s decision; a caller without {@code event:read} sees no resources, and
 * reading or subscribing answers as for an unknown URI.
 */
final class ResourcesArea implements McpArea {

    /** Resource subscriptions one session may hold. */
    static final int MAX_SUBSCRIPTIONS = 32;

    private final EventResource events;
    private final long listTtlMillis;

    ResourcesArea(EventResource events, long listTtlMillis) {
        this.events = events;
        this.listTtlMillis = listTtlMillis;
    }

    @Override
    public void register(MethodTable table) {
        table.request("resources/list", MethodTable.ALL, this::list);
        table.request("resources/templates/list", MethodTable.ALL, this::templates);
        table.request("resources/read", MethodTable.ALL, this::read);
        table.request("resources/subscribe", MethodTable.LEGACY, this::subscribe);
        table.request("resources/unsubscribe", MethodTable.LEGACY, this::unsubscribe);
    }

    @Override
    public void capabilities(Revision revision, ObjectNode capabilities) {
        // the list is fixed: no listChanged
        capabilities.putObject("resources").put("subscribe", true);
    }

    private Object list(McpCall call) throws RpcException {
        noCursor(call);
        ObjectNode result = Json.object();
        var resources = result.putArray("resources");
        if (EventResource.visible(call.caller)) {
            ObjectNode r = resources.addObject();
            r.put("uri", EventUri.BASE);
            r.put("name", "events");
            if (call.revision.structured()) {
                r.put("title", "Toka event log");
            }
            r.put("description", "The newest " + EventUri.DEFAULT_LIMIT + " events of Toka's event log (tool calls, "
                    + "agent runs, deployments...), oldest first. Filter with " + EventUri.TEMPLATE + ".");
            r.put("mimeType", EventResource.MIME);
        }
        return cacheable(result, call);
    }

    private Object templates(McpCall call) throws RpcException {
        noCursor(call);
        ObjectNode result = Json.object();
        var templates = result.putArray("resourceTemplates");
        if (EventResource.visible(call.caller)) {
            ObjectNode t = templates.addObject();
            t.put("uriTemplate", EventUri.TEMPLATE);
            t.put("name", "events-query");
            if (call.revision.structured()) {
                t.put("title", "Toka events by kind and subject");
            }
            t.put("description", "The newest events of one kind (e.g. tool.invoked) and/or about one subject, "
                    + "oldest first; limit 1 to " + EventUri.MAX_LIMIT + ", default " + EventUri.DEFAULT_LIMIT + ".");
            t.put("mimeType", EventResource.MIME);
        }
        return cacheable(result, call);
    }

    private Object read(McpCall call) throws RpcException {
        EventUri uri = resolve(call, "event.list");
        ObjectNode result = Json.object();
        ObjectNode content = result.putArray("contents").addObject();
        content.put("uri", uri.uri());
        content.put("mimeType", EventResource.MIME);
        content.put("text", Json.text(events.read(uri)));
        if (call.revision.stateless()) {
            // the log grows all the time, and what a token may read is its own
            result.put("ttlMs", 0);
            result.put("cacheScope", "private");
        }
        return result;
    }

    private Object subscribe(McpCall call) throws RpcException {
        Session s = needSession(call, "resources/subscribe");
        EventUri uri = resolve(call, "event.subscribe");
        if (!s.subscribe(uri, MAX_SUBSCRIPTIONS)) {
            throw RpcException.invalidParams("Invalid params: a session may subscribe to at most "
                    + MAX_SUBSCRIPTIONS + " resources; unsubscribe from one first");
        }
        return Json.object();
    }

    private Object unsubscribe(McpCall call) throws RpcException {
        Session s = needSession(call, "resources/unsubscribe");
        String uri = call.text("uri", true);
        // unsubscribing needs no permission and reveals nothing: an unknown URI is simply not subscribed
        s.unsubscribe(uri);
        return Json.object();
    }

    private static Session needSession(McpCall call, String method) throws RpcException {
        if (call.session == null) {
            throw RpcException.invalidRequest(method + " needs a session: send initialize first and then the "
                    + "Mcp-Session-Id header (notifications arrive on the session's GET stream)", 200);
        }
        return call.session;
    }

    private static EventUri resolve(McpCall call, String action) throws RpcException {
        String text = call.text("uri", true);
        EventUri uri;
        try {
            uri = EventResource.resolve(text, call.caller, action);
        } catch (EventUri.BadQuery e) {
            throw RpcException.invalidParams("Invalid params: " + e.getMessage());
        }
        if (uri == null) {
            throw notFound(text, call.revision);
        }
        return uri;
    }

    /** "Resource not found": -32002 up to 2025-11-25, -32602 on 2026-07-28; data carries the URI. */
    static RpcException notFound(String uri, Revision revision) {
        ObjectNode data = Json.object().put("uri", JsonRpc.clip(uri, 256));
        return new RpcException(revision.stateless() ? JsonRpc.INVALID_PARAMS : JsonRpc.RESOURCE_NOT_FOUND,
                "Resource not found", data, 200);
    }

    private static void noCursor(McpCall call) throws RpcException {
        if (call.text("cursor", false) != null) {
            throw RpcException.invalidParams("Invalid params: this list has one page; the cursor is unknown");
        }
    }

    private ObjectNode cacheable(ObjectNode result, McpCall call) {
        if (call.revision.stateless()) {
            result.put("ttlMs", listTtlMillis);
            // filtered by the caller's permissions
            result.put("cacheScope", "private");
        }
        return result;
    }

    /** Whether a caller's subscription may still be told of updates (for {@link ResourceWatch}). */
    static boolean stillAllowed(SecurityContext caller) {
        caller.checkLive();
        return EventResource.visible(caller);
    }
}
