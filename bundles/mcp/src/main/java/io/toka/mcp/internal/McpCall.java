package io.toka.mcp.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.toka.security.SecurityContext;
import io.toka.tool.CallObserver.LogLevel;
import javax.servlet.http.HttpServletRequest;
import javax.servlet.http.HttpServletResponse;

/**
 * One request or notification as a method handler sees it: the message, the revision it is served in, the
 * authenticated caller, the session (if any) and the reply it answers through.
 */
final class McpCall {

    final Revision revision;
    final SecurityContext caller;
    /** {@code null} without a session (2026-07-28, or a 2025 request without {@code Mcp-Session-Id}). */
    final Session session;
    final JsonRpc.Message message;
    final PostReply reply;
    final HttpServletRequest request;
    final HttpServletResponse response;

    McpCall(Revision revision, SecurityContext caller, Session session, JsonRpc.Message message, PostReply reply,
            HttpServletRequest request, HttpServletResponse response) {
        this.revision = revision;
        this.caller = caller;
        this.session = session;
        this.message = message;
        this.reply = reply;
        this.request = request;
        this.response = response;
    }

    JsonNode id() {
        return message.id();
    }

    ObjectNode params() {
        return message.params();
    }

    /**
     * Who may cancel this caller's requests by id: the session, or else the token (requests without a session).
     */
    String callerKey() {
        if (session != null) {
            return "s:" + session.id;
        }
        String jti = Session.tokenId(caller);
        return jti != null ? "t:" + jti : "u:" + caller.subject();
    }

    /** @return {@code _meta.progressToken} (a string or number), or {@code null} */
    JsonNode progressToken() {
        ObjectNode meta = message.meta();
        JsonNode t = meta == null ? null : meta.get("progressToken");
        return t != null && (t.isTextual() || t.isNumber()) ? t : null;
    }

    /**
     * The lowest level of log messages the client wants for this request: the session's ({@code logging/setLevel}),
     * or on 2026-07-28 the request's {@code io.modelcontextprotocol/logLevel}; {@code null} for none.
     */
    LogLevel logLevel() {
        if (session != null) {
            return session.logLevel();
        }
        if (revision.stateless()) {
            ObjectNode meta = message.meta();
            JsonNode level = meta == null ? null : meta.get(Meta.LOG_LEVEL);
            return level == null ? null : Meta.level(level.asText());
        }
        return null;
    }

    /** A string parameter. */
    String text(String name, boolean required) throws RpcException {
        JsonNode v = params().get(name);
        if (v == null || v.isNull()) {
            if (required) {
                throw RpcException.invalidParams("Invalid params: \"" + name + "\" is required");
            }
            return null;
        }
        if (!v.isTextual()) {
            throw RpcException.invalidParams("Invalid params: \"" + name + "\" must be a string");
        }
        return v.textValue();
    }
}
