package io.toka.mcp.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/** The configuration of the MCP endpoint (PID {@code io.toka.mcp}, etc/io.toka.mcp.cfg). */
@ObjectClassDefinition(name = "Toka MCP server",
        description = "The Model Context Protocol endpoint (Streamable HTTP) on Toka's HTTP port.")
public @interface McpConfig {

    /** The configuration PID. */
    String PID = "io.toka.mcp";

    @AttributeDefinition(name = "Enabled", description = "Serve the MCP endpoint; when false the path answers 404.")
    boolean enabled() default true;

    @AttributeDefinition(name = "Path",
            description = "The endpoint's path on the HTTP port, e.g. /mcp: starts with '/', no wildcard, no trailing '/'.")
    String path() default "/mcp";

    @AttributeDefinition(name = "Allowed origins and hosts",
            description = "Host names the Host and Origin headers may carry (any port), or host:port for one port, "
                    + "or * for any; a scheme (http://) is ignored. Anything else gets 403, before authentication "
                    + "(DNS-rebinding protection). Comma-separated.")
    String[] allowedOrigins() default {"localhost", "127.0.0.1", "[::1]"};

    @AttributeDefinition(name = "Session idle timeout (minutes)",
            description = "A session without requests or open streams for this long is forgotten; its id then gets 404.",
            min = "1")
    int sessionIdleMinutes() default 30;

    @AttributeDefinition(name = "Sessions per subject",
            description = "Live sessions one subject may hold; a new one ends that subject's least recently used.",
            min = "1")
    int maxSessionsPerSubject() default 64;

    @AttributeDefinition(name = "Page size", description = "Tools per tools/list page.", min = "1", max = "1000")
    int pageSize() default 100;

    @AttributeDefinition(name = "Protocol versions",
            description = "The MCP revisions served, out of 2026-07-28, 2025-11-25, 2025-06-18, 2025-03-26. "
                    + "Comma-separated.")
    String[] protocolVersions() default {"2026-07-28", "2025-11-25", "2025-06-18", "2025-03-26"};

    @AttributeDefinition(name = "Largest request body (bytes)",
            description = "A larger POST body gets 413.", min = "1024")
    int maxBodyBytes() default 4 * 1024 * 1024;

    @AttributeDefinition(name = "List freshness (seconds)",
            description = "ttlMs of tools/list results on 2026-07-28: how long a client may reuse a list.", min = "0")
    int listTtlSeconds() default 10;
}
