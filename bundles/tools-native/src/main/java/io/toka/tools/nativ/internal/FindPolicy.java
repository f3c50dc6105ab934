package io.toka.tools.nativ.internal;

import io.toka.tool.ToolException;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * The argument policy of GNU find, which has no getopt options but an expression language: leading options
 * ({@code -H -L -P -D debug -O3}), starting points, then primaries ({@code -name PATTERN}) and operators. Each
 * primary is looked up by its exact name, as find does (it takes no abbreviations), and consumes the number of
 * arguments find gives it. Primaries that run programs, delete or write files are refused, as is any primary not
 * in the table. Immutable.
 */
final class FindPolicy implements CommandPolicy {

    private static final Map<String, String> REFUSED = Map.of(
            "exec", CommandPolicy.RUNS_PROGRAM,
            "execdir", CommandPolicy.RUNS_PROGRAM,
            "ok", CommandPolicy.RUNS_PROGRAM,
            "okdir", CommandPolicy.RUNS_PROGRAM,
            "delete", "it deletes files",
            "fls", CommandPolicy.WRITES_FILE,
            "fprint", CommandPolicy.WRITES_FILE,
            "fprint0", CommandPolicy.WRITES_FILE,
            "fprintf", CommandPolicy.WRITES_FILE);

    /** Operators, options, tests and actions that take no argument (findutils 4.9 parse_table). */
    private static final Set<String> NO_ARGUMENT = Set.of(
            "a", "and", "o", "or", "not",
            "d", "depth", "daystart", "follow", "ignore_readdir_race", "noignore_readdir_race", "mount", "xdev",
            "noleaf", "nowarn", "warn",
            "empty", "executable", "readable", "writable", "false", "true", "nogroup", "nouser",
            "print", "print0", "ls", "prune", "quit",
            "help", "-help", "version", "-version");

    /** Primaries that take exactly one argument. -printf writes to standard output only. */
    private static final Set<String> ONE_ARGUMENT = Set.of(
            "amin", "anewer", "atime", "cmin", "cnewer", "ctime", "context", "fstype", "gid", "group", "ilname",
            "iname", "inum", "ipath", "iregex", "iwholename", "links", "lname", "mmin", "mtime", "name", "newer",
            "path", "perm", "regex", "samefile", "size", "type", "uid", "used", "user", "wholename", "xtype",
            "maxdepth", "mindepth", "regextype", "files0-from", "printf");

    private static final Pattern NEWER_XY = Pattern.compile("newer[aBcmt][aBcmt]");

    @Override
    public void check(List<String> args) throws ToolException {
        // First, a refused primary anywhere, even where it would be the argument of another primary
        // ("-name -exec"): that costs a rare false refusal and holds even if a primary's arity were misread.
        for (String arg : args) {
            String refusal = arg.startsWith("-") ? REFUSED.get(arg.substring(1)) : null;
            if (refusal != null) {
                throw new ToolException("find primary '" + arg + "' is refused: " + refusal);
            }
        }
        int i = 0;
        while (i < args.size()) { // leading options, as find's process_leading_options reads them
            String arg = args.get(i);
            if (arg.equals("-H") || arg.equals("-L") || arg.equals("-P") || arg.matches("-O\\d*")) {
                i++;
            } else if (arg.equals("-D")) {
                i += 2;
            } else {
                if (arg.equals("--")) {
                    i++;
                }
                break;
            }
        }
        while (i < args.size() && !looksLikeExpression(args.get(i))) {
            i++; // starting points
        }
        while (i < args.size()) {
            String arg = args.get(i);
            if (arg.equals("(") || arg.equals(")") || arg.equals("!") || arg.equals(",")) {
                i++;
                continue;
            }
            String name = arg.startsWith("-") ? arg.substring(1) : "";
            if (NO_ARGUMENT.contains(name)) {
                i++;
            } else if (ONE_ARGUMENT.contains(name) || NEWER_XY.matcher(name).matches()) {
                i += 2;
            } else if (name.isEmpty()) {
                throw new ToolException("find argument '" + arg + "' is not allowed here: starting points go before"
                        + " the expression, for example: find . -name '*.txt'");
            } else {
                throw new ToolException("find primary '" + arg + "' is not allowed; allowed: " + allowed());
            }
        }
    }

    /** As find's looks_like_expression for an argument after the leading options. */
    private static boolean looksLikeExpression(String arg) {
        if (arg.startsWith("-")) {
            return arg.length() > 1;
        }
        return arg.equals("(") || arg.equals("!");
    }

    private static String allowed() {
        TreeSet<String> names = new TreeSet<>();
        NO_ARGUMENT.forEach(n -> names.add("-" + n));
        ONE_ARGUMENT.forEach(n -> names.add("-" + n + " ARG"));
        names.add("-newerXY ARG");
        return "( ) ! , " + String.join(" ", names);
    }
}
