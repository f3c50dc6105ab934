package io.toka.security;

/** The permission strings Toka checks. They are Shiro wildcard permissions: {@code tool:*} implies every tool permission. */
public final class Permissions {

    /** List and describe tools. */
    public static final String TOOL_READ = "tool:read";
    /** Scan directories for scripts to draft tool manifests from ({@code toka:tool-discover}). */
    public static final String TOOL_DISCOVER = "tool:discover";
    /** Read the system's details: version, sandbox state, host notes ({@code GET /api/v1/health} beyond its status). */
    public static final String SYSTEM_READ = "system:read";
    /** Issue new root tokens. */
    public static final String TOKEN_ISSUE = "token:issue";
    /** Revoke any token (its issuer may always revoke it). */
    public static final String TOKEN_REVOKE = "token:revoke";
    /** List signing keys (ids and dates only). */
    public static final String KEY_READ = "key:read";
    /** Rotate the signing key. */
    public static final String KEY_ROTATE = "key:rotate";
    /** Read and follow events. */
    public static final String EVENT_READ = "event:read";
    /** List MCP sessions ({@code toka:mcp-sessions}). */
    public static final String MCP_SESSION_READ = "mcp:session:read";
    /** End an MCP session ({@code toka:mcp-close}). */
    public static final String MCP_SESSION_CLOSE = "mcp:session:close";
    /**
     * Scrape the Prometheus metrics at {@code /metrics}: counts and latencies by tool, route, provider and state, and
     * the JVM's figures (tool names and subjects' activity, never arguments, results or tokens).
     */
    public static final String METRICS_READ = "metrics:read";
    /** Everything. */
    public static final String ALL = "*";

    private Permissions() {
    }

    /**
     * The permission to call one tool.
     *
     * @param tool the tool name
     * @return {@code tool:invoke:<tool>}
     */
    public static String toolInvoke(String tool) {
        return "tool:invoke:" + tool;
    }
}
