package io.toka.mcp;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The live MCP sessions of the {@code /mcp} endpoint (protocol revisions 2025-03-26 to 2025-11-25, which have
 * sessions; 2026-07-28 is stateless and has none). Implemented by the MCP bundle; the shell's
 * {@code toka:mcp-sessions} and {@code toka:mcp-close} commands consume it. Thread-safe.
 */
@ProviderType
public interface McpSessions {

    /**
     * The live sessions, oldest first.
     *
     * @return a snapshot; never {@code null}, empty while the endpoint is disabled
     */
    java.util.List<McpSessionInfo> list();

    /**
     * Ends a session as DELETE would: closes its streams and forgets it. A request carrying its id afterwards gets
     * 404, and the client starts a new session.
     *
     * @param sessionId the session id ({@code Mcp-Session-Id})
     * @return false if no such session
     */
    boolean close(String sessionId);
}
