package io.toka.mcp.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.toka.security.SecurityContext;
import io.toka.security.TokenStateException;
import java.util.UUID;
import javax.servlet.http.HttpServletRequest;
import javax.servlet.http.HttpServletResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Processes one JSON-RPC message of a POST: reads it, checks the 2026-07-28 request headers, finds the method's
 * handler in the {@link MethodTable} for the revision, and answers through the {@link PostReply}: a result (on
 * 2026-07-28 with {@code resultType} and the server's identity), a JSON-RPC error, or nothing for a notification.
 * A {@link TokenStateException} passes through: the servlet answers 401.
 */
final class Dispatcher {

    private static final Logger LOG = LoggerFactory.getLogger(Dispatcher.class);

    /** Where a message is served: its revision and session. */
    record Target(Revision revision, Session session) {
    }

    /** The request attribute naming the route for metrics (a string contract with the metrics bundle). */
    static final String METRICS_ROUTE = "io.toka.metrics.route";

    private final MethodTable table;
    private final ObjectNode serverInfo;

    Dispatcher(MethodTable table, ObjectNode serverInfo) {
        this.table = table;
        this.serverInfo = serverInfo;
    }

    void process(JsonNode raw, Target target, boolean inBatch, SecurityContext caller, PostReply reply,
            HttpServletRequest req, HttpServletResponse resp) {
        JsonRpc.Message m;
        try {
            m = JsonRpc.Message.read(raw);
        } catch (RpcException e) {
            reply.respond(JsonRpc.error(JsonRpc.idOf(raw), e), e.httpStatus);
            return;
        }
        Revision rev = target.revision();
        McpCall call = new McpCall(rev, caller, target.session(), m, reply, req, resp);
        switch (m.kind()) {
            case RESPONSE -> {
                // Toka sends clients no requests, so a response answers nothing; 2026-07-28 forbids them
                if (rev.stateless()) {
                    reply.respond(JsonRpc.error(m.id(), JsonRpc.INVALID_REQUEST,
                            "Invalid Request: clients must not send responses in 2026-07-28", null), 400);
                }
            }
            case NOTIFICATION -> {
                MethodTable.NotificationHandler h = table.notification(m.method(), rev);
                if (h != null) {
                    try {
                        h.handle(call);
                    } catch (TokenStateException e) {
                        throw e;
                    } catch (RuntimeException e) {
                        LOG.warn("The MCP notification {} of {} failed", m.method(), caller.subject(), e);
                    }
                }
            }
            case REQUEST -> request(call, inBatch);
        }
    }

    private void request(McpCall call, boolean inBatch) {
        JsonRpc.Message m = call.message;
        try {
            if (call.revision.stateless()) {
                ModernHeaders.check(call.request, m, call.revision);
            }
            if (inBatch && "initialize".equals(m.method())) {
                throw RpcException.invalidRequest("Invalid Request: initialize must not be part of a batch", 200);
            }
            MethodTable.RequestHandler h = table.request(m.method(), call.revision);
            if (h != null && !inBatch && call.request != null) {
                // the route for the metrics bundle's HTTP meters: only a method this server knows, never a client's
                // free text
                call.request.setAttribute(METRICS_ROUTE, "/mcp " + m.method());
            }
            if (h == null) {
                // 2026-07-28: an unknown method is 404 with -32601, which tells a modern server from a legacy one
                throw new RpcException(JsonRpc.METHOD_NOT_FOUND, "Method not found: " + JsonRpc.clip(m.method(), 64),
                        null, call.revision.stateless() ? 404 : 200);
            }
            Object result = h.handle(call);
            if (result == MethodTable.DETACHED) {
                call.reply.detach();
                return;
            }
            if (result == MethodTable.NO_RESPONSE) {
                call.reply.noResponse();
                return;
            }
            ObjectNode r = (ObjectNode) result;
            if (call.revision.stateless()) {
                r.put("resultType", "complete");
                JsonNode meta = r.get("_meta");
                ObjectNode metaObject = meta instanceof ObjectNode o ? o : r.putObject("_meta");
                metaObject.set(Meta.SERVER_INFO, serverInfo);
            }
            call.reply.respond(JsonRpc.result(m.id(), r), 200);
        } catch (RpcException e) {
            call.reply.respond(JsonRpc.error(m.id(), e), e.httpStatus);
        } catch (TokenStateException e) {
            throw e;
        } catch (RuntimeException e) {
            String ref = UUID.randomUUID().toString().substring(0, 8);
            LOG.error("MCP request {} of {} failed (reference {})", m.method(), call.caller.subject(), ref, e);
            call.reply.respond(JsonRpc.error(m.id(), JsonRpc.INTERNAL_ERROR,
                    "Internal error; reference " + ref + " in the Toka log", null), 200);
        }
    }
}
