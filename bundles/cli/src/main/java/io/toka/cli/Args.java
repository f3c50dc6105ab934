package io.toka.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The arguments of one verb: its options ({@code --name value}, {@code --name=value}, or a flag) and its positional
 * arguments, parsed against the options the verb knows. An unknown option is a usage error naming it.
 */
final class Args {

    /** Short forms of options. */
    private static final Map<String, String> ALIASES = Map.of("-h", "--help", "-p", "--param", "-n", "--count",
            "-k", "--kind", "-f", "--follow", "-d", "--manifest-dir");

    private final Map<String, List<String>> values = new LinkedHashMap<>();
    private final List<String> positionals = new ArrayList<>();

    private Args() {
    }

    /**
     * @param args the arguments after the verb
     * @param flags the options without a value the verb knows
     * @param valued the options with a value the verb knows
     * @return the parsed arguments
     * @throws CliException (usage) for an unknown option or a missing value
     */
    static Args parse(List<String> args, Set<String> flags, Set<String> valued) throws CliException {
        Args a = new Args();
        boolean onlyPositionals = false;
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            if (onlyPositionals || !arg.startsWith("-") || arg.equals("-")) {
                a.positionals.add(arg);
                continue;
            }
            if (arg.equals("--")) {
                onlyPositionals = true;
                continue;
            }
            int eq = arg.indexOf('=');
            String name = arg.startsWith("--") && eq > 0 ? arg.substring(0, eq) : arg;
            name = ALIASES.getOrDefault(name, name);
            String inline = arg.startsWith("--") && eq > 0 ? arg.substring(eq + 1) : null;
            if (valued.contains(name)) {
                String v = inline;
                if (v == null) {
                    if (i + 1 >= args.size()) {
                        throw CliException.usage(name + " needs a value (see --help)");
                    }
                    v = args.get(++i);
                }
                a.values.computeIfAbsent(name, k -> new ArrayList<>()).add(v);
            } else if (flags.contains(name)) {
                if (inline != null) {
                    throw CliException.usage(name + " takes no value (see --help)");
                }
                a.values.computeIfAbsent(name, k -> new ArrayList<>());
            } else {
                throw CliException.usage("unknown option " + name + " (see --help)");
            }
        }
        return a;
    }

    /** @return whether the flag or option was given */
    boolean has(String name) {
        return values.containsKey(name);
    }

    /**
     * @return the option's value, or null when it was not given
     * @throws CliException (usage) if it was given more than once
     */
    String value(String name) throws CliException {
        List<String> v = values.get(name);
        if (v == null || v.isEmpty()) {
            return null;
        }
        if (v.size() > 1) {
            throw CliException.usage(name + " is given more than once");
        }
        return v.get(0);
    }

    /** @return every value of a repeatable option, in order */
    List<String> values(String name) {
        return values.getOrDefault(name, List.of());
    }

    /** @return the positional arguments, in order */
    List<String> positionals() {
        return positionals;
    }

    /**
     * @param what what the verb expects, for the message, e.g. "a tool name"
     * @return the only positional argument
     * @throws CliException (usage) if there is none or more than one
     */
    String single(String what) throws CliException {
        if (positionals.isEmpty()) {
            throw CliException.usage("missing " + what + " (see --help)");
        }
        if (positionals.size() > 1) {
            throw CliException.usage("expected only " + what + ", not also '" + shorten(positionals.get(1)) + "'");
        }
        return positionals.get(0);
    }

    /** @throws CliException (usage) if there is any positional argument */
    void none() throws CliException {
        if (!positionals.isEmpty()) {
            throw CliException.usage("unexpected argument '" + shorten(positionals.get(0)) + "' (see --help)");
        }
    }

    /** Arguments are echoed in messages only when short: a long one might be a secret pasted in the wrong place. */
    static String shorten(String arg) {
        return arg.length() <= 40 ? arg : arg.substring(0, 12) + "... (" + arg.length() + " characters)";
    }

    /**
     * @param name the option, for the message
     * @param text a whole number
     * @param min the smallest allowed
     * @param max the largest allowed
     * @return the number
     * @throws CliException (usage) if it is not a whole number in range
     */
    static long number(String name, String text, long min, long max) throws CliException {
        try {
            long n = Long.parseLong(text.trim());
            if (n >= min && n <= max) {
                return n;
            }
        } catch (NumberFormatException e) {
            // the message below
        }
        throw CliException.usage(name + " must be a whole number from " + min + " to " + max + ", not '"
                + shorten(text) + "'");
    }

    /**
     * @param name the option, for the message
     * @param text a duration: a number with s, m, h or d (30s, 10m, 2h, 7d), or seconds
     * @return the duration in seconds
     * @throws CliException (usage) if it is not one
     */
    static long seconds(String name, String text) throws CliException {
        String t = text.trim().toLowerCase(java.util.Locale.ROOT);
        long unit = 1;
        if (!t.isEmpty()) {
            switch (t.charAt(t.length() - 1)) {
                case 's' -> unit = 1;
                case 'm' -> unit = 60;
                case 'h' -> unit = 3600;
                case 'd' -> unit = 86400;
                default -> unit = 0;
            }
            if (unit != 0) {
                t = t.substring(0, t.length() - 1);
            } else {
                unit = 1;
            }
        }
        try {
            long n = Long.parseLong(t);
            if (n > 0 && n <= 366L * 86400 / unit) {
                return n * unit;
            }
        } catch (NumberFormatException e) {
            // the message below
        }
        throw CliException.usage(name + " must be a positive duration such as 30s, 10m, 2h or 7d, not '"
                + shorten(text) + "'");
    }
}
