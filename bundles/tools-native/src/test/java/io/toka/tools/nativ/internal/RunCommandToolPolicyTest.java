package io.toka.tools.nativ.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.toka.sandbox.Isolation;
import io.toka.sandbox.SandboxLauncher;
import io.toka.sandbox.SandboxRequest;
import io.toka.sandbox.SandboxResult;
import io.toka.tool.ToolException;
import io.toka.tool.ToolInvocation;
import io.toka.tool.ToolResult;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * run-command's argument policies and configuration checks, with a launcher that records what it is asked to run
 * instead of running it, so these hold on hosts without bubblewrap too.
 */
class RunCommandToolPolicyTest {

    private static final String[] SHIPPED = {"/usr/bin/ls", "/usr/bin/cat", "/usr/bin/head", "/usr/bin/tail",
        "/usr/bin/wc", "/usr/bin/grep", "/usr/bin/sort", "/usr/bin/uniq", "/usr/bin/find", "/usr/bin/date",
        "/usr/bin/echo", "/usr/bin/sha256sum"};

    @TempDir
    Path root;

    private final RecordingLauncher launcher = new RecordingLauncher();

    private RunCommandTool tool(boolean writable, String... allowed) {
        return new RunCommandTool(launcher, new Workspace(root), RunCommandToolTest.config(writable, 5, allowed));
    }

    private static ToolResult call(RunCommandTool tool, String command, String... args) throws ToolException {
        return tool.invoke(ToolInvocation.of(Map.of("command", command, "args", List.of(args)), Duration.ofSeconds(5)));
    }

    @Test
    void findExecIsRefusedAndNothingIsLaunched() {
        assertThatThrownBy(() -> call(tool(false, SHIPPED), "find", ".", "-exec", "/usr/bin/id", ";"))
                .isInstanceOf(ToolException.class)
                .hasMessage("find primary '-exec' is refused: it runs another program");
        assertThatThrownBy(() -> call(tool(false, SHIPPED), "/usr/bin/sort", "-uo", "out.txt", "a.txt"))
                .isInstanceOf(ToolException.class)
                .hasMessage("sort option '-o' (in '-uo') is refused: it writes a file; leave it out and take the"
                        + " program's standard output from the result");
        assertThatThrownBy(() -> call(tool(false, SHIPPED), "sort", "--compress-prog=/bin/sh", "a.txt"))
                .isInstanceOf(ToolException.class)
                .hasMessage("sort option '--compress-prog=/bin/sh' (--compress-program) is refused: it runs another program");
        assertThatThrownBy(() -> call(tool(false, SHIPPED), "uniq", "a.txt", "b.txt"))
                .isInstanceOf(ToolException.class)
                .hasMessageStartingWith("uniq operand 'b.txt' is refused");
        assertThat(launcher.requests).isEmpty();
    }

    @Test
    void aHarmlessCallReachesTheSandboxAsGiven() throws Exception {
        ToolResult r = call(tool(false, SHIPPED), "find", ".", "-name", "*.txt", "-type", "f");

        assertThat(r.isSuccess()).isTrue();
        assertThat(launcher.requests).singleElement().satisfies(req -> {
            assertThat(req.command()).containsExactly("/usr/bin/find", ".", "-name", "*.txt", "-type", "f");
            assertThat(req.readOnlyPaths()).containsExactly(root.toRealPath());
            assertThat(req.writablePaths()).isEmpty();
        });
    }

    @Test
    void theWorkspaceIsBoundWritableOnlyWhenConfigured() throws Exception {
        call(tool(true, "/usr/bin/sort"), "sort", "a.txt");

        assertThat(launcher.requests).singleElement().satisfies(req -> {
            assertThat(req.writablePaths()).containsExactly(root.toRealPath());
            assertThat(req.readOnlyPaths()).isEmpty();
        });
    }

    @Test
    void theShippedProgramsAllHaveAPolicy() {
        assertThat(tool(false, SHIPPED).descriptor().description())
                .contains("(ls, cat, head, tail, wc, grep, sort, uniq, find, date, echo, sha256sum)")
                .contains("are refused");
    }

    @Test
    void aConfiguredProgramThatRunsOtherProgramsStopsActivation() {
        assertThatThrownBy(() -> tool(false, "/usr/bin/ls, /usr/bin/xargs"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("allowedCommands entry '/usr/bin/xargs' is refused: xargs runs the program named in its"
                        + " arguments; run-command never runs such programs");
        assertThatThrownBy(() -> tool(false, "/bin/sh"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("allowedCommands entry '/bin/sh' is refused: sh is a shell");
    }

    @Test
    void aConfiguredProgramWithoutAPolicyStopsActivation() {
        assertThatThrownBy(() -> tool(false, "/usr/bin/ls", "/usr/bin/tee"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("allowedCommands entry '/usr/bin/tee' is refused: run-command has no argument"
                        + " policy for 'tee'");
    }

    /** Records each request and answers as a program that printed "ok". */
    private static final class RecordingLauncher implements SandboxLauncher {
        final List<SandboxRequest> requests = new CopyOnWriteArrayList<>();

        @Override
        public SandboxResult run(SandboxRequest request) {
            requests.add(request);
            return new SandboxResult(0, "ok".getBytes(StandardCharsets.UTF_8), false, new byte[0], false, false, null,
                    Duration.ZERO, -1, -1, Isolation.Level.FULL);
        }

        @Override
        public Isolation isolation() {
            throw new UnsupportedOperationException("not used by run-command");
        }
    }
}
