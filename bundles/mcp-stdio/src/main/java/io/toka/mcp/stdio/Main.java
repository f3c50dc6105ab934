package io.toka.mcp.stdio;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * {@code toka-mcp}: a stdio MCP server that forwards to Toka's Streamable HTTP endpoint. Run it with
 * {@code bin/toka-mcp} or {@code java -jar toka-mcp-stdio.jar}; {@code --help} lists the options.
 *
 * <p>Exit status: {@value #EXIT_OK} when standard input ends (and after {@code --help} or {@code --version}),
 * {@value #EXIT_INTERNAL} on an internal error, {@value #EXIT_USAGE} on a usage error or when no usable token is
 * found (the reason is on standard error).
 */
public final class Main {

    /** Standard input ended, or --help / --version. */
    public static final int EXIT_OK = 0;
    /** An internal error (a bug): the message is on standard error. */
    public static final int EXIT_INTERNAL = 1;
    /** A bad command line, a token on the command line, or no usable token. */
    public static final int EXIT_USAGE = 2;

    private Main() {
    }

    /**
     * The command-line entry point; exits the JVM with the status of {@link #run}.
     *
     * @param args the arguments, see {@code --help}
     */
    public static void main(String[] args) {
        // stdout carries protocol messages only, written as UTF-8 whatever the platform's default charset is
        OutputStream stdout = new FileOutputStream(FileDescriptor.out);
        System.setOut(new PrintStream(System.err, true, StandardCharsets.UTF_8));
        System.exit(run(args, System.getenv(), System.in, stdout, System.err, true));
    }

    /**
     * Runs the bridge in this JVM until {@code stdin} ends; for tests and embedding.
     *
     * @param args the arguments, see {@code --help}
     * @param env the environment ({@code TOKA_MCP_URL}, {@code TOKA_TOKEN_FILE}, {@code TOKA_TOKEN},
     *         {@code TOKA_HOME})
     * @param stdin the client's messages, one per line
     * @param stdout where the messages to the client go, one per line
     * @param stderr where diagnostics go
     * @return the exit status
     */
    public static int run(String[] args, Map<String, String> env, InputStream stdin, OutputStream stdout,
                          OutputStream stderr) {
        return run(args, env, stdin, stdout, stderr, false);
    }

    private static int run(String[] args, Map<String, String> env, InputStream stdin, OutputStream stdout,
                           OutputStream stderr, boolean shutdownHook) {
        Log early = new Log(stderr, false);
        Options options;
        try {
            options = Options.parse(args, env);
        } catch (Options.UsageException e) {
            early.info(e.getMessage());
            return EXIT_USAGE;
        }
        if (options.help() || options.version()) {
            PrintStream p = new PrintStream(stdout, true, StandardCharsets.UTF_8);
            p.print(options.help() ? Options.USAGE : "toka-mcp " + version() + "\n");
            p.flush();
            return EXIT_OK;
        }
        Log log = new Log(stderr, options.verbose());
        TokenSource tokens;
        try {
            tokens = TokenSource.resolve(options.tokenFile(), env, log);
        } catch (TokenSource.TokenException e) {
            log.info(e.getMessage());
            return EXIT_USAGE;
        }
        if (options.isCleartextToRemoteHost()) {
            log.info("warning: " + options.url() + " is plain http to another host, so the token crosses the "
                    + "network unencrypted; use https");
        }
        log.info("toka-mcp " + version() + ": forwarding to " + options.url() + " with the token from "
                + tokens.origin());
        Bridge bridge;
        try {
            bridge = new Bridge(options, tokens, stdout, log);
        } catch (RuntimeException e) {
            log.info("internal error: " + e);
            return EXIT_INTERNAL;
        }
        Thread hook = shutdownHook ? new Thread(bridge::terminate, "toka-mcp-shutdown") : null;
        if (hook != null) {
            Runtime.getRuntime().addShutdownHook(hook);
        }
        try {
            return bridge.run(stdin);
        } catch (RuntimeException e) {
            log.info("internal error: " + e);
            return EXIT_INTERNAL;
        } finally {
            if (hook != null) {
                try {
                    Runtime.getRuntime().removeShutdownHook(hook);
                } catch (IllegalStateException e) {
                    // the JVM is already shutting down, and the hook is running
                }
            }
        }
    }

    /** @return the version from the jar's manifest, or "dev" when run from classes */
    static String version() {
        String v = Main.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }
}
