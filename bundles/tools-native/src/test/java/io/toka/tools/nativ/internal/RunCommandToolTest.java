package io.toka.tools.nativ.internal;

import io.toka.sandbox.testing.SandboxRequirement;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.toka.sandbox.internal.SandboxLauncherImpl;
import io.toka.tool.ToolException;
import io.toka.tool.ToolInvocation;
import io.toka.tool.ToolResult;
import java.lang.annotation.Annotation;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** run-command with the real sandbox launcher (bubblewrap), on a real workspace. */
class RunCommandToolTest {

    private static SandboxLauncherImpl sandbox;

    @TempDir
    static Path sandboxWork;

    @TempDir
    Path dir;

    private Path root;

    @BeforeAll
    static void launcher() {
        sandbox = SandboxLauncherImpl.withDefaults(sandboxWork, true);
    }

    @BeforeEach
    void workspace() throws Exception {
        // per test, not in @BeforeAll: only a skipped test shows the reason in the report
        SandboxRequirement.assumeNamespaces(sandbox.isolation());
        // the sandbox runs as an unprivileged user: the workspace must be readable by others
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        root = Files.createDirectories(dir.resolve("ws"));
        Files.writeString(root.resolve("a.txt"), "one\ntwo\nthree\n");
    }

    private RunCommandTool tool(boolean writable, String... allowed) {
        return new RunCommandTool(sandbox, new Workspace(root), config(writable, 5, allowed));
    }

    private static ToolResult call(RunCommandTool tool, Map<String, Object> args) throws ToolException {
        return tool.invoke(ToolInvocation.of(args, Duration.ofSeconds(30)));
    }

    @Test
    void runsAnAllowedCommandByNameWithListArgumentsInTheWorkspace() throws Exception {
        ToolResult r = call(tool(false, "/usr/bin/wc, /usr/bin/cat"), Map.of("command", "wc", "args", List.of("-l", "a.txt")));
        assertThat(r.isSuccess()).as(r.output()).isTrue();
        assertThat(r.output().strip()).isEqualTo("3 a.txt");
        @SuppressWarnings("unchecked")
        Map<String, Object> report = (Map<String, Object>) r.structured();
        assertThat(report).containsEntry("exit_code", 0).containsEntry("timed_out", false)
                .containsEntry("command", "/usr/bin/wc");
        OutputSchemas.assertMatches(tool(false, "/usr/bin/wc"), r);
    }

    @Test
    void refusesACommandOutsideTheAllowList() {
        assertThatThrownBy(() -> call(tool(false, "/usr/bin/wc"), Map.of("command", "bash", "args", List.of("-c", "id"))))
                .isInstanceOf(ToolException.class)
                .hasMessage("command 'bash' is not allowed; allowed: wc");
        assertThatThrownBy(() -> call(tool(false, "/usr/bin/wc"), Map.of("command", "/usr/bin/cat")))
                .isInstanceOf(ToolException.class).hasMessageContaining("not allowed");
    }

    @Test
    void argumentsAreNeverInterpretedByAShell() throws Exception {
        Path marker = dir.resolve("pwned");
        ToolResult r = call(tool(false, "/usr/bin/echo"),
                Map.of("command", "echo", "args", List.of("$(touch " + marker + ")", "; rm -rf /", "`id`")));
        assertThat(r.output().strip()).isEqualTo("$(touch " + marker + ") ; rm -rf / `id`");
        assertThat(marker).doesNotExist();
    }

    @Test
    void anArgumentThatWouldWriteAFileIsRefusedBeforeTheSandboxEvenWhenTheWorkspaceIsWritable() throws Exception {
        // writable by anyone on the host and bound read-write: only the policy stops the write
        Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwxrwxrwx"));
        Files.setPosixFilePermissions(root.resolve("a.txt"), PosixFilePermissions.fromString("rw-rw-rw-"));
        assertThatThrownBy(() -> call(tool(true, "/usr/bin/sort"), Map.of("command", "sort", "args", List.of("-r", "-o", "a.txt", "a.txt"))))
                .isInstanceOf(ToolException.class)
                .hasMessageStartingWith("sort option '-o' is refused: it writes a file");
        assertThat(Files.readString(root.resolve("a.txt"))).isEqualTo("one\ntwo\nthree\n");

        ToolResult sorted = call(tool(true, "/usr/bin/sort"), Map.of("command", "sort", "args", List.of("-r", "a.txt")));
        assertThat(sorted.output()).isEqualTo("two\nthree\none\n");
    }

    @Test
    void findCannotRunAnotherProgram() throws Exception {
        Path marker = root.resolve("ran");
        assertThatThrownBy(() -> call(tool(true, "/usr/bin/find"),
                Map.of("command", "find", "args", List.of(".", "-exec", "/usr/bin/touch", marker.toString(), ";"))))
                .isInstanceOf(ToolException.class)
                .hasMessage("find primary '-exec' is refused: it runs another program");
        assertThat(marker).doesNotExist();
    }

    @Test
    void stdinReachesTheProgramAndAFailingExitIsAFailureWithTheReport() throws Exception {
        ToolResult ok = call(tool(false, "/usr/bin/grep"), Map.of("command", "grep", "args", List.of("b"), "stdin", "a\nb\nc\n"));
        assertThat(ok.output()).isEqualTo("b\n");
        ToolResult none = call(tool(false, "/usr/bin/grep"), Map.of("command", "grep", "args", List.of("z"), "stdin", "a\n"));
        assertThat(none.isSuccess()).isFalse();
        assertThat(none.output()).isEqualTo("grep exited with code 1");
        assertThat(none.structured()).isInstanceOf(Map.class);
        OutputSchemas.assertMatches(tool(false, "/usr/bin/grep"), none);
    }

    @Test
    void aLongRunningCommandIsKilledAtItsTimeout() throws Exception {
        ToolResult r = call(tool(false, "/usr/bin/sleep"), Map.of("command", "sleep", "args", List.of("60"), "timeout_seconds", 1));
        assertThat(r.isSuccess()).isFalse();
        assertThat(r.output()).isEqualTo("sleep timed out after 1 s and was killed");
        assertThatThrownBy(() -> call(tool(false, "/usr/bin/sleep"), Map.of("command", "sleep", "timeout_seconds", 99)))
                .isInstanceOf(ToolException.class).hasMessage("timeout_seconds 99 is over the configured maximum of 5");
    }

    @Test
    void refusesARelativeAllowListEntry() {
        assertThatThrownBy(() -> tool(false, "ls")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("allowedCommands entry 'ls' must be an absolute path");
    }

    static RunCommandTool.Config config(boolean writable, int timeout, String... allowed) {
        return new RunCommandTool.Config() {
            @Override
            public Class<? extends Annotation> annotationType() {
                return RunCommandTool.Config.class;
            }

            @Override
            public String[] allowedCommands() {
                return allowed;
            }

            @Override
            public int timeoutSeconds() {
                return timeout;
            }

            @Override
            public long maxOutputBytes() {
                return 1 << 20;
            }

            @Override
            public long memoryBytes() {
                return 256L << 20;
            }

            @Override
            public int maxProcesses() {
                return 32;
            }

            @Override
            public boolean workspaceWritable() {
                return writable;
            }

            @Override
            public boolean allowNetwork() {
                return false;
            }
        };
    }
}
