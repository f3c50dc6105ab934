package io.toka.cli;

import java.util.Map;

/** The texts of {@code toka --help} and {@code toka GROUP --help}. */
final class Help {

    private Help() {
    }

    static final String EXIT = """
            Exit status:
              0  done (health: Toka is UP; agents run --follow: the run completed)
              1  failed: Toka refused or could not do it (the reason, Toka's problem detail, is on standard
                 error), a tool answered success:false, Toka is unreachable or not UP, a run failed
              2  usage error: a bad command line, --token given, or no usable token
              3  refused: the token was rejected (HTTP 401) or lacks a permission (HTTP 403), or the tools
                 directory is not writable by you
            """;

    static final String COMMON = """
            Options for every command:
              --url URL          Toka's address (default: $TOKA_URL, else %s)
              --token-file PATH  file holding the capability token (default: $TOKA_TOKEN_FILE, else the token
                                 in $TOKA_TOKEN, else Toka's admin token $TOKA_HOME/data/toka/admin.token)
              -h, --help         help; 'toka GROUP --help' for a group's commands
              --version          this client's version

            The token is never taken from the command line (every user could read it with ps): --token is
            refused.
            """.formatted(Main.DEFAULT_URL);

    static final String MAIN = """
            Usage: toka [options] GROUP COMMAND [arguments]

            A command-line client for Toka's REST API (/api/v1), for operators and scripts. Results go to
            standard output, errors (one line, never a stack trace) to standard error.

            Commands:
              tools list                        the tools: name, version, title or description
              tools describe NAME               one tool's descriptor and parameters
              tools execute NAME [--param K=V]... [--json '{...}']
                                                call a tool and print its output
              tools errors                      manifests that failed to load
              tools register --manifest-dir DIR copy script tools into Toka's tools/ (on Toka's machine)
              orchestration health              Toka's health and the orchestration's status
              agents list                       the agents and their latest run
              agents run NAME [--follow]        start a run; --follow prints its events until it ends
              events tail [--kind K] [--count N]
                                                live events until Ctrl-C
              tokens issue SUBJECT PERMISSION... [--ttl 1h]
                                                issue a token (printed alone on standard output)

            Most commands take --json to print Toka's answer as JSON.

            """ + COMMON + "\n" + """
            Environment: TOKA_URL, TOKA_TOKEN_FILE, TOKA_TOKEN, TOKA_HOME (set by bin/toka to its distribution),
            JAVA_HOME (used by bin/toka to find java).

            """ + EXIT;

    static final Map<String, String> GROUPS = Map.of(
            "tools", """
                    Usage: toka tools COMMAND [arguments]

                      list [--json]                  the tools this token may see, sorted by name
                      describe NAME [--json]         a tool's descriptor: version, permissions, hints, timeout,
                                                     parameters (name, type, required, description)
                      execute NAME [-p|--param KEY=VALUE]... [--json '{"key": ...}'] [--raw]
                                                     calls the tool. Each --param value is converted to the type
                                                     the tool's input schema gives KEY (integer, number, boolean,
                                                     JSON for array and object), as toka:tool-invoke does; --json
                                                     gives the arguments as one JSON object (both may be used,
                                                     each key once). Prints the output; --raw prints Toka's whole
                                                     answer. A tool that fails (success:false) exits 1 with its
                                                     message on standard error.
                      errors [--json]                manifests (*.tool.yaml) that failed to load: file, field,
                                                     problem
                      register -d|--manifest-dir DIR [--wait 30s]
                                                     works on the machine Toka runs on: checks the *.tool.yaml
                                                     manifests in DIR, copies them and the scripts they name
                                                     (relative to the manifest, inside DIR; symbolic links
                                                     leading out of DIR and ../ paths are refused) into Toka's
                                                     tools directory ($TOKA_HOME/tools, or toolsDir in
                                                     etc/io.toka.tools.external.cfg) as your user, with each
                                                     file's own permissions, each written whole (temporary file,
                                                     then renamed); then waits until each tool is live or its
                                                     manifest is refused, and says which. Toka itself reads no
                                                     path you give. Exit 1 unless every tool is live.

                    """,
            "orchestration", """
                    Usage: toka orchestration health [--json]

                      health [--json]   GET /api/v1/health (status; with system:read also version, uptime,
                                        tools, sandbox) and /api/v1/status (agents, runs, sessions, LLM; needs
                                        agent:read). Exit 0 when Toka is UP, 1 when it is not or cannot be
                                        reached: usable as a probe.

                    """,
            "agents", """
                    Usage: toka agents COMMAND [arguments]

                      list [--json]                   the agents: version, latest run's state and progress,
                                                      tasks, where they are defined
                      run NAME [-f|--follow] [--json] starts a run (needs agent:run). --follow prints the
                                                      run's events (needs agent:read and event:read) until it
                                                      ends, then its outcome; exit 0 when it completed, 1 when
                                                      it failed or was terminated. --json: the run's status, or
                                                      with --follow one JSON event per line.

                    """,
            "events", """
                    Usage: toka events tail [-k|--kind KIND] [-n|--count N] [--after SEQ] [--json]

                      tail   prints events as they happen (needs event:read), until Ctrl-C or N events:
                             #seq time kind agent subject payload, or with --json one JSON event per line.
                             --kind keeps one kind (e.g. tool.invoked); --after SEQ first replays the stored
                             events after that sequence number (default: only new events).

                    """,
            "tokens", """
                    Usage: toka tokens issue SUBJECT PERMISSION... [--ttl DURATION] [--json]

                      issue  issues a token for SUBJECT with the permissions (needs token:issue and every
                             permission granted). --ttl: 30s, 10m, 2h, 7d (default: Toka's). Prints only the
                             token on standard output (so '> file' keeps it; then chmod 600 file), its id and
                             expiry on standard error; --json prints Toka's whole answer.

                    """);

    /** @return the help of a group, with the common options and exit codes */
    static String group(String name) {
        return GROUPS.get(name) + COMMON + "\n" + EXIT;
    }
}
