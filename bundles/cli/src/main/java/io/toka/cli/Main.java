package io.toka.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code toka}: a command-line client for Toka's REST API. Run it with {@code bin/toka} or
 * {@code java -jar toka-cli.jar}; {@code --help} lists the commands and exit codes.
 */
public final class Main {

    /** Done. */
    public static final int EXIT_OK = 0;
    /** Toka refused or could not do it, a tool failed, Toka is unreachable or not UP. */
    public static final int EXIT_FAILURE = 1;
    /** A bad command line, a token on the command line, or no usable token. */
    public static final int EXIT_USAGE = 2;
    /** The token was rejected (401) or lacks a permission (403), or a local directory is not writable. */
    public static final int EXIT_REFUSED = 3;

    static final String DEFAULT_URL = "http://127.0.0.1:8181";

    /** Options someone might try to pass a token with; all refused. */
    private static final Set<String> TOKEN_OPTIONS = Set.of("--token", "-t", "--bearer", "--api-key", "--auth");

    static final String TOKEN_ON_COMMAND_LINE = "refusing --token: a token on the command line can be read by every "
            + "user of this machine (ps, /proc/<pid>/cmdline) and is kept in shell history. Put it in a file only "
            + "you can read (chmod 600) and pass --token-file PATH, or set TOKA_TOKEN_FILE=PATH or TOKA_TOKEN";

    private static final Set<String> GLOBAL_VALUED = Set.of("--url", "--token-file");
    private static final Set<String> GLOBAL_FLAGS = Set.of("--help", "--version");

    /** A verb: its options and what it does. */
    private record Verb(Set<String> flags, Set<String> valued, boolean tokenOptional, Command command) {
    }

    @FunctionalInterface
    private interface Command {
        int run(Context c, Args a) throws CliException;
    }

    private static final Map<String, Map<String, Verb>> VERBS = Map.of(
            "tools", Map.of(
                    "list", verb(Set.of("--json"), Set.of(), ToolsCommands::list),
                    "describe", verb(Set.of("--json"), Set.of(), ToolsCommands::describe),
                    "execute", verb(Set.of("--raw"), Set.of("--param", "--json"), ToolsCommands::execute),
                    "errors", verb(Set.of("--json"), Set.of(), ToolsCommands::errors),
                    "register", verb(Set.of(), Set.of("--manifest-dir", "--wait"), RegisterCommand::run)),
            "orchestration", Map.of(
                    "health", new Verb(Set.of("--json"), Set.of(), true, HealthCommand::run)),
            "agents", Map.of(
                    "list", verb(Set.of("--json"), Set.of(), AgentsCommands::list),
                    "run", verb(Set.of("--follow", "--json"), Set.of(), AgentsCommands::run)),
            "events", Map.of(
                    "tail", verb(Set.of("--json"), Set.of("--kind", "--count", "--after"), EventsCommands::tail)),
            "tokens", Map.of(
                    "issue", verb(Set.of("--json"), Set.of("--ttl"), TokensCommands::issue)));

    private static Verb verb(Set<String> flags, Set<String> valued, Command command) {
        return new Verb(flags, valued, false, command);
    }

    private Main() {
    }

    /**
     * The command-line entry point; exits the JVM with the status of {@link #run}.
     *
     * @param args the arguments, see {@code --help}
     */
    public static void main(String[] args) {
        PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true,
                StandardCharsets.UTF_8);
        PrintStream err = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.err), true,
                StandardCharsets.UTF_8);
        System.exit(run(args, System.getenv(), out, err));
    }

    /**
     * Runs one command in this JVM; for tests and embedding.
     *
     * @param args the arguments, see {@code --help}
     * @param env the environment (TOKA_URL, TOKA_TOKEN_FILE, TOKA_TOKEN, TOKA_HOME)
     * @param out where results go
     * @param err where errors go
     * @return the exit status
     */
    public static int run(String[] args, Map<String, String> env, PrintStream out, PrintStream err) {
        try {
            return dispatch(Arrays.asList(args), env, out, err);
        } catch (CliException e) {
            err.println("toka: " + e.getMessage());
            return e.exitStatus();
        } catch (RuntimeException e) {
            // a bug: one line, not a stack trace, with enough to report it
            err.println("toka: internal error: " + e);
            return EXIT_FAILURE;
        } finally {
            out.flush();
            err.flush();
        }
    }

    private static int dispatch(List<String> args, Map<String, String> env, PrintStream out, PrintStream err)
            throws CliException {
        // checked before anything else, so that no other message can come first and echo the token
        for (String arg : args) {
            int eq = arg.indexOf('=');
            String name = arg.startsWith("--") && eq > 0 ? arg.substring(0, eq) : arg;
            if (TOKEN_OPTIONS.contains(name)) {
                throw CliException.usage(TOKEN_ON_COMMAND_LINE);
            }
        }
        // the options before the group
        int i = 0;
        while (i < args.size() && args.get(i).startsWith("-")) {
            String arg = args.get(i);
            String name = arg.startsWith("--") && arg.indexOf('=') > 0 ? arg.substring(0, arg.indexOf('=')) : arg;
            name = name.equals("-h") ? "--help" : name;
            if (GLOBAL_VALUED.contains(name)) {
                i += arg.equals(name) ? 2 : 1;
            } else if (GLOBAL_FLAGS.contains(name)) {
                i++;
            } else {
                throw CliException.usage("unknown option " + name + " (see toka --help)");
            }
        }
        List<String> lead = args.subList(0, Math.min(i, args.size()));
        Args leading = Args.parse(lead, GLOBAL_FLAGS, GLOBAL_VALUED);
        if (leading.has("--version")) {
            out.println("toka " + version());
            return EXIT_OK;
        }
        if (i >= args.size()) {
            out.print(Help.MAIN);
            return leading.has("--help") ? EXIT_OK : EXIT_USAGE;
        }
        String group = args.get(i);
        Map<String, Verb> verbs = VERBS.get(group);
        if (verbs == null) {
            throw CliException.usage("unknown command '" + Args.shorten(group) + "'; the groups are tools, "
                    + "orchestration, agents, events and tokens (see toka --help)");
        }
        if (leading.has("--help") || i + 1 >= args.size() || args.get(i + 1).startsWith("-")) {
            boolean asked = leading.has("--help") || args.subList(i + 1, args.size()).stream()
                    .anyMatch(a -> a.equals("--help") || a.equals("-h"));
            out.print(Help.group(group));
            return asked ? EXIT_OK : EXIT_USAGE;
        }
        String verbName = args.get(i + 1);
        Verb verb = verbs.get(verbName);
        if (verb == null) {
            throw CliException.usage("unknown command '" + group + " " + Args.shorten(verbName) + "'; " + group
                    + " has " + String.join(", ", new java.util.TreeSet<>(verbs.keySet())) + " (see toka " + group
                    + " --help)");
        }
        Set<String> flags = new HashSet<>(verb.flags());
        flags.addAll(GLOBAL_FLAGS);
        Set<String> valued = new HashSet<>(verb.valued());
        valued.addAll(GLOBAL_VALUED);
        Args rest = Args.parse(args.subList(i + 2, args.size()), flags, valued);
        if (rest.has("--help")) {
            out.print(Help.group(group));
            return EXIT_OK;
        }
        if (rest.has("--version")) {
            out.println("toka " + version());
            return EXIT_OK;
        }
        String urlText = first(rest.value("--url"), leading.value("--url"), env.get("TOKA_URL"));
        URI url = url(urlText == null || urlText.isBlank() ? DEFAULT_URL : urlText.trim());
        String tokenFile = first(rest.value("--token-file"), leading.value("--token-file"), null);
        TokenSource token;
        try {
            token = TokenSource.resolve(tokenFile, env, err);
        } catch (CliException e) {
            if (!verb.tokenOptional()) {
                throw e;
            }
            token = null;
        }
        if (token != null && isCleartextToRemoteHost(url)) {
            err.println("toka: warning: " + url + " is plain http to another host, so the token crosses the network "
                    + "unencrypted; use https");
        }
        ObjectMapper mapper = new ObjectMapper();
        Context c = new Context(new TokaApi(url, token, version(), mapper, err), mapper, out, err, env, url);
        return verb.command().run(c, rest);
    }

    private static String first(String a, String b, String c) {
        return a != null ? a : b != null ? b : c;
    }

    /** Toka's base address; a trailing / or /api/v1 is dropped, so both forms people paste work. */
    static URI url(String text) throws CliException {
        URI uri;
        try {
            uri = new URI(text);
        } catch (URISyntaxException e) {
            throw CliException.usage("--url: not a URL: " + Args.shorten(text));
        }
        if (uri.getScheme() == null || !(uri.getScheme().equalsIgnoreCase("http")
                || uri.getScheme().equalsIgnoreCase("https")) || uri.getHost() == null) {
            throw CliException.usage("--url must be an http:// or https:// URL with a host, e.g. " + DEFAULT_URL
                    + ", not '" + Args.shorten(text) + "'");
        }
        if (uri.getUserInfo() != null) {
            throw CliException.usage("--url must not carry a user name or password; the token comes from a file or "
                    + "TOKA_TOKEN");
        }
        if (uri.getQuery() != null || uri.getFragment() != null) {
            throw CliException.usage("--url must be Toka's address without a query, e.g. " + DEFAULT_URL);
        }
        String path = uri.getPath() == null ? "" : uri.getPath();
        path = path.replaceAll("/+$", "");
        if (path.endsWith("/api/v1")) {
            path = path.substring(0, path.length() - "/api/v1".length());
        }
        if (!path.isEmpty()) {
            throw CliException.usage("--url must be Toka's address (scheme, host and port, e.g. " + DEFAULT_URL
                    + "), not a path such as '" + uri.getPath() + "'");
        }
        return URI.create(uri.getScheme() + "://" + uri.getRawAuthority());
    }

    private static boolean isCleartextToRemoteHost(URI url) {
        String host = url.getHost();
        return url.getScheme().equalsIgnoreCase("http") && !(host.equals("localhost") || host.startsWith("127.")
                || host.equals("[::1]") || host.equals("::1"));
    }

    /** @return the version from the jar's manifest, or "dev" when run from classes */
    static String version() {
        String v = Main.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }
}
