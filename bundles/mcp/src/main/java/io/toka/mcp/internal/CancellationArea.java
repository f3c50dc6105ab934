package io.toka.mcp.internal;

import com.fasterxml.jackson.databind.JsonNode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code notifications/cancelled}: cancels the caller's own in-flight request with that id (the tool's thread is
 * interrupted through the registry's {@link io.toka.runtime.registry.CancellationSignal}). An unknown or finished
 * id, or a malformed notification, is ignored, as the cancellation utility says.
 */
final class CancellationArea implements McpArea {

    private static final Logger LOG = LoggerFactory.getLogger(CancellationArea.class);

    private final InFlight inFlight;

    CancellationArea(InFlight inFlight) {
        this.inFlight = inFlight;
    }

    @Override
    public void register(MethodTable table) {
        table.notification("notifications/cancelled", MethodTable.ALL, this::cancelled);
    }

    private void cancelled(McpCall call) {
        JsonNode id = call.params().get("requestId");
        if (id == null || !(id.isTextual() || id.isIntegralNumber())) {
            return;
        }
        JsonNode reason = call.params().get("reason");
        String why = reason != null && reason.isTextual() ? JsonRpc.clip(reason.textValue(), 200) : null;
        if (inFlight.cancel(call.callerKey(), id, why)) {
            LOG.debug("MCP request {} of {} cancelled: {}", id, call.caller.subject(), why);
        }
    }
}
