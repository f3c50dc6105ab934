package io.toka.mcp.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Iterator;

/**
 * JSON-RPC 2.0 as MCP uses it: the error codes, building responses and notifications, and reading one incoming
 * message.
 */
final class JsonRpc {

    static final int PARSE_ERROR = -32700;
    static final int INVALID_REQUEST = -32600;
    static final int METHOD_NOT_FOUND = -32601;
    static final int INVALID_PARAMS = -32602;
    static final int INTERNAL_ERROR = -32603;
    /** MCP's "Resource not found" up to 2025-11-25 (2026-07-28 answers -32602 instead). */
    static final int RESOURCE_NOT_FOUND = -32002;
    /** Implementation-defined (-32000..-32019): a rate limit refused the request; data carries retryAfterSeconds. */
    static final int RATE_LIMITED = -32000;
    /** Implementation-defined: the Mcp-Session-Id is unknown or expired (HTTP 404). */
    static final int SESSION_NOT_FOUND = -32010;
    /** Implementation-defined: no usable token (HTTP 401). */
    static final int UNAUTHORIZED = -32011;
    /** Implementation-defined: the Origin or Host is not allowed (HTTP 403). */
    static final int FORBIDDEN = -32012;
    /** 2026-07-28 {@code HeaderMismatch}: headers missing or not matching the body (HTTP 400). */
    static final int HEADER_MISMATCH = -32020;
    /** 2026-07-28 {@code UnsupportedProtocolVersion} (HTTP 400); data {supported, requested}. */
    static final int UNSUPPORTED_PROTOCOL_VERSION = -32022;

    private JsonRpc() {
    }

    /** What an incoming message is. */
    enum Kind {
        REQUEST, NOTIFICATION, RESPONSE
    }

    /**
     * One incoming message.
     *
     * @param kind what it is
     * @param id the request id (a string or number node), {@code null} for a notification
     * @param method the method; {@code null} for a response
     * @param params the params object; an empty object when absent
     */
    record Message(Kind kind, JsonNode id, String method, ObjectNode params) {

        /**
         * Reads one message.
         *
         * @throws RpcException -32600 for anything that is not a JSON-RPC 2.0 request, notification or response;
         *     -32602 for params that are not an object (MCP's params are always objects)
         */
        static Message read(JsonNode node) throws RpcException {
            if (node == null || !node.isObject()) {
                throw RpcException.invalidRequest("Invalid Request: a message must be a JSON object", 400);
            }
            JsonNode version = node.get("jsonrpc");
            if (version == null || !version.isTextual() || !"2.0".equals(version.textValue())) {
                throw RpcException.invalidRequest("Invalid Request: \"jsonrpc\" must be \"2.0\"", 400);
            }
            JsonNode id = node.get("id");
            if (id != null && !id.isTextual() && !id.isIntegralNumber()) {
                throw RpcException.invalidRequest("Invalid Request: \"id\" must be a string or an integer", 400);
            }
            JsonNode method = node.get("method");
            if (method == null) {
                if (id != null && (node.has("result") || node.has("error"))) {
                    return new Message(Kind.RESPONSE, id, null, Json.object());
                }
                throw RpcException.invalidRequest("Invalid Request: \"method\" is missing", 400);
            }
            if (!method.isTextual() || method.textValue().isEmpty()) {
                throw RpcException.invalidRequest("Invalid Request: \"method\" must be a non-empty string", 400);
            }
            for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
                String field = it.next();
                if (!field.equals("jsonrpc") && !field.equals("id") && !field.equals("method")
                        && !field.equals("params")) {
                    throw RpcException.invalidRequest("Invalid Request: unknown member \"" + clip(field, 40) + "\"",
                            400);
                }
            }
            JsonNode params = node.get("params");
            if (params != null && !params.isNull() && !params.isObject()) {
                throw new RpcException(INVALID_PARAMS, "Invalid params: \"params\" must be an object", null, 200);
            }
            ObjectNode p = params == null || params.isNull() ? Json.object() : (ObjectNode) params;
            return new Message(id == null ? Kind.NOTIFICATION : Kind.REQUEST, id, method.textValue(), p);
        }

        /** @return the params' {@code _meta} object, or {@code null} */
        ObjectNode meta() {
            JsonNode meta = params.get("_meta");
            return meta != null && meta.isObject() ? (ObjectNode) meta : null;
        }
    }

    /** @return the id of a message that may be malformed, if it has a usable one; else {@code null} */
    static JsonNode idOf(JsonNode message) {
        JsonNode id = message != null && message.isObject() ? message.get("id") : null;
        return id != null && (id.isTextual() || id.isIntegralNumber()) ? id : null;
    }

    static ObjectNode result(JsonNode id, JsonNode result) {
        ObjectNode n = Json.object();
        n.put("jsonrpc", "2.0");
        n.set("id", id);
        n.set("result", result);
        return n;
    }

    /**
     * An error response. {@code id} may be {@code null} when the request's id is unknown (a parse error, a refusal
     * before the body was read): the member is then left out, as MCP's schema (2025-11-25 on) has it.
     */
    static ObjectNode error(JsonNode id, int code, String message, JsonNode data) {
        ObjectNode n = Json.object();
        n.put("jsonrpc", "2.0");
        if (id != null) {
            n.set("id", id);
        }
        ObjectNode e = n.putObject("error");
        e.put("code", code);
        e.put("message", message);
        if (data != null) {
            e.set("data", data);
        }
        return n;
    }

    static ObjectNode error(JsonNode id, RpcException e) {
        return error(id, e.code, e.getMessage(), e.data);
    }

    static ObjectNode notification(String method, ObjectNode params) {
        ObjectNode n = Json.object();
        n.put("jsonrpc", "2.0");
        n.put("method", method);
        if (params != null) {
            n.set("params", params);
        }
        return n;
    }

    /** A value echoed in an error message, cut to {@code max} characters. */
    static String clip(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max) + "...";
    }
}
