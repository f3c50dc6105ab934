package io.toka.mcp;

/**
 * One MCP session as {@link McpSessions#list()} shows it.
 *
 * @param id the session id ({@code Mcp-Session-Id})
 * @param subject the subject of the token that opened it
 * @param protocolVersion the negotiated protocol revision, e.g. {@code 2025-11-25}
 * @param created when {@code initialize} created it
 * @param lastActive when the session last received a request
 * @param openStreams how many SSE connections of the session are open right now
 * @param clientName the {@code clientInfo.name} the client gave at {@code initialize}, or {@code null}
 */
public record McpSessionInfo(String id, String subject, String protocolVersion, java.time.Instant created,
        java.time.Instant lastActive, int openStreams, String clientName) {
}
