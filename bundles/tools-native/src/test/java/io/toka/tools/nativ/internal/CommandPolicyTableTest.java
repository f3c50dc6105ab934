package io.toka.tools.nativ.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Each option table against the installed program. A table that says an option takes a value when the program
 * says it does not would let the next argument (say "-o") through unchecked, so each option's arity is asked
 * of the program itself. Only getopt is exercised: every command line here fails in option parsing, before the
 * program does anything. Options that the installed version does not have are skipped.
 */
class CommandPolicyTableTest {

    private static final String UNKNOWN = "--zz-not-an-option";

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"cat", "head", "tail", "wc", "grep", "sort", "uniq", "date", "sha256sum", "ls"})
    void theTableGivesEachOptionTheArityTheInstalledProgramGivesIt(String program) throws Exception {
        Path exe = Path.of("/usr/bin", program);
        assumeThat(Files.isExecutable(exe)).as(exe + " is installed").isTrue();
        GnuOptionPolicy policy = (GnuOptionPolicy) CommandPolicies.of(exe.toString());
        List<String> checked = new ArrayList<>();
        for (GnuOptionPolicy.Option o : policy.options()) {
            if (o.name().equals("--help") || o.name().equals("--version")) {
                continue; // they print and exit before parsing the rest
            }
            boolean required = o.value() == GnuOptionPolicy.Value.REQUIRED;
            // alone, an option that needs a value fails; followed by an unknown option, one that takes none
            // (or only an attached one) leaves it to getopt, which fails on it
            String err = stderr(required ? List.of(exe.toString(), o.name()) : List.of(exe.toString(), o.name(), UNKNOWN));
            if (err.contains("unrecognized option '" + o.name()) || err.contains("invalid option -- '" + o.name().substring(1))) {
                continue; // not in this version
            }
            if (err.contains("option used in invalid context -- " + o.name().substring(1))) {
                continue; // head and tail take a digit only as the first argument ("-5"), and never a value with it
            }
            if (required) {
                assertThat(err).as(program + " " + o.name() + " takes a value").contains("requires an argument");
            } else {
                assertThat(err).as(program + " " + o.name() + " takes no separate value")
                        .contains("unrecognized option '" + UNKNOWN + "'");
            }
            checked.add(o.name());
        }
        assertThat(checked).as("options checked").isNotEmpty();
    }

    private String stderr(List<String> command) throws Exception {
        Path err = dir.resolve("stderr");
        ProcessBuilder pb = new ProcessBuilder(command)
                .directory(dir.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(err.toFile());
        pb.environment().put("LC_ALL", "C"); // getopt's messages in English
        Process p = pb.start();
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor();
        }
        return Files.readString(err, StandardCharsets.UTF_8);
    }
}
