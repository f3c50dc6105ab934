package io.toka.mcp.internal;

import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The checked configuration of the endpoint. {@link #from} refuses a bad value with a message naming it, so a
 * half-configured endpoint is never registered.
 *
 * @param enabled whether the endpoint is served
 * @param path e.g. {@code /mcp}
 * @param allowedOrigins the Origin/Host allow-list entries
 * @param sessionIdle how long an idle session lives
 * @param maxSessionsPerSubject live sessions per subject
 * @param pageSize tools per tools/list page
 * @param versions the revisions served
 * @param maxBodyBytes the largest POST body
 * @param listTtl the ttlMs of tools/list results (2026-07-28)
 */
record McpSettings(boolean enabled, String path, List<String> allowedOrigins, Duration sessionIdle,
        int maxSessionsPerSubject, int pageSize, Set<Revision> versions, int maxBodyBytes, Duration listTtl) {

    private static final Pattern PATH = Pattern.compile("(/[A-Za-z0-9._~-]+)+");

    McpSettings {
        allowedOrigins = List.copyOf(allowedOrigins);
        versions = Set.copyOf(versions);
    }

    /**
     * @throws IllegalArgumentException naming the bad attribute and the allowed form
     */
    static McpSettings from(McpConfig c) {
        String path = c.path() == null ? "" : c.path().trim();
        if (!PATH.matcher(path).matches()) {
            throw new IllegalArgumentException("path '" + path + "' is not a valid endpoint path: use '/' and letters,"
                    + " digits, '.', '_', '~' or '-', e.g. /mcp (no wildcard, no trailing '/')");
        }
        List<String> origins = split(c.allowedOrigins());
        if (origins.isEmpty()) {
            throw new IllegalArgumentException("allowedOrigins is empty: list the host names clients may use, "
                    + "e.g. localhost,127.0.0.1,[::1], or * for any");
        }
        origins.forEach(OriginGuard::parseEntry); // throws for a malformed entry
        EnumSet<Revision> versions = EnumSet.noneOf(Revision.class);
        for (String v : split(c.protocolVersions())) {
            Revision r = Revision.of(v);
            if (r == null) {
                throw new IllegalArgumentException("protocolVersions names '" + v + "', which Toka does not speak; "
                        + "use some of 2026-07-28, 2025-11-25, 2025-06-18, 2025-03-26");
            }
            versions.add(r);
        }
        if (versions.isEmpty()) {
            throw new IllegalArgumentException("protocolVersions is empty: name at least one of 2026-07-28, "
                    + "2025-11-25, 2025-06-18, 2025-03-26");
        }
        require(c.sessionIdleMinutes() >= 1, "sessionIdleMinutes", c.sessionIdleMinutes(), "at least 1");
        require(c.maxSessionsPerSubject() >= 1, "maxSessionsPerSubject", c.maxSessionsPerSubject(), "at least 1");
        require(c.pageSize() >= 1 && c.pageSize() <= 1000, "pageSize", c.pageSize(), "between 1 and 1000");
        require(c.maxBodyBytes() >= 1024, "maxBodyBytes", c.maxBodyBytes(), "at least 1024");
        require(c.listTtlSeconds() >= 0, "listTtlSeconds", c.listTtlSeconds(), "0 or more");
        return new McpSettings(c.enabled(), path, origins, Duration.ofMinutes(c.sessionIdleMinutes()),
                c.maxSessionsPerSubject(), c.pageSize(), versions, c.maxBodyBytes(),
                Duration.ofSeconds(c.listTtlSeconds()));
    }

    /** Configuration Admin hands a .cfg list over as one comma-separated string: split every element. */
    private static List<String> split(String[] values) {
        List<String> out = new ArrayList<>();
        if (values != null) {
            for (String v : values) {
                if (v != null) {
                    for (String part : v.split(",")) {
                        if (!part.isBlank()) {
                            out.add(part.trim());
                        }
                    }
                }
            }
        }
        return out;
    }

    private static void require(boolean ok, String name, int value, String allowed) {
        if (!ok) {
            throw new IllegalArgumentException(name + " is " + value + "; it must be " + allowed);
        }
    }
}
