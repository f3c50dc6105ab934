package io.toka.tools.nativ.internal;

import io.toka.tool.ToolException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The argument policy of a program that parses its command line with GNU {@code getopt_long}: the options it
 * has (each allowed or refused with a reason) and a rule for its operands. The arguments are parsed the way
 * getopt_long parses them, so that an option cannot hide where the program would find it: options may follow
 * operands, short options may be clustered ({@code -uo FILE}, {@code -uoFILE}), a long option may be abbreviated
 * to any prefix ({@code --compress-prog=}) and take its value after {@code =} or as the next argument, and
 * {@code --} ends the options.
 *
 * <p>Any option not in the table is refused, so the table needs to name every option of the program that is
 * refused (an abbreviation is matched against those too), but not every harmless one. Immutable.
 */
final class GnuOptionPolicy implements CommandPolicy {

    /** Whether an option takes a value. */
    enum Value { NONE, REQUIRED, OPTIONAL }

    /** One option as it is written in the table ("-o", "--output"), and why it is refused ({@code null}: allowed). */
    record Option(String name, Value value, String refusal) {
    }

    /** A rule for the operands: returns why the operand at this 1-based position is refused, or {@code null}. */
    @FunctionalInterface
    interface OperandRule {
        String refusal(String operand, int position);
    }

    private final String program;
    private final Map<Character, Option> shortOptions;
    /** By name without the dashes, sorted so that the candidates for an abbreviation are listed in order. */
    private final SortedMap<String, Option> longOptions;
    private final OperandRule operands;

    private GnuOptionPolicy(Builder b) {
        this.program = b.program;
        this.shortOptions = Map.copyOf(b.shortOptions);
        this.longOptions = Collections.unmodifiableSortedMap(new TreeMap<>(b.longOptions));
        this.operands = b.operands;
    }

    static Builder program(String program) {
        return new Builder(program);
    }

    @Override
    public void check(List<String> args) throws ToolException {
        boolean options = true;
        int operandCount = 0;
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            if (options && arg.equals("--")) {
                options = false;
            } else if (options && arg.startsWith("--")) {
                int eq = arg.indexOf('=');
                Option o = longOption(arg.substring(2, eq < 0 ? arg.length() : eq), arg);
                if (o.value() == Value.REQUIRED && eq < 0) {
                    i++; // getopt_long takes the next argument as the value, whatever it looks like
                }
            } else if (options && arg.length() > 1 && arg.startsWith("-")) {
                for (int j = 1; j < arg.length(); j++) {
                    Option o = shortOption(arg.charAt(j), arg);
                    if (o.value() == Value.REQUIRED && j == arg.length() - 1) {
                        i++;
                    }
                    if (o.value() != Value.NONE) {
                        break; // the rest of the cluster is the value
                    }
                }
            } else {
                operandCount++;
                String refusal = operands.refusal(arg, operandCount);
                if (refusal != null) {
                    throw new ToolException(program + " operand '" + arg + "' is refused: " + refusal);
                }
            }
        }
    }

    /** @return every option in the table, allowed or refused */
    List<Option> options() {
        List<Option> all = new ArrayList<>(shortOptions.values());
        all.addAll(longOptions.values());
        return all;
    }

    private Option shortOption(char c, String arg) throws ToolException {
        Option o = shortOptions.get(c);
        String shown = "'-" + c + "'" + (arg.length() > 2 ? " (in '" + arg + "')" : "");
        if (o == null) {
            throw new ToolException(program + " option " + shown + " is not allowed; allowed options: " + allowed());
        }
        if (o.refusal() != null) {
            throw new ToolException(program + " option " + shown + " is refused: " + o.refusal());
        }
        return o;
    }

    private Option longOption(String name, String arg) throws ToolException {
        Option exact = longOptions.get(name);
        List<Option> matches = new ArrayList<>();
        if (exact != null) {
            matches.add(exact);
        } else if (!name.isEmpty()) {
            // getopt_long accepts any unambiguous prefix; a prefix of a refused option is refused even when it
            // is ambiguous here, since the installed version may have fewer options than this table
            for (Map.Entry<String, Option> e : longOptions.tailMap(name).entrySet()) {
                if (!e.getKey().startsWith(name)) {
                    break;
                }
                matches.add(e.getValue());
            }
        }
        if (matches.isEmpty()) {
            throw new ToolException(program + " option '" + arg + "' is not allowed; allowed options: " + allowed());
        }
        for (Option o : matches) {
            if (o.refusal() != null) {
                String full = "--" + name;
                String shown = "'" + arg + "'" + (o.name().equals(full) ? "" : " (" + o.name() + ")");
                throw new ToolException(program + " option " + shown + " is refused: " + o.refusal());
            }
        }
        if (matches.size() > 1) {
            throw new ToolException(program + " option '" + arg + "' is ambiguous: it abbreviates "
                    + String.join(", ", matches.stream().map(Option::name).toList()) + "; give the full name");
        }
        return matches.get(0);
    }

    private String allowed() {
        TreeSet<String> names = new TreeSet<>();
        shortOptions.values().stream().filter(o -> o.refusal() == null).forEach(o -> names.add(spec(o)));
        longOptions.values().stream().filter(o -> o.refusal() == null).forEach(o -> names.add(spec(o)));
        return String.join(" ", names);
    }

    private static String spec(Option o) {
        boolean isLong = o.name().startsWith("--");
        return switch (o.value()) {
            case NONE -> o.name();
            case REQUIRED -> o.name() + (isLong ? "=VALUE" : " VALUE");
            case OPTIONAL -> o.name() + (isLong ? "[=VALUE]" : "[VALUE]");
        };
    }

    /** Collects the table of one program. */
    static final class Builder {
        private final String program;
        private final Map<Character, Option> shortOptions = new LinkedHashMap<>();
        private final Map<String, Option> longOptions = new LinkedHashMap<>();
        private OperandRule operands = (operand, position) -> null;

        private Builder(String program) {
            this.program = program;
        }

        /**
         * Allowed options, written as in a getopt table: "-b" (no value), "-k:" (a value), "-I::" (an optional
         * value, attached), "--debug", "--key=" (a value), "--check[=]" (an optional value, after '=').
         */
        Builder options(String... specs) {
            for (String spec : specs) {
                add(spec, null);
            }
            return this;
        }

        /** Options that are refused, with the reason given to the caller. */
        Builder refuse(String reason, String... specs) {
            for (String spec : specs) {
                add(spec, reason);
            }
            return this;
        }

        /** The digits as short options without a value, as in grep's "-5" (five lines of context). */
        Builder digitOptions() {
            for (char c = '0'; c <= '9'; c++) {
                add("-" + c, null);
            }
            return this;
        }

        Builder operands(OperandRule rule) {
            this.operands = rule;
            return this;
        }

        GnuOptionPolicy build() {
            return new GnuOptionPolicy(this);
        }

        private void add(String spec, String refusal) {
            if (spec.startsWith("--")) {
                Value v = spec.endsWith("[=]") ? Value.OPTIONAL : spec.endsWith("=") ? Value.REQUIRED : Value.NONE;
                String name = spec.substring(2, spec.length() - (v == Value.OPTIONAL ? 3 : v == Value.REQUIRED ? 1 : 0));
                put(longOptions, name, new Option("--" + name, v, refusal));
            } else if (spec.startsWith("-") && spec.length() >= 2) {
                String colons = spec.substring(2);
                Value v = switch (colons) {
                    case "" -> Value.NONE;
                    case ":" -> Value.REQUIRED;
                    case "::" -> Value.OPTIONAL;
                    default -> throw new IllegalArgumentException("bad option spec '" + spec + "'");
                };
                put(shortOptions, spec.charAt(1), new Option(spec.substring(0, 2), v, refusal));
            } else {
                throw new IllegalArgumentException("bad option spec '" + spec + "'");
            }
        }

        private static <K> void put(Map<K, Option> map, K key, Option o) {
            if (map.putIfAbsent(key, o) != null) {
                throw new IllegalArgumentException("option " + o.name() + " is listed twice");
            }
        }
    }
}
