package io.toka.mcp.stdio;

import java.util.Map;

/**
 * What the bridge knows of its MCP session with Toka (protocol versions up to 2025-11-25): the session id from the
 * {@code Mcp-Session-Id} header of the initialize response, the negotiated protocol version, and the client's
 * initialize parameters, kept to start a new session if Toka forgets this one (a restart). A 2026-07-28 client has
 * no session: each of its requests carries its version in {@code _meta}.
 */
final class Session {

    private String id;
    private String protocolVersion;
    private Map<String, Object> initializeParams;

    /**
     * Records a successful initialize.
     *
     * @param id the session id, or null when the server keeps no session
     * @param protocolVersion the negotiated version
     * @param initializeParams the client's initialize parameters
     */
    synchronized void established(String id, String protocolVersion, Map<String, Object> initializeParams) {
        this.id = id;
        this.protocolVersion = protocolVersion;
        this.initializeParams = initializeParams;
    }

    /** @return the session id, or null */
    synchronized String id() {
        return id;
    }

    /** @return the negotiated protocol version, or null before initialize */
    synchronized String protocolVersion() {
        return protocolVersion;
    }

    /** @return the client's initialize parameters, or null before initialize */
    synchronized Map<String, Object> initializeParams() {
        return initializeParams;
    }

    /**
     * Forgets the session id, if it is still this one.
     *
     * @param ended the session that ended
     * @return whether it was the current one
     */
    synchronized boolean ended(String ended) {
        if (ended != null && ended.equals(id)) {
            id = null;
            return true;
        }
        return false;
    }
}
