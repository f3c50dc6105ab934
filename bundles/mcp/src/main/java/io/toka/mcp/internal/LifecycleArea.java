package io.toka.mcp.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.function.Consumer;

/**
 * The lifecycle: {@code initialize} (which negotiates the revision and creates a session),
 * {@code notifications/initialized} and {@code ping} for the 2025 revisions; {@code server/discover} for
 * 2026-07-28.
 */
final class LifecycleArea implements McpArea {

    /** How long a client may reuse a {@code server/discover} result. */
    static final long DISCOVER_TTL_MILLIS = 5 * 60_000;
    static final String SESSION_HEADER = "Mcp-Session-Id";

    private final ProtocolVersions versions;
    private final SessionRegistry sessions;
    private final ObjectNode serverInfo;
    private final Consumer<Session> onCreated;
    private MethodTable table;

    /** @param onCreated told of every new session (to watch it and note the tools its client saw) */
    LifecycleArea(ProtocolVersions versions, SessionRegistry sessions, ObjectNode serverInfo,
            Consumer<Session> onCreated) {
        this.versions = versions;
        this.sessions = sessions;
        this.serverInfo = serverInfo;
        this.onCreated = onCreated;
    }

    @Override
    public void register(MethodTable t) {
        this.table = t;
        t.request("initialize", MethodTable.LEGACY, this::initialize);
        t.notification("notifications/initialized", MethodTable.LEGACY, call -> {
            // nothing to do: Toka serves a session's requests as soon as initialize has answered
        });
        t.request("ping", MethodTable.LEGACY, call -> Json.object());
        t.request("server/discover", MethodTable.MODERN, this::discover);
    }

    private Object initialize(McpCall call) throws RpcException {
        String requested = call.text("protocolVersion", true);
        JsonNode caps = call.params().get("capabilities");
        if (caps != null && !caps.isObject()) {
            throw RpcException.invalidParams("Invalid params: \"capabilities\" must be an object");
        }
        Revision negotiated = versions.negotiate(requested);
        if (negotiated == null) {
            // only 2026-07-28 is served: name the versions, the only diagnostic a legacy client can show
            throw versions.unsupported(requested);
        }
        JsonNode clientName = call.params().path("clientInfo").path("name");
        Session s = sessions.create(call.caller, negotiated,
                clientName.isTextual() ? JsonRpc.clip(clientName.textValue(), 100) : null);
        onCreated.accept(s);
        call.reply.header(SESSION_HEADER, s.id);
        ObjectNode result = Json.object();
        result.put("protocolVersion", negotiated.wire());
        result.set("capabilities", table.capabilities(negotiated));
        ObjectNode info = serverInfo;
        if (!negotiated.structured()) {
            info = serverInfo.deepCopy();
            info.remove("title"); // Implementation.title arrived in 2025-06-18
        }
        result.set("serverInfo", info);
        return result;
    }

    private Object discover(McpCall call) {
        ObjectNode result = Json.object();
        result.set("supportedVersions", versions.supported());
        result.set("capabilities", table.capabilities(call.revision));
        result.put("ttlMs", DISCOVER_TTL_MILLIS);
        // the same for every caller: what the server speaks, not what a token may do
        result.put("cacheScope", "public");
        return result;
    }
}
