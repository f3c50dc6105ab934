package io.toka.cluster.internal;

import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The cluster configuration, checked: every problem is named, and nothing here is logged with the secret.
 *
 * @param clusterName the cluster's name; members with another name never join
 * @param secret the shared secret (at least {@value #MIN_SECRET} characters)
 * @param members the members to contact, {@code host:port}, this one included or not
 * @param bindAddress the interface this member listens on (an IP address)
 * @param port the member port
 * @param memberName a name for people, e.g. {@code node-a}
 * @param httpUrl where this node's HTTP API answers, as the other members and clients should call it
 */
record ClusterSettings(String clusterName, String secret, List<String> members, String bindAddress, int port,
        String memberName, String httpUrl) {

    /** Shortest secret accepted. */
    static final int MIN_SECRET = 32;
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,62}");
    private static final Pattern MEMBER = Pattern.compile("[A-Za-z0-9.\\-]+:[0-9]{1,5}|\\[[0-9A-Fa-f:]+\\]:[0-9]{1,5}");

    /** @return a copy whose {@code toString} has no secret */
    @Override
    public String toString() {
        return "ClusterSettings[cluster=" + clusterName + ", member=" + memberName + ", bind=" + bindAddress + ":" + port
                + ", members=" + members + ", http=" + httpUrl + "]";
    }

    /**
     * Checks a configuration.
     *
     * @param httpHost the host the node's HTTP server binds (Felix HTTP), for the default {@code httpUrl}; a wildcard
     *     or {@code null} means the bind address
     * @param httpPort the node's HTTP port, for the default {@code httpUrl}
     * @throws IllegalArgumentException naming every problem found
     */
    static ClusterSettings from(ClusterNode.Config c, String httpHost, int httpPort) {
        List<String> problems = new ArrayList<>();
        String name = trim(c.clusterName());
        if (!NAME.matcher(name).matches()) {
            problems.add("clusterName must be 1-63 letters, digits, '.', '_' or '-', not '" + name + "'");
        }
        String secret = secret(trim(c.secret()), trim(c.secretFile()), problems);
        List<String> members = new ArrayList<>();
        for (String m : trim(c.members()).split("[,\\s]+")) {
            if (m.isEmpty()) {
                continue;
            }
            if (!MEMBER.matcher(m).matches() || Integer.parseInt(m.substring(m.lastIndexOf(':') + 1)) > 65535) {
                problems.add("member '" + m + "' is not host:port");
            } else {
                members.add(m);
            }
        }
        if (members.isEmpty()) {
            problems.add("members must list at least one member as host:port (TCP-IP join; multicast is never used)");
        }
        String bind = trim(c.bindAddress());
        try {
            if (bind.isEmpty() || !bind.matches("[0-9.]+|[0-9A-Fa-f:]+")) {
                throw new UnknownHostException(bind);
            }
            InetAddress.getByName(bind);
        } catch (UnknownHostException e) {
            problems.add("bindAddress must be an IP address of this host, not '" + bind + "'");
        }
        if (c.port() < 1 || c.port() > 65535) {
            problems.add("port must be 1-65535, not " + c.port());
        }
        String member = trim(c.memberName());
        if (member.isEmpty()) {
            member = bind + ":" + c.port();
        } else if (!NAME.matcher(member).matches()) {
            problems.add("memberName must be 1-63 letters, digits, '.', '_' or '-', not '" + member + "'");
        }
        String http = trim(c.httpUrl());
        if (http.isEmpty()) {
            String host = httpHost == null || httpHost.isBlank() || httpHost.equals("0.0.0.0") || httpHost.equals("::")
                    || httpHost.contains("[") || httpHost.contains("{") // a placeholder left unresolved
                    ? bind : httpHost.strip();
            http = "http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + httpPort;
        } else if (!http.matches("https?://[^\\s/]+(/[^\\s]*)?")) {
            problems.add("httpUrl must be an http:// or https:// URL, not '" + http + "'");
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("invalid cluster configuration (etc/io.toka.cluster.cfg): "
                    + String.join("; ", problems));
        }
        return new ClusterSettings(name, secret, List.copyOf(members), bind, c.port(), member,
                http.endsWith("/") ? http.substring(0, http.length() - 1) : http);
    }

    private static String secret(String inline, String file, List<String> problems) {
        if (!inline.isEmpty() && !file.isEmpty()) {
            problems.add("set secret or secretFile, not both");
            return "";
        }
        String secret = inline;
        if (!file.isEmpty()) {
            try {
                secret = Files.readString(Path.of(file), StandardCharsets.UTF_8).strip();
            } catch (IOException | RuntimeException e) {
                problems.add("secretFile " + file + " cannot be read (" + e.getClass().getSimpleName() + ")");
                return "";
            }
        }
        if (secret.isEmpty()) {
            problems.add("a shared secret is required: secret or secretFile (e.g. openssl rand -hex 32)");
        } else if (secret.length() < MIN_SECRET) {
            problems.add("the secret has " + secret.length() + " characters; at least " + MIN_SECRET
                    + " are required (e.g. openssl rand -hex 32)");
        }
        return secret;
    }

    private static String trim(String s) {
        return s == null ? "" : s.strip();
    }
}
