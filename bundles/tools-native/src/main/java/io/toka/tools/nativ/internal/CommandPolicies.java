package io.toka.tools.nativ.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * The argument policies run-command knows, by program file name, and the programs it refuses outright because
 * they exist to run other programs. A program with neither is refused too: without a policy nothing says which
 * of its arguments are harmless.
 *
 * <p>The option tables follow GNU coreutils 9.x, grep 3.x and findutils 4.9 (the long_options arrays and
 * getopt strings in their sources). An option missing from a table is refused, so a newer program version can
 * only lose options here, never gain a dangerous one.
 */
final class CommandPolicies {

    private static final String TEMP_FILES = "it writes temporary files into the directory it names";
    private static final String SETS_CLOCK = "it sets the system clock";

    private static final Map<String, CommandPolicy> POLICIES = policies();

    /**
     * File names of programs whose purpose is to run other programs, with the reason, checked in order. A
     * policy could not make them safe, so they are refused even when an operator allows them.
     */
    private static final Map<Pattern, String> LAUNCHERS = launchers();

    private CommandPolicies() {
    }

    /**
     * The policy for an allowed program.
     *
     * @param program the absolute path from the allowedCommands configuration
     * @return its policy; never {@code null}
     * @throws IllegalArgumentException naming the entry if the program runs other programs (by its name or the
     *     name of the file it links to) or has no policy
     */
    static CommandPolicy of(String program) {
        String name = Path.of(program).getFileName().toString();
        String launcher = launcher(name);
        if (launcher != null) {
            throw new IllegalArgumentException("allowedCommands entry '" + program + "' is refused: " + name + " "
                    + launcher + "; run-command never runs such programs");
        }
        String real = realName(program);
        String realLauncher = real == null ? null : launcher(real);
        if (realLauncher != null) {
            throw new IllegalArgumentException("allowedCommands entry '" + program + "' is refused: it is a link to "
                    + real + ", which " + realLauncher + "; run-command never runs such programs");
        }
        CommandPolicy policy = POLICIES.get(name);
        if (policy == null) {
            throw new IllegalArgumentException("allowedCommands entry '" + program + "' is refused: run-command has no"
                    + " argument policy for '" + name + "', so it cannot tell which of its arguments are safe;"
                    + " programs with a policy: " + String.join(", ", known()));
        }
        return policy;
    }

    /** @return the file names of the programs that have a policy, sorted */
    static Set<String> known() {
        return new TreeSet<>(POLICIES.keySet());
    }

    private static String launcher(String name) {
        for (Map.Entry<Pattern, String> e : LAUNCHERS.entrySet()) {
            if (e.getKey().matcher(name).matches()) {
                return e.getValue();
            }
        }
        return null;
    }

    /** The file name the program's path leads to through links, or {@code null} if it cannot be resolved. */
    private static String realName(String program) {
        try {
            Path real = Path.of(program).toRealPath();
            return real.getFileName() == null ? null : real.getFileName().toString();
        } catch (IOException | InvalidPathException e) {
            return null; // not installed: the call reports that
        }
    }

    private static Map<Pattern, String> launchers() {
        Map<Pattern, String> m = new LinkedHashMap<>();
        m.put(Pattern.compile("(ba|rba|da|z|k|mk|pdk|ok|c|tc|ya|r)?sh|ash|ksh93|fish|nu|xonsh|elvish"),
                "is a shell: it runs any command line it is given");
        m.put(Pattern.compile("busybox|toybox"), "bundles a shell and many other programs in one binary");
        m.put(Pattern.compile("env|xargs|nice|nohup|timeout|stdbuf|setsid|chroot|flock|ionice|taskset|chrt|unshare"
                + "|nsenter|setarch|linux32|linux64|numactl|prlimit|setpriv|capsh|runuser|su|sudo|doas|pkexec|sg"
                + "|newgrp|time|watch|script|parallel|run-parts|strace|ltrace|gdb|valgrind|firejail|bwrap"
                + "|systemd-run|start-stop-daemon|unbuffer|expect|catchsegv"),
                "runs the program named in its arguments");
        m.put(Pattern.compile("awk|gawk|mawk|nawk|original-awk|busybox-awk"),
                "runs commands from its program text (system() and pipes)");
        m.put(Pattern.compile("sed|gsed"), "runs commands from its script (the e command) and writes files (w)");
        m.put(Pattern.compile("(perl|python|pypy|ruby|php|lua|luajit|tclsh|wish|node|nodejs|deno|bun|java|jshell"
                + "|groovy|scala|Rscript|R|julia|guile|racket|sbcl|ocaml|erl|escript|elixir|pwsh|osascript)[0-9.]*"),
                "is a language interpreter: its programs can run any other program");
        m.put(Pattern.compile("vi|vim|nvim|view|ex|ed|emacs|less|more|most|man|git|tar|make|ssh|scp|rsync"),
                "starts other programs through escapes, hooks or helper commands");
        return m;
    }

    private static Map<String, CommandPolicy> policies() {
        Map<String, CommandPolicy> m = new LinkedHashMap<>();
        m.put("cat", GnuOptionPolicy.program("cat")
                .options("-A", "-b", "-e", "-E", "-n", "-s", "-t", "-T", "-u", "-v")
                .options("--show-all", "--number-nonblank", "--show-ends", "--number", "--squeeze-blank",
                        "--show-tabs", "--show-nonprinting", "--help", "--version")
                .build());
        m.put("head", GnuOptionPolicy.program("head")
                .options("-c:", "-n:", "-q", "-v", "-z").digitOptions()
                .options("--bytes=", "--lines=", "--quiet", "--silent", "--verbose", "--zero-terminated", "--help",
                        "--version")
                .build());
        m.put("tail", GnuOptionPolicy.program("tail")
                .options("-c:", "-f", "-F", "-n:", "-q", "-s:", "-v", "-z").digitOptions()
                .options("--bytes=", "--debug", "--follow[=]", "--lines=", "--max-unchanged-stats=", "--pid=",
                        "--quiet", "--retry", "--silent", "--sleep-interval=", "--verbose", "--zero-terminated",
                        "--help", "--version")
                .build());
        m.put("wc", GnuOptionPolicy.program("wc")
                .options("-c", "-m", "-l", "-L", "-w")
                .options("--bytes", "--chars", "--lines", "--words", "--debug", "--files0-from=",
                        "--max-line-length", "--total=", "--help", "--version")
                .build());
        m.put("grep", GnuOptionPolicy.program("grep")
                .digitOptions()
                .options("-A:", "-B:", "-C:", "-D:", "-E", "-F", "-G", "-H", "-I", "-L", "-P", "-R", "-T", "-U", "-V",
                        "-Z", "-a", "-b", "-c", "-d:", "-e:", "-f:", "-h", "-i", "-l", "-m:", "-n", "-o", "-q", "-r",
                        "-s", "-u", "-v", "-w", "-x", "-y", "-z")
                .options("--basic-regexp", "--extended-regexp", "--fixed-regexp", "--fixed-strings",
                        "--perl-regexp", "--after-context=", "--before-context=", "--binary-files=", "--byte-offset",
                        "--context=", "--color[=]", "--colour[=]", "--count", "--devices=", "--directories=",
                        "--exclude=", "--exclude-from=", "--exclude-dir=", "--file=", "--files-with-matches",
                        "--files-without-match", "--group-separator=", "--help", "--include=", "--ignore-case",
                        "--no-ignore-case", "--initial-tab", "--label=", "--line-buffered", "--line-number",
                        "--line-regexp", "--max-count=", "--no-filename", "--no-group-separator", "--no-messages",
                        "--null", "--null-data", "--only-matching", "--quiet", "--recursive",
                        "--dereference-recursive", "--regexp=", "--invert-match", "--silent", "--text", "--binary",
                        "--unix-byte-offsets", "--version", "--with-filename", "--word-regexp")
                .build());
        m.put("sort", GnuOptionPolicy.program("sort")
                .options("-b", "-c", "-C", "-d", "-f", "-g", "-h", "-i", "-k:", "-m", "-M", "-n", "-r", "-R", "-s",
                        "-S:", "-t:", "-u", "-V", "-z")
                .options("--ignore-leading-blanks", "--check[=]", "--debug", "--dictionary-order", "--ignore-case",
                        "--files0-from=", "--general-numeric-sort", "--ignore-nonprinting", "--key=", "--merge",
                        "--month-sort", "--numeric-sort", "--human-numeric-sort", "--version-sort", "--random-sort",
                        "--random-source=", "--sort=", "--reverse", "--stable", "--batch-size=", "--buffer-size=",
                        "--field-separator=", "--unique", "--zero-terminated", "--parallel=", "--help", "--version")
                .refuse(CommandPolicy.RUNS_PROGRAM, "--compress-program=")
                .refuse(CommandPolicy.WRITES_FILE, "-o:", "--output=")
                .refuse(TEMP_FILES, "-T:", "--temporary-directory=")
                .build());
        m.put("uniq", GnuOptionPolicy.program("uniq")
                .digitOptions()
                .options("-c", "-d", "-D", "-f:", "-i", "-s:", "-u", "-w:", "-z")
                .options("--count", "--repeated", "--all-repeated[=]", "--group[=]", "--ignore-case", "--unique",
                        "--skip-fields=", "--skip-chars=", "--check-chars=", "--zero-terminated", "--help",
                        "--version")
                .operands((operand, position) -> position == 1 ? null
                        : "uniq takes one input file; a second operand names the file uniq would write its output to."
                        + " Leave it out and take the output from the result")
                .build());
        m.put("date", GnuOptionPolicy.program("date")
                .options("-d:", "-f:", "-I::", "-r:", "-R", "-u")
                .options("--date=", "--debug", "--file=", "--iso-8601[=]", "--reference=", "--resolution",
                        "--rfc-email", "--rfc-822", "--rfc-2822", "--rfc-3339=", "--uct", "--utc", "--universal",
                        "--help", "--version")
                .refuse(SETS_CLOCK, "-s:", "--set=")
                .operands((operand, position) -> position == 1 && operand.startsWith("+") ? null
                        : "date takes one operand, +FORMAT (for example +%Y-%m-%d); any other operand sets the system clock")
                .build());
        m.put("sha256sum", GnuOptionPolicy.program("sha256sum")
                .options("-b", "-c", "-t", "-w", "-z")
                .options("--binary", "--check", "--ignore-missing", "--quiet", "--status", "--strict", "--tag",
                        "--text", "--warn", "--zero", "--help", "--version")
                .build());
        m.put("ls", GnuOptionPolicy.program("ls")
                .options("-a", "-b", "-c", "-d", "-f", "-g", "-h", "-i", "-k", "-l", "-m", "-n", "-o", "-p", "-q",
                        "-r", "-s", "-t", "-u", "-v", "-w:", "-x", "-A", "-B", "-C", "-D", "-F", "-G", "-H", "-I:", "-L",
                        "-N", "-Q", "-R", "-S", "-T:", "-U", "-X", "-Z", "-1")
                .options("--all", "--escape", "--directory", "--dired", "--full-time", "--group-directories-first",
                        "--human-readable", "--inode", "--kibibytes", "--numeric-uid-gid", "--no-group",
                        "--hide-control-chars", "--reverse", "--size", "--width=", "--almost-all", "--ignore-backups",
                        "--classify[=]", "--file-type", "--si", "--dereference-command-line",
                        "--dereference-command-line-symlink-to-dir", "--hide=", "--ignore=", "--indicator-style=",
                        "--dereference", "--literal", "--quote-name", "--quoting-style=", "--recursive", "--format=",
                        "--show-control-chars", "--sort=", "--tabsize=", "--time=", "--time-style=", "--zero",
                        "--color[=]", "--hyperlink[=]", "--block-size=", "--context", "--author", "--help",
                        "--version")
                .build());
        m.put("find", new FindPolicy());
        // echo prints its arguments and sleep waits: no argument makes either run or write anything
        m.put("echo", args -> { });
        m.put("sleep", args -> { });
        return Map.copyOf(m);
    }
}
