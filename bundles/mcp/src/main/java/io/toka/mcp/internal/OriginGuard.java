package io.toka.mcp.internal;

import java.net.URI;
import java.util.List;
import java.util.Locale;
import javax.servlet.http.HttpServletRequest;

/**
 * DNS-rebinding protection (transports.mdx, "Security Warning"): the {@code Host} header, and the {@code Origin}
 * header when a browser sends one, must name an allowed host. Entries are host names (any port), {@code host:port}
 * (that port only), IPv6 literals in brackets, or {@code *}; a scheme ({@code http://}) is ignored. The literal
 * origin {@code null} (sandboxed frames, file: pages) passes only if listed.
 */
final class OriginGuard {

    /** One allow-list entry; {@code port} -1 for any port. */
    record Entry(String host, int port) {
        boolean matches(String h, int p) {
            return host.equals("*") || host.equals(h) && (port < 0 || port == p);
        }
    }

    private final List<Entry> entries;

    OriginGuard(List<String> allowed) {
        this.entries = allowed.stream().map(OriginGuard::parseEntry).toList();
    }

    /**
     * @throws IllegalArgumentException for an entry that is not a host, host:port or *
     */
    static Entry parseEntry(String raw) {
        String s = raw.trim().toLowerCase(Locale.ROOT);
        int scheme = s.indexOf("://");
        if (scheme >= 0) {
            s = s.substring(scheme + 3);
        }
        if (s.endsWith("/")) {
            s = s.substring(0, s.length() - 1);
        }
        if (s.equals("*") || s.equals("null")) {
            return new Entry(s, -1);
        }
        Entry e = hostAndPort(s);
        if (e == null) {
            throw new IllegalArgumentException("allowedOrigins entry '" + raw
                    + "' is not a host name, host:port, [IPv6 literal] or *");
        }
        return e;
    }

    /** @return whether the request's Host and Origin are allowed */
    boolean allows(HttpServletRequest req) {
        String host = req.getHeader("Host");
        if (host == null) {
            return false;
        }
        Entry h = hostAndPort(host.trim().toLowerCase(Locale.ROOT));
        if (h == null || !allowed(h)) {
            return false;
        }
        String origin = req.getHeader("Origin");
        if (origin == null) {
            return true;
        }
        String o = origin.trim().toLowerCase(Locale.ROOT);
        if (o.equals("null")) {
            return entries.stream().anyMatch(e -> e.host().equals("null") || e.host().equals("*"));
        }
        try {
            URI uri = new URI(o);
            if (uri.getHost() == null || uri.getScheme() == null) {
                return false;
            }
            String oh = uri.getHost();
            int port = uri.getPort();
            return allowed(new Entry(oh, port));
        } catch (java.net.URISyntaxException e) {
            return false;
        }
    }

    private boolean allowed(Entry actual) {
        for (Entry e : entries) {
            if (e.matches(actual.host(), actual.port())) {
                return true;
            }
        }
        return false;
    }

    /** Parses {@code host}, {@code host:port}, {@code [v6]} or {@code [v6]:port}; {@code null} if malformed. */
    static Entry hostAndPort(String s) {
        String host;
        String port = null;
        if (s.startsWith("[")) {
            int end = s.indexOf(']');
            if (end < 0) {
                return null;
            }
            host = s.substring(0, end + 1);
            String rest = s.substring(end + 1);
            if (!rest.isEmpty()) {
                if (!rest.startsWith(":")) {
                    return null;
                }
                port = rest.substring(1);
            }
            if (!host.matches("\\[[0-9a-f:.]+\\]")) {
                return null;
            }
        } else {
            int colon = s.indexOf(':');
            host = colon < 0 ? s : s.substring(0, colon);
            port = colon < 0 ? null : s.substring(colon + 1);
            if (!host.matches("[a-z0-9]([a-z0-9.-]*[a-z0-9])?")) {
                return null;
            }
        }
        if (port == null) {
            return new Entry(host, -1);
        }
        if (!port.matches("[0-9]{1,5}") || Integer.parseInt(port) > 65535) {
            return null;
        }
        return new Entry(host, Integer.parseInt(port));
    }
}
