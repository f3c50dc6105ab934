package io.toka.tools.nativ.internal;

import io.toka.tool.ToolException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Decides which hosts the http-request tool may reach: public addresses only, unless an operator allowed a
 * host name, an address or a range. This keeps a tool caller from reaching services that trust the machine's
 * network position (server-side request forgery): loopback services, the private network, cloud metadata.
 */
final class AddressPolicy {

    /** Resolves a host name to all its addresses, like {@link InetAddress#getAllByName}. */
    @FunctionalInterface
    interface Resolver {
        InetAddress[] resolve(String host) throws UnknownHostException;
    }

    /** Names of cloud metadata services, refused whatever they resolve to (unless explicitly allowed). */
    static final Set<String> METADATA_NAMES = Set.of(
            "metadata.google.internal", "metadata.goog", "metadata", "instance-data", "instance-data.ec2.internal");

    private static final Pattern IPV4_LITERAL = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
    private static final Pattern HOST_NAME = Pattern.compile("[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9_]([a-z0-9_-]*[a-z0-9])?)*");

    /** An address range: the network's bytes and the prefix length. */
    private record Range(byte[] network, int prefix) {
        boolean contains(InetAddress a) {
            byte[] b = a.getAddress();
            if (b.length != network.length) {
                return false;
            }
            return matches(b, network, prefix);
        }
    }

    private final Set<String> allowedNames;
    private final List<Range> allowedRanges;
    private final Resolver resolver;

    /**
     * @param allowHosts operator allow-list entries: host names, IP literals or CIDR ranges; blanks are ignored
     * @param resolver how host names are resolved
     * @throws IllegalArgumentException naming an entry that is none of these
     */
    AddressPolicy(String[] allowHosts, Resolver resolver) {
        this.resolver = resolver;
        Set<String> names = new HashSet<>();
        List<Range> ranges = new ArrayList<>();
        // a .cfg file gives one comma-separated string; ConfigAdmin's typed formats give an array
        List<String> entries = new ArrayList<>();
        for (String value : allowHosts == null ? new String[0] : allowHosts) {
            if (value != null) {
                entries.addAll(List.of(value.split(",")));
            }
        }
        for (String raw : entries) {
            if (raw == null || raw.isBlank()) {
                continue;
            }
            String entry = raw.strip().toLowerCase(Locale.ROOT);
            int slash = entry.indexOf('/');
            if (slash >= 0) {
                InetAddress network = literal(entry.substring(0, slash), raw);
                int bits = network.getAddress().length * 8;
                int prefix;
                try {
                    prefix = Integer.parseInt(entry.substring(slash + 1));
                } catch (NumberFormatException e) {
                    prefix = -1;
                }
                if (prefix < 0 || prefix > bits) {
                    throw new IllegalArgumentException("allowHosts entry '" + raw + "' has an invalid prefix length; use 0 to " + bits);
                }
                ranges.add(new Range(network.getAddress(), prefix));
            } else if (isLiteral(entry)) {
                InetAddress a = literal(entry, raw);
                ranges.add(new Range(a.getAddress(), a.getAddress().length * 8));
            } else {
                String name = stripDot(entry);
                if (!HOST_NAME.matcher(name).matches()) {
                    throw new IllegalArgumentException("allowHosts entry '" + raw
                            + "' is not a host name, an IP address or a CIDR range such as 10.0.0.0/8");
                }
                names.add(name);
            }
        }
        this.allowedNames = Set.copyOf(names);
        this.allowedRanges = List.copyOf(ranges);
    }

    /**
     * Resolves the host and checks every address it has.
     *
     * <p>Why checking before the request is enough: {@link InetAddress} caches a successful lookup for
     * {@code networkaddress.cache.ttl} seconds (30 by default), and {@link java.net.http.HttpClient} resolves
     * the host through that same cache when it connects a moment later, so it connects to an address checked
     * here and a DNS answer that changes in between (DNS rebinding) is not seen. All addresses are checked, not
     * only the first, because the client may pick any of them. An operator who sets the TTL to 0 gives this up.
     *
     * @param host the URL's host: a name, an IPv4 literal or an IPv6 literal with or without brackets
     * @throws ToolException naming the host and the kind of address if any address is internal and not allowed,
     *     or if the host cannot be resolved
     */
    void check(String host) throws ToolException {
        String h = stripDot(host.toLowerCase(Locale.ROOT));
        if (h.startsWith("[") && h.endsWith("]")) {
            h = h.substring(1, h.length() - 1);
        }
        if (allowedNames.contains(h)) {
            return;
        }
        if (METADATA_NAMES.contains(h)) {
            throw new ToolException("host '" + host + "' is a cloud metadata service; requests to it are refused");
        }
        boolean literal = isLiteral(h);
        InetAddress[] addresses;
        try {
            addresses = resolver.resolve(h);
        } catch (UnknownHostException e) {
            throw new ToolException("host '" + host + "' cannot be resolved");
        }
        if (addresses == null || addresses.length == 0) {
            throw new ToolException("host '" + host + "' cannot be resolved");
        }
        for (InetAddress a : addresses) {
            if (allowed(a)) {
                continue;
            }
            String kind = blockedKind(a);
            if (kind != null) {
                String what = literal
                        ? "address " + a.getHostAddress() + " is "
                        : "host '" + host + "' resolves to " + a.getHostAddress() + ", ";
                throw new ToolException(what + kind
                        + "; requests to internal addresses are refused unless allowed in the " + HttpConfig.PID + " configuration");
            }
        }
    }

    private boolean allowed(InetAddress a) {
        for (Range r : allowedRanges) {
            if (r.contains(a)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Classifies an address.
     *
     * @return why the address is internal, e.g. "a loopback address", or {@code null} if it is public
     */
    static String blockedKind(InetAddress address) {
        byte[] b = address.getAddress();
        return b.length == 4 ? blockedKind4(b) : blockedKind6(b);
    }

    private static String blockedKind4(byte[] b) {
        int first = b[0] & 0xff;
        int second = b[1] & 0xff;
        if (first == 0) {
            return "an unspecified (this-network) address";
        }
        if (first == 127) {
            return "a loopback address";
        }
        if (first == 10 || (first == 172 && (second & 0xf0) == 16) || (first == 192 && second == 168)) {
            return "a private address";
        }
        if (first == 100 && (second & 0xc0) == 64) {
            return "a shared (carrier-grade NAT) address";
        }
        if (first == 169 && second == 254) {
            return "a link-local address (where cloud metadata services live)";
        }
        if (first == 192 && second == 0 && (b[2] & 0xff) == 0) {
            return "a reserved (IETF protocol) address";
        }
        if (first == 198 && (second & 0xfe) == 18) {
            return "a reserved (benchmarking) address";
        }
        if (first >= 224 && first <= 239) {
            return "a multicast address";
        }
        if (first >= 240) {
            return "a reserved or broadcast address";
        }
        return null;
    }

    private static String blockedKind6(byte[] b) {
        int first = b[0] & 0xff;
        int second = b[1] & 0xff;
        if (allZero(b, 0, 15)) {
            int last = b[15] & 0xff;
            if (last == 0) {
                return "an unspecified address";
            }
            if (last == 1) {
                return "a loopback address";
            }
        }
        // forms that carry an IPv4 address are judged by that address
        if (allZero(b, 0, 10) && (b[10] & 0xff) == 0xff && (b[11] & 0xff) == 0xff) {
            return blockedKind4(Arrays.copyOfRange(b, 12, 16)); // IPv4-mapped ::ffff:a.b.c.d
        }
        if (allZero(b, 0, 12)) {
            return blockedKind4(Arrays.copyOfRange(b, 12, 16)); // IPv4-compatible ::a.b.c.d (deprecated)
        }
        if (matches(b, NAT64, 96)) {
            return blockedKind4(Arrays.copyOfRange(b, 12, 16)); // NAT64 64:ff9b::a.b.c.d
        }
        if (first == 0x20 && second == 0x02) {
            return blockedKind4(Arrays.copyOfRange(b, 2, 6)); // 6to4 2002:aabb:ccdd::
        }
        if (first == 0x20 && second == 0x01 && b[2] == 0 && b[3] == 0) {
            return "a Teredo tunnel address";
        }
        if (matches(b, NAT64_LOCAL, 48)) {
            return "a local-use NAT64 address";
        }
        if ((first & 0xfe) == 0xfc) {
            return "a private (unique local) address";
        }
        if (first == 0xfe && (second & 0xc0) == 0x80) {
            return "a link-local address";
        }
        if (first == 0xfe && (second & 0xc0) == 0xc0) {
            return "a site-local address";
        }
        if (first == 0xff) {
            return "a multicast address";
        }
        if (first == 0x01 && second == 0 && allZero(b, 2, 8)) {
            return "a discard-only address";
        }
        return null;
    }

    private static final byte[] NAT64 = {0, 0x64, (byte) 0xff, (byte) 0x9b, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    private static final byte[] NAT64_LOCAL = {0, 0x64, (byte) 0xff, (byte) 0x9b, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};

    private static boolean allZero(byte[] b, int from, int to) {
        for (int i = from; i < to; i++) {
            if (b[i] != 0) {
                return false;
            }
        }
        return true;
    }

    private static boolean matches(byte[] address, byte[] network, int prefix) {
        int full = prefix / 8;
        for (int i = 0; i < full; i++) {
            if (address[i] != network[i]) {
                return false;
            }
        }
        int rest = prefix % 8;
        if (rest == 0) {
            return true;
        }
        int mask = (0xff << (8 - rest)) & 0xff;
        return (address[full] & mask) == (network[full] & mask);
    }

    private static boolean isLiteral(String s) {
        return IPV4_LITERAL.matcher(s).matches() || s.contains(":");
    }

    /** Parses an IP literal without any DNS lookup. */
    private static InetAddress literal(String s, String raw) {
        String v = s.startsWith("[") && s.endsWith("]") ? s.substring(1, s.length() - 1) : s;
        if (!isLiteral(v)) {
            throw new IllegalArgumentException("allowHosts entry '" + raw + "' must be an IP address before the '/'");
        }
        try {
            return InetAddress.getByName(v); // a literal: parsed, never looked up
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("allowHosts entry '" + raw
                    + "' is not a host name, an IP address or a CIDR range such as 10.0.0.0/8");
        }
    }

    private static String stripDot(String host) {
        return host.endsWith(".") ? host.substring(0, host.length() - 1) : host;
    }
}
