package io.toka.mcp.stdio;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;

/**
 * The command line of {@code toka-mcp}, parsed. The token is deliberately not one of the options: see
 * {@link #TOKEN_ON_COMMAND_LINE}.
 *
 * @param url the MCP endpoint
 * @param tokenFile the token file given with {@code --token-file}, or null
 * @param maxConcurrent how many requests are forwarded at the same time
 * @param connectTimeout how long to wait for a TCP connection to Toka
 * @param shutdownGrace how long requests still in flight may finish after standard input is closed
 * @param verbose log each forwarded message (method and id only) on standard error
 * @param help print the usage and exit
 * @param version print the version and exit
 */
record Options(URI url, Path tokenFile, int maxConcurrent, Duration connectTimeout, Duration shutdownGrace,
               boolean verbose, boolean help, boolean version) {

    static final String DEFAULT_URL = "http://127.0.0.1:8181/mcp";

    /** Options someone might try to pass a token with; all refused. */
    private static final Set<String> TOKEN_OPTIONS = Set.of("--token", "-t", "--bearer",
            "--api-key", "--auth");

    static final String TOKEN_ON_COMMAND_LINE = "refusing --token: a token on the command line can be read by every "
            + "user of this machine (ps, /proc/<pid>/cmdline) and is kept in shell history and in the MCP client's "
            + "configuration file. Put the token in a file readable only by you (chmod 600) and pass --token-file "
            + "PATH, or set TOKA_TOKEN_FILE=PATH or TOKA_TOKEN in the environment";

    static final String USAGE = """
            Usage: toka-mcp [options]

            A stdio MCP server that forwards every JSON-RPC message it reads on standard input to Toka's MCP
            endpoint (Streamable HTTP) and writes Toka's answers to standard output, one message per line.
            Diagnostics go to standard error. Start it from an MCP client that runs servers as subprocesses
            (Claude Desktop, IDE agents); it ends when standard input is closed.

            Options:
              --url URL              Toka's MCP endpoint (default: $TOKA_MCP_URL, else %s)
              --token-file PATH      file holding the capability token (default: $TOKA_TOKEN_FILE, else
                                     the token in $TOKA_TOKEN, else $TOKA_HOME/data/toka/admin.token)
              --max-concurrent N     requests forwarded at the same time, 1-256 (default 16)
              --connect-timeout S    seconds to wait for a connection to Toka (default 10)
              --shutdown-grace S     seconds requests in flight may take to finish once standard input
                                     is closed, 0-600 (default 5)
              -v, --verbose          log each message forwarded (method and id, never the token)
              -h, --help             print this help
              --version              print the version

            The token is never taken from the command line (it would be visible to every user in ps).

            Environment: TOKA_MCP_URL, TOKA_TOKEN_FILE, TOKA_TOKEN, TOKA_HOME (set by bin/toka-mcp to the
            distribution's directory), JAVA_HOME (used by bin/toka-mcp to find java).

            Exit status: 0 when standard input ends (or after --help, --version); 1 on an internal error;
            2 on a usage error or when no usable token is found.
            """.formatted(DEFAULT_URL);

    /** A bad command line; the message says what is wrong and how to fix it. */
    static final class UsageException extends Exception {
        private static final long serialVersionUID = 1L;

        UsageException(String message) {
            super(message);
        }
    }

    /**
     * Parses the command line.
     *
     * @param args the arguments
     * @param env the environment, for {@code TOKA_MCP_URL}
     * @return the options
     * @throws UsageException for an unknown option, a missing or bad value, or a token on the command line
     */
    static Options parse(String[] args, Map<String, String> env) throws UsageException {
        String url = env.getOrDefault("TOKA_MCP_URL", "").isBlank() ? DEFAULT_URL : env.get("TOKA_MCP_URL").trim();
        Path tokenFile = null;
        int maxConcurrent = 16;
        long connectTimeout = 10;
        long shutdownGrace = 5;
        boolean verbose = false;
        boolean help = false;
        boolean version = false;
        // checked before anything else, so that no other error message can come first and echo the token
        for (String arg : args) {
            if (TOKEN_OPTIONS.contains(optionName(arg))) {
                throw new UsageException(TOKEN_ON_COMMAND_LINE);
            }
        }
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            String name = optionName(arg);
            String inline = name.equals(arg) ? null : arg.substring(name.length() + 1);
            switch (name) {
                case "-h", "--help" -> help = true;
                case "--version" -> version = true;
                case "-v", "--verbose" -> verbose = true;
                case "--url" -> {
                    url = value(args, i, name, inline);
                    i += inline == null ? 1 : 0;
                }
                case "--token-file" -> {
                    String v = value(args, i, name, inline);
                    i += inline == null ? 1 : 0;
                    try {
                        tokenFile = Path.of(v);
                    } catch (InvalidPathException e) {
                        throw new UsageException("--token-file: not a valid path: " + v);
                    }
                }
                case "--max-concurrent" -> {
                    maxConcurrent = (int) number(value(args, i, name, inline), name, 1, 256);
                    i += inline == null ? 1 : 0;
                }
                case "--connect-timeout" -> {
                    connectTimeout = number(value(args, i, name, inline), name, 1, 300);
                    i += inline == null ? 1 : 0;
                }
                case "--shutdown-grace" -> {
                    shutdownGrace = number(value(args, i, name, inline), name, 0, 600);
                    i += inline == null ? 1 : 0;
                }
                default -> throw new UsageException((arg.startsWith("-") ? "unknown option " + name
                        : arg.length() <= 24 ? "unexpected argument '" + arg + "'"
                        : "unexpected argument number " + (i + 1) + " (not shown: it might be a secret)")
                        + " (see --help)");
            }
        }
        return new Options(endpoint(url), tokenFile, maxConcurrent, Duration.ofSeconds(connectTimeout),
                Duration.ofSeconds(shutdownGrace), verbose, help, version);
    }

    /** The option in {@code --name=value}, or the argument itself. */
    private static String optionName(String arg) {
        int eq = arg.indexOf('=');
        return arg.startsWith("--") && eq > 0 ? arg.substring(0, eq) : arg;
    }

    private static String value(String[] args, int i, String name, String inline) throws UsageException {
        if (inline != null) {
            return inline;
        }
        if (i + 1 >= args.length || args[i + 1].startsWith("--")) {
            throw new UsageException(name + " needs a value (see --help)");
        }
        return args[i + 1];
    }

    private static long number(String v, String name, long min, long max) throws UsageException {
        try {
            long n = Long.parseLong(v.trim());
            if (n >= min && n <= max) {
                return n;
            }
        } catch (NumberFormatException e) {
            // falls through to the message below
        }
        throw new UsageException(name + " must be a whole number from " + min + " to " + max + ", not '" + v + "'");
    }

    private static URI endpoint(String url) throws UsageException {
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            throw new UsageException("--url: not a URL: " + url);
        }
        if (uri.getScheme() == null || !(uri.getScheme().equalsIgnoreCase("http")
                || uri.getScheme().equalsIgnoreCase("https")) || uri.getHost() == null) {
            throw new UsageException("--url must be an http:// or https:// URL with a host, e.g. " + DEFAULT_URL
                    + ", not '" + url + "'");
        }
        if (uri.getUserInfo() != null) {
            throw new UsageException("--url must not carry a user name or password; the token comes from a file");
        }
        return uri;
    }

    /** @return whether the token would cross the network unencrypted (plain http to a host other than this one) */
    boolean isCleartextToRemoteHost() {
        String host = url.getHost();
        return url.getScheme().equalsIgnoreCase("http") && !(host.equals("localhost") || host.startsWith("127.")
                || host.equals("[::1]") || host.equals("::1"));
    }
}
