package io.toka.mcp.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Set;
import javax.servlet.http.HttpServletRequest;

/**
 * The request metadata a 2026-07-28 request must carry, checked against its body (streamable-http.mdx, "Server
 * Validation"): {@code _meta.io.modelcontextprotocol/protocolVersion} equal to the {@code MCP-Protocol-Version}
 * header, {@code Mcp-Method} equal to the method, and {@code Mcp-Name} equal to {@code params.name} (or
 * {@code params.uri}) for the methods that name something. Any failure is {@code HeaderMismatch} (-32020, HTTP 400).
 */
final class ModernHeaders {

    /** Methods whose {@code Mcp-Name} header is required. */
    private static final Set<String> NAMED = Set.of("tools/call", "resources/read", "prompts/get");
    private static final String SENTINEL_START = "=?base64?";
    private static final String SENTINEL_END = "?=";

    private ModernHeaders() {
    }

    static void check(HttpServletRequest req, JsonRpc.Message m, Revision headerVersion) throws RpcException {
        ObjectNode meta = m.meta();
        JsonNode version = meta == null ? null : meta.get(Meta.PROTOCOL_VERSION);
        if (version == null || !version.isTextual()) {
            throw RpcException.headerMismatch("params._meta has no \"" + Meta.PROTOCOL_VERSION + "\"");
        }
        if (!version.textValue().equals(headerVersion.wire())) {
            throw RpcException.headerMismatch("MCP-Protocol-Version header '" + headerVersion.wire()
                    + "' does not match the body's protocol version '" + JsonRpc.clip(version.textValue(), 40) + "'");
        }
        String method = req.getHeader("Mcp-Method");
        if (method == null) {
            throw RpcException.headerMismatch("the Mcp-Method header is required");
        }
        if (!method.equals(m.method())) {
            throw RpcException.headerMismatch("Mcp-Method header value '" + JsonRpc.clip(method, 40)
                    + "' does not match body value '" + JsonRpc.clip(m.method(), 40) + "'");
        }
        if (NAMED.contains(m.method())) {
            JsonNode source = m.params().has("uri") && !m.method().equals("tools/call") ? m.params().get("uri")
                    : m.params().get("name");
            String header = req.getHeader("Mcp-Name");
            if (header == null) {
                throw RpcException.headerMismatch("the Mcp-Name header is required for " + m.method());
            }
            String decoded = decode(header, "Mcp-Name");
            if (source == null || !source.isTextual() || !source.textValue().equals(decoded)) {
                throw RpcException.headerMismatch("Mcp-Name header value '" + JsonRpc.clip(decoded, 64)
                        + "' does not match the body");
            }
        }
        JsonNode level = meta.get(Meta.LOG_LEVEL);
        if (level != null && (!level.isTextual() || Meta.level(level.textValue()) == null)) {
            throw RpcException.invalidParams("Invalid params: \"" + Meta.LOG_LEVEL + "\" must be one of debug, "
                    + "info, notice, warning, error, critical, alert, emergency");
        }
    }

    /**
     * A mirrored header value: plain visible ASCII, or {@code =?base64?...?=} around the Base64 of UTF-8 text.
     *
     * @throws RpcException HeaderMismatch for characters outside the allowed set or a broken encoding
     */
    static String decode(String value, String header) throws RpcException {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if ((c < 0x20 || c > 0x7e) && c != '\t') {
                throw RpcException.headerMismatch("the " + header + " header has characters outside visible ASCII;"
                        + " send them Base64-encoded (=?base64?...?=)");
            }
        }
        if (value.startsWith(SENTINEL_START) && value.endsWith(SENTINEL_END)
                && value.length() >= SENTINEL_START.length() + SENTINEL_END.length()) {
            String b64 = value.substring(SENTINEL_START.length(), value.length() - SENTINEL_END.length());
            try {
                return StandardCharsets.UTF_8.newDecoder()
                        .decode(ByteBuffer.wrap(Base64.getDecoder().decode(b64))).toString();
            } catch (IllegalArgumentException | CharacterCodingException e) {
                throw RpcException.headerMismatch("the " + header + " header's Base64 value cannot be decoded");
            }
        }
        return value;
    }
}
