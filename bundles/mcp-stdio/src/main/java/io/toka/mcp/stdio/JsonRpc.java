package io.toka.mcp.stdio;

import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.Map;

/** JSON-RPC 2.0 message helpers. */
final class JsonRpc {

    /** Invalid JSON on standard input. */
    static final int PARSE_ERROR = -32700;
    /** A line that is JSON but not a JSON-RPC message. */
    static final int INVALID_REQUEST = -32600;
    /**
     * The request could not be forwarded or Toka's HTTP answer was an error without a JSON-RPC body: the bridge's
     * own code, from the range JSON-RPC leaves to implementations. {@code error.data.httpStatus} has the HTTP
     * status when there was one.
     */
    static final int TRANSPORT_ERROR = -32000;

    /** The {@code _meta} key in which a 2026-07-28 client puts the protocol version of each request. */
    static final String META_PROTOCOL_VERSION = "io.modelcontextprotocol/protocolVersion";

    private JsonRpc() {
    }

    /**
     * @param id the request id (may be null)
     * @param code the error code
     * @param message the message
     * @param data extra data, or null
     * @return an error response
     */
    static Map<String, Object> error(Object id, int code, String message, Object data) {
        Map<String, Object> error = new LinkedHashMap<>();
        error.put("code", code);
        error.put("message", message);
        if (data != null) {
            error.put("data", data);
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("jsonrpc", "2.0");
        m.put("id", id);
        m.put("error", error);
        return m;
    }

    /**
     * A key that is equal for equal ids: a string id and a number id never match, {@code 1} and {@code 1.0} do.
     *
     * @param id a request id
     * @return the key
     */
    static String idKey(Object id) {
        if (id instanceof String s) {
            return "s:" + s;
        }
        if (id instanceof Json.Num n) {
            try {
                return "n:" + new BigDecimal(n.text()).stripTrailingZeros().toPlainString();
            } catch (NumberFormatException e) {
                return "n:" + n.text();
            }
        }
        return "x:" + Json.write(id);
    }

    /** @return whether the message is a response (result or error) to the request with this id */
    static boolean isResponseTo(Map<String, Object> message, Object id) {
        return message != null && !message.containsKey("method")
                && (message.containsKey("result") || message.containsKey("error"))
                && message.containsKey("id") && idKey(message.get("id")).equals(idKey(id));
    }

    /**
     * An error body a server sent with an HTTP error status, as the response to our request: as is when it names
     * our id, with our id put in when it has none (the transport allows an id-less error body).
     *
     * @param body the parsed body, or null
     * @param id the request id
     * @return the response to write, or null when the body is not a JSON-RPC error
     */
    static Map<String, Object> errorBodyFor(Object body, Object id) {
        Map<String, Object> m = Json.object(body);
        if (m == null || !(m.get("error") instanceof Map<?, ?>) || m.containsKey("method")) {
            return null;
        }
        if (isResponseTo(m, id)) {
            return m;
        }
        if (m.get("id") != null) {
            return null;
        }
        Map<String, Object> copy = new LinkedHashMap<>(m);
        copy.put("jsonrpc", "2.0");
        copy.put("id", id);
        return copy;
    }

    /**
     * @param message a request
     * @return the protocol version in {@code params._meta} (2026-07-28 and later), or null
     */
    static String metaProtocolVersion(Map<String, Object> message) {
        return Json.member(Json.member(message.get("params"), "_meta"), META_PROTOCOL_VERSION) instanceof String v
                ? v : null;
    }

    /**
     * @param message a message
     * @return "method #id" for logs
     */
    static String describe(Map<String, Object> message) {
        Object method = message.get("method");
        Object id = message.get("id");
        return (method instanceof String s ? s : "response") + (id == null ? "" : " #" + Json.write(id));
    }
}
