package io.toka.mcp.internal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.toka.tool.CallObserver.LogLevel;

/** The {@code _meta} keys of the 2026-07-28 revision, and the server's identity. */
final class Meta {

    static final String PROTOCOL_VERSION = "io.modelcontextprotocol/protocolVersion";
    static final String CLIENT_CAPABILITIES = "io.modelcontextprotocol/clientCapabilities";
    static final String CLIENT_INFO = "io.modelcontextprotocol/clientInfo";
    static final String LOG_LEVEL = "io.modelcontextprotocol/logLevel";
    static final String SERVER_INFO = "io.modelcontextprotocol/serverInfo";
    static final String SUBSCRIPTION_ID = "io.modelcontextprotocol/subscriptionId";
    /** Toka's own keys on a listed tool. */
    static final String TOOL_VERSION = "io.toka/version";
    static final String TOOL_PROVIDER = "io.toka/provider";

    private Meta() {
    }

    /** @return the level with that MCP name ({@code debug} .. {@code emergency}), or {@code null} */
    static LogLevel level(String name) {
        if (name == null) {
            return null;
        }
        for (LogLevel l : LogLevel.values()) {
            if (l.wireName().equals(name)) {
                return l;
            }
        }
        return null;
    }

    /** The server's {@code Implementation}: name, title, version. */
    static ObjectNode serverInfo(String version) {
        ObjectNode n = Json.object();
        n.put("name", "toka");
        n.put("title", "Toka");
        n.put("version", version);
        return n;
    }
}
