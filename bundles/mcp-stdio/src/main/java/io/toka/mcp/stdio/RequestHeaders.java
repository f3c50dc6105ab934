package io.toka.mcp.stdio;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The MCP headers of each HTTP request: {@code MCP-Protocol-Version} (from the request's {@code _meta} in
 * 2026-07-28, else the version negotiated at initialize), {@code Mcp-Session-Id}, and the values 2026-07-28 mirrors
 * from the body: {@code Mcp-Method}, {@code Mcp-Name} and the {@code x-mcp-header} parameters.
 */
final class RequestHeaders {

    private final Session session;
    private final ParamHeaders paramHeaders;

    RequestHeaders(Session session, ParamHeaders paramHeaders) {
        this.session = session;
        this.paramHeaders = paramHeaders;
    }

    /**
     * @param msg the message to POST
     * @param sessionId the session it belongs to, or null
     * @param initialize whether it is an initialize request (no version header: none is negotiated yet)
     * @return the headers
     */
    Map<String, String> post(Map<String, Object> msg, String sessionId, boolean initialize) {
        String version = JsonRpc.metaProtocolVersion(msg);
        if (version == null && !initialize) {
            version = session.protocolVersion();
        }
        Map<String, String> h = session(version, sessionId, null);
        String method = Json.string(msg, "method");
        if (method != null && !method.isEmpty() && HeaderValues.isPlain(method)) {
            h.put("Mcp-Method", method);
        }
        Object params = msg.get("params");
        String name = method == null ? null : switch (method) {
            case "tools/call", "prompts/get" -> Json.string(params, "name");
            case "resources/read" -> Json.string(params, "uri");
            default -> null;
        };
        if (name != null) {
            h.put("Mcp-Name", HeaderValues.encode(name));
        }
        if ("tools/call".equals(method)) {
            h.putAll(paramHeaders.headers(name, Json.member(params, "arguments")));
        }
        return h;
    }

    /**
     * The headers of a GET or DELETE for a session.
     *
     * @param version the protocol version, or null
     * @param sessionId the session, or null
     * @param lastEventId the last event received when resuming a stream, or null
     * @return the headers (a new, modifiable map)
     */
    static Map<String, String> session(String version, String sessionId, String lastEventId) {
        Map<String, String> h = new LinkedHashMap<>();
        if (version != null && !version.isEmpty() && HeaderValues.isPlain(version)) {
            h.put("MCP-Protocol-Version", version);
        }
        if (sessionId != null) {
            h.put("Mcp-Session-Id", sessionId);
        }
        if (lastEventId != null && HeaderValues.isPlain(lastEventId)) {
            h.put("Last-Event-ID", lastEventId);
        }
        return h;
    }
}
