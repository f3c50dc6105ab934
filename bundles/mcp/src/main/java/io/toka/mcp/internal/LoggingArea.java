package io.toka.mcp.internal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.toka.tool.CallObserver.LogLevel;

/**
 * Logging: {@code logging/setLevel} sets the lowest level of the tools' log messages a 2025 session receives (as
 * {@code notifications/message} on the answer of the call that logs). Until a client sets a level it gets none.
 * On 2026-07-28 a request asks for them with {@code _meta["io.modelcontextprotocol/logLevel"]}.
 */
final class LoggingArea implements McpArea {

    @Override
    public void register(MethodTable table) {
        table.request("logging/setLevel", MethodTable.LEGACY, this::setLevel);
    }

    @Override
    public void capabilities(Revision revision, ObjectNode capabilities) {
        capabilities.putObject("logging");
    }

    private Object setLevel(McpCall call) throws RpcException {
        String name = call.text("level", true);
        LogLevel level = Meta.level(name);
        if (level == null) {
            throw RpcException.invalidParams("Invalid params: \"level\" must be one of debug, info, notice, warning, "
                    + "error, critical, alert, emergency");
        }
        if (call.session == null) {
            throw RpcException.invalidRequest("logging/setLevel needs a session: send initialize first and then "
                    + "the Mcp-Session-Id header", 200);
        }
        call.session.logLevel(level);
        return Json.object();
    }
}
