package io.toka.mcp.internal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Which handler answers which method in which revision, built once from the {@link McpArea}s; lookups are plain
 * map reads (no locks on the request path).
 */
final class MethodTable {

    /** Marks a request whose handler took the HTTP response over (an asynchronous stream). */
    static final Object DETACHED = new Object();
    /** Marks a request that gets no response at all (it was cancelled). */
    static final Object NO_RESPONSE = new Object();

    /** Answers a request. */
    @FunctionalInterface
    interface RequestHandler {
        /**
         * @return the {@code result} object, {@link #DETACHED} or {@link #NO_RESPONSE}
         * @throws RpcException to answer with a JSON-RPC error
         */
        Object handle(McpCall call) throws RpcException;
    }

    /** Handles a notification; it gets no answer. */
    @FunctionalInterface
    interface NotificationHandler {
        void handle(McpCall call);
    }

    static final Set<Revision> ALL = EnumSet.allOf(Revision.class);
    static final Set<Revision> LEGACY = EnumSet.of(Revision.V2025_03_26, Revision.V2025_06_18, Revision.V2025_11_25);
    static final Set<Revision> MODERN = EnumSet.of(Revision.V2026_07_28);

    private final Map<Revision, Map<String, RequestHandler>> requests = new EnumMap<>(Revision.class);
    private final Map<Revision, Map<String, NotificationHandler>> notifications = new EnumMap<>(Revision.class);
    private final Map<Revision, ObjectNode> capabilities = new EnumMap<>(Revision.class);

    MethodTable(List<McpArea> areas) {
        for (Revision r : Revision.values()) {
            requests.put(r, new HashMap<>());
            notifications.put(r, new HashMap<>());
        }
        for (McpArea area : areas) {
            area.register(this);
        }
        for (Revision r : Revision.values()) {
            ObjectNode caps = Json.object();
            for (McpArea area : areas) {
                area.capabilities(r, caps);
            }
            capabilities.put(r, caps);
        }
    }

    /** Registers a request handler for some revisions; a method registered twice for a revision is a bug. */
    void request(String method, Set<Revision> revisions, RequestHandler handler) {
        for (Revision r : revisions) {
            if (requests.get(r).putIfAbsent(method, handler) != null) {
                throw new IllegalStateException(method + " is registered twice for " + r.wire());
            }
        }
    }

    void notification(String method, Set<Revision> revisions, NotificationHandler handler) {
        for (Revision r : revisions) {
            if (notifications.get(r).putIfAbsent(method, handler) != null) {
                throw new IllegalStateException(method + " is registered twice for " + r.wire());
            }
        }
    }

    /** @return the handler, or {@code null} when the method does not exist in that revision */
    RequestHandler request(String method, Revision revision) {
        return requests.get(revision).get(method);
    }

    NotificationHandler notification(String method, Revision revision) {
        return notifications.get(revision).get(method);
    }

    /** @return the server capabilities announced in a revision (shared: do not change it) */
    ObjectNode capabilities(Revision revision) {
        return capabilities.get(revision);
    }
}
