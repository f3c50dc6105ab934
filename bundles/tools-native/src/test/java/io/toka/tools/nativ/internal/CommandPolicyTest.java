package io.toka.tools.nativ.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.toka.tool.ToolException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The argument policies of the programs run-command may run, without running them. */
class CommandPolicyTest {

    @TempDir
    Path temp;

    private static void check(String program, List<String> args) throws ToolException {
        CommandPolicies.of("/usr/bin/" + program).check(args);
    }

    private static Arguments refused(String program, String message, String... args) {
        return Arguments.of(program, Arrays.asList(args), message);
    }

    static Stream<Arguments> dangerousForms() {
        String runs = "is refused: it runs another program";
        String writes = "is refused: it writes a file";
        return Stream.of(
                // find: running programs, deleting, writing files; also where another primary would take it as its argument
                refused("find", "find primary '-exec' " + runs, ".", "-exec", "/usr/bin/id", ";"),
                refused("find", "find primary '-execdir' " + runs, ".", "-name", "*.txt", "-execdir", "sh", "-c", "id", "+"),
                refused("find", "find primary '-ok' " + runs, ".", "-ok", "id", ";"),
                refused("find", "find primary '-okdir' " + runs, "-okdir", "id", ";"),
                refused("find", "find primary '-delete' is refused: it deletes files", ".", "-delete"),
                refused("find", "find primary '-fprint' " + writes, ".", "-fprint", "out"),
                refused("find", "find primary '-fprint0' " + writes, ".", "-fprint0", "out"),
                refused("find", "find primary '-fprintf' " + writes, ".", "-fprintf", "out", "%p"),
                refused("find", "find primary '-fls' " + writes, ".", "-fls", "out"),
                refused("find", "find primary '-exec' " + runs, ".", "-name", "-exec"),
                refused("find", "find primary '-frob' is not allowed; allowed: ( ) ! , --help --version -a -amin ARG -and", "-L", ".", "-frob"),
                // sort: -o/--output in every spelling getopt_long accepts, --compress-program, -T
                refused("sort", "sort option '-o' " + writes, "-o", "out", "a.txt"),
                refused("sort", "sort option '-o' " + writes, "a.txt", "-o", "out"),
                refused("sort", "sort option '-o' (in '-uo') " + writes, "-uo", "out", "a.txt"),
                refused("sort", "sort option '-o' (in '-nruoout') " + writes, "-nruoout", "a.txt"),
                refused("sort", "sort option '--output=out' " + writes, "--output=out", "a.txt"),
                refused("sort", "sort option '--output' " + writes, "--output", "out", "a.txt"),
                refused("sort", "sort option '--out=x' (--output) " + writes, "--out=x", "a.txt"),
                refused("sort", "sort option '--o' (--output) " + writes, "--o", "x", "a.txt"),
                refused("sort", "sort option '--compress-program=sh' " + runs, "--compress-program=sh", "a.txt"),
                refused("sort", "sort option '--compress-prog=sh' (--compress-program) " + runs, "--compress-prog=sh"),
                refused("sort", "sort option '--comp' (--compress-program) " + runs, "--comp", "gzip", "a.txt"),
                // "--c" could be --check too: refused because it may be --compress-program
                refused("sort", "sort option '--c=x' (--compress-program) " + runs, "--c=x", "a.txt"),
                refused("sort", "sort option '-T' is refused: it writes temporary files", "-T", "/tmp", "a.txt"),
                refused("sort", "sort option '--temp=/tmp' (--temporary-directory) is refused", "--temp=/tmp"),
                refused("sort", "sort option '-y' is not allowed; allowed options: ", "-y", "a.txt"),
                // uniq: a second operand is the output file
                refused("uniq", "uniq operand 'out.txt' is refused: uniq takes one input file", "in.txt", "out.txt"),
                refused("uniq", "uniq operand 'out.txt' is refused", "-c", "in.txt", "-i", "out.txt"),
                refused("uniq", "uniq operand 'out.txt' is refused", "--", "-", "out.txt"),
                // date: setting the clock
                refused("date", "date option '-s' is refused: it sets the system clock", "-s", "2020-01-01"),
                refused("date", "date option '-s' (in '-us2020-01-01') is refused", "-us2020-01-01"),
                refused("date", "date option '--set=2020-01-01' is refused: it sets the system clock", "--set=2020-01-01"),
                refused("date", "date option '--se' (--set) is refused", "--se", "2020-01-01"),
                refused("date", "date operand '0101000070' is refused: date takes one operand, +FORMAT", "0101000070"),
                refused("date", "date operand '+%s' is refused", "+%F", "+%s"),
                // options the tables do not know, and ambiguous abbreviations
                refused("grep", "grep option '--col' is ambiguous: it abbreviates --color, --colour; give the full name", "--col", "x"),
                refused("head", "head option '--frob' is not allowed", "--frob", "a.txt"),
                refused("ls", "ls option '-W' is not allowed", "-W"),
                refused("tail", "tail option '---presume-input-pipe' is not allowed", "---presume-input-pipe"),
                refused("wc", "wc option '--=x' is not allowed", "--=x"),
                refused("sha256sum", "sha256sum option '-o' is not allowed", "-o", "x"),
                refused("cat", "cat option '-o' is not allowed", "-o", "x"));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("dangerousForms")
    void refusesDangerousForms(String program, List<String> args, String message) {
        assertThatThrownBy(() -> check(program, args))
                .isInstanceOf(ToolException.class)
                .hasMessageContaining(message);
    }

    static Stream<Arguments> harmlessForms() {
        return Stream.of(
                Arguments.of("find", List.of(".", "-name", "*.txt", "-type", "f")),
                Arguments.of("find", List.of("-L", ".", "-maxdepth", "2", "(", "-name", "a", "-o", "-name", "b", ")", "-print")),
                Arguments.of("find", List.of(".", "-newermt", "2024-01-01", "-printf", "%p %s\\n")),
                Arguments.of("find", List.of()),
                Arguments.of("sort", List.of("-k2,2", "-n", "-r", "a.txt")),
                Arguments.of("sort", List.of("-t", ",", "-k", "1", "--reverse", "a.txt", "b.txt")),
                Arguments.of("sort", List.of("--rev", "--key=2", "-unr", "a.txt")),
                Arguments.of("sort", List.of("--check=quiet", "a.txt")),
                Arguments.of("sort", List.of("--", "-o")), // after "--", a file named -o
                Arguments.of("uniq", List.of("-c", "a.txt")),
                Arguments.of("uniq", List.of("-f", "1", "-3", "--all-repeated=separate")),
                Arguments.of("date", List.of("+%Y-%m-%d")),
                Arguments.of("date", List.of("-u", "-d", "@0", "+%s")),
                Arguments.of("date", List.of("--iso-8601=seconds", "-r", "a.txt")),
                Arguments.of("date", List.of("-Iseconds")),
                Arguments.of("cat", List.of("-n", "a.txt", "-")),
                Arguments.of("head", List.of("-n", "2", "a.txt")),
                Arguments.of("head", List.of("-5", "a.txt")),
                Arguments.of("tail", List.of("-n", "+2", "--lines=3", "a.txt")),
                Arguments.of("wc", List.of("-l", "--lin", "a.txt")),
                Arguments.of("grep", List.of("-rn", "--include=*.java", "foo", ".")),
                Arguments.of("grep", List.of("-e", "-o", "-5", "a.txt")), // -e takes "-o" as the pattern
                Arguments.of("ls", List.of("-la", "--color=never", "-w", "80", "docs")),
                Arguments.of("sha256sum", List.of("--tag", "a.txt")),
                Arguments.of("sha256sum", List.of("-c", "sums.txt")),
                Arguments.of("echo", List.of("-n", "find", ".", "-exec", "id", ";")));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("harmlessForms")
    void allowsHarmlessForms(String program, List<String> args) {
        assertThatCode(() -> check(program, args)).doesNotThrowAnyException();
    }

    @Test
    void everyShippedProgramHasAPolicy() throws Exception {
        String[] defaults = (String[]) RunCommandTool.Config.class.getMethod("allowedCommands").getDefaultValue();
        assertThat(defaults).isNotEmpty();
        for (String program : defaults) {
            assertThatCode(() -> CommandPolicies.of(program)).as(program).doesNotThrowAnyException();
        }
        assertThat(CommandPolicies.known()).containsAll(Stream.of(defaults)
                .map(p -> Path.of(p).getFileName().toString()).toList());
    }

    @ParameterizedTest
    @ValueSource(strings = {"env", "xargs", "sh", "bash", "dash", "nice", "nohup", "timeout", "stdbuf", "setsid",
        "chroot", "flock", "awk", "gawk", "mawk", "sed", "perl", "python", "python3", "python3.11", "busybox", "sudo"})
    void refusesProgramsThatRunOtherProgramsEvenWhenConfigured(String program) {
        assertThatThrownBy(() -> CommandPolicies.of("/usr/bin/" + program))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("allowedCommands entry '/usr/bin/" + program + "' is refused: " + program + " ")
                .hasMessageEndingWith("; run-command never runs such programs");
    }

    @Test
    void theRefusalOfALauncherSaysWhy() {
        assertThatThrownBy(() -> CommandPolicies.of("/usr/bin/env")).hasMessage("allowedCommands entry '/usr/bin/env'"
                + " is refused: env runs the program named in its arguments; run-command never runs such programs");
        assertThatThrownBy(() -> CommandPolicies.of("/usr/bin/sed")).hasMessage("allowedCommands entry '/usr/bin/sed'"
                + " is refused: sed runs commands from its script (the e command) and writes files (w);"
                + " run-command never runs such programs");
    }

    @Test
    void refusesAProgramWithoutAPolicy() {
        assertThatThrownBy(() -> CommandPolicies.of("/usr/bin/tee"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("allowedCommands entry '/usr/bin/tee' is refused: run-command has no argument policy for"
                        + " 'tee', so it cannot tell which of its arguments are safe; programs with a policy: cat, date,"
                        + " echo, find, grep, head, ls, sha256sum, sleep, sort, tail, uniq, wc");
    }

    @Test
    void refusesALinkWithAHarmlessNameThatLeadsToAShell() throws Exception {
        Path shell = Files.createFile(temp.resolve("bash"));
        Path ls = Files.createSymbolicLink(temp.resolve("ls"), shell);

        assertThatThrownBy(() -> CommandPolicies.of(ls.toString()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("allowedCommands entry '" + ls + "' is refused: it is a link to bash, which is a shell: it"
                        + " runs any command line it is given; run-command never runs such programs");
    }
}
