package io.toka.mcp.internal;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A request the server refuses with a JSON-RPC error, and the HTTP status the answer carries (200 for an ordinary
 * error, 400 or 404 where the transport says so).
 */
final class RpcException extends Exception {

    private static final long serialVersionUID = 1L;

    final int code;
    final transient JsonNode data;
    final int httpStatus;

    RpcException(int code, String message) {
        this(code, message, null, 200);
    }

    RpcException(int code, String message, JsonNode data, int httpStatus) {
        super(message, null, false, false);
        this.code = code;
        this.data = data;
        this.httpStatus = httpStatus;
    }

    static RpcException invalidParams(String message) {
        return new RpcException(JsonRpc.INVALID_PARAMS, message);
    }

    static RpcException invalidRequest(String message, int httpStatus) {
        return new RpcException(JsonRpc.INVALID_REQUEST, message, null, httpStatus);
    }

    /** The 2026-07-28 transport's {@code HeaderMismatch}: 400. */
    static RpcException headerMismatch(String message) {
        return new RpcException(JsonRpc.HEADER_MISMATCH, "Header mismatch: " + message, null, 400);
    }
}
