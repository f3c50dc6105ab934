package io.toka.tools.nativ.internal;

import io.toka.sandbox.SandboxException;
import io.toka.sandbox.SandboxLauncher;
import io.toka.sandbox.SandboxLimits;
import io.toka.sandbox.SandboxRequest;
import io.toka.sandbox.SandboxResult;
import io.toka.tool.Tool;
import io.toka.tool.ToolDescriptor;
import io.toka.tool.ToolException;
import io.toka.tool.ToolInvocation;
import io.toka.tool.ToolName;
import io.toka.tool.ToolResult;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * Runs a program from an operator-configured allow-list, with its arguments as a list (never through a shell), in
 * the sandbox: no network unless configured, the workspace bound read-only (or writable if configured) as the
 * current directory, a timeout and output caps. Each program's arguments pass its {@link CommandPolicy} first,
 * since an allowed program can be told to run another one ({@code find -exec}, {@code sort --compress-program})
 * or to write files ({@code sort -o}, {@code uniq IN OUT}).
 */
// Two PIDs: the shared workspace (io.toka.tools.files) and its own. bnd's @Designate takes exactly one PID, so
// the Config annotation serves as the component property type only.
// immediate: a configuration naming a refused program fails activation at once, so the tool is never offered
@Component(service = Tool.class, immediate = true, configurationPid = {WorkspaceConfig.PID, RunCommandTool.PID})
@ToolName(RunCommandTool.NAME)
public final class RunCommandTool implements Tool {

    static final String NAME = "run-command";
    static final String PID = "io.toka.tools.command";

    /** Configuration (PID {@value RunCommandTool#PID}). */
    @ObjectClassDefinition(name = "Toka run-command tool", description = "Which programs run-command may run, and how.")
    public @interface Config {

        @AttributeDefinition(name = "Allowed commands", description = "Absolute paths of the programs that may be run; "
                + "a call names one by path or by file name. Entries may also be comma-separated. Only programs with "
                + "an argument policy are accepted (cat, date, echo, find, grep, head, ls, sha256sum, sleep, sort, "
                + "tail, uniq, wc); any other entry, and above all a program that runs other programs (env, xargs, "
                + "a shell, awk, sed, an interpreter), stops the tool from starting.")
        String[] allowedCommands() default {"/usr/bin/ls", "/usr/bin/cat", "/usr/bin/head", "/usr/bin/tail",
            "/usr/bin/wc", "/usr/bin/grep", "/usr/bin/sort", "/usr/bin/uniq", "/usr/bin/find", "/usr/bin/date",
            "/usr/bin/echo", "/usr/bin/sha256sum"};

        @AttributeDefinition(name = "Timeout (s)", description = "Longest run; a call may ask for less.", min = "1")
        int timeoutSeconds() default 30;

        @AttributeDefinition(name = "Output cap (bytes)", description = "Per stream; the rest is dropped and flagged.", min = "1")
        long maxOutputBytes() default 1024 * 1024;

        @AttributeDefinition(name = "Memory (bytes)", min = "1048576")
        long memoryBytes() default 256L * 1024 * 1024;

        @AttributeDefinition(name = "Processes", description = "Processes and threads per run.", min = "1")
        int maxProcesses() default 32;

        @AttributeDefinition(name = "Workspace writable",
                description = "Bind the workspace read-write instead of read-only.")
        boolean workspaceWritable() default false;

        @AttributeDefinition(name = "Allow network", description = "Give commands the host network.")
        boolean allowNetwork() default false;
    }

    private static final String SCHEMA = """
            {
              "$schema": "https://json-schema.org/draft/2020-12/schema",
              "type": "object",
              "properties": {
                "command": {"type": "string", "minLength": 1, "description": "An allowed program, by file name (e.g. \\"ls\\") or absolute path"},
                "args": {"type": "array", "items": {"type": "string"}, "maxItems": 1000, "description": "Arguments, passed as they are (no shell)"},
                "stdin": {"type": "string", "description": "Text written to the program's standard input"},
                "timeout_seconds": {"type": "integer", "minimum": 1, "description": "At most the configured timeout"}
              },
              "required": ["command"],
              "additionalProperties": false
            }""";

    /** The structured value of a result: the run report, whatever the exit code. */
    static final String OUTPUT_SCHEMA = """
            {
              "type": "object",
              "properties": {
                "command": {"type": "string"},
                "exit_code": {"type": "integer"},
                "stdout": {"type": "string"},
                "stderr": {"type": "string"},
                "stdout_truncated": {"type": "boolean"},
                "stderr_truncated": {"type": "boolean"},
                "timed_out": {"type": "boolean"},
                "limit_hit": {"type": ["string", "null"]},
                "duration_ms": {"type": "integer", "minimum": 0},
                "isolation": {"type": "string"}
              },
              "required": ["command", "exit_code", "stdout", "stderr", "stdout_truncated", "stderr_truncated",
                           "timed_out", "limit_hit", "duration_ms", "isolation"]
            }""";

    private final SandboxLauncher sandbox;
    private final Workspace workspace;
    /** An allowed program and its argument policy. */
    private record Program(String path, CommandPolicy policy) {
    }

    private final Map<String, Program> allowed; // by file name and by path
    private final List<String> allowedNames;
    private final Config config;
    private final ToolDescriptor descriptor;

    @Activate
    public RunCommandTool(@Reference SandboxLauncher sandbox, WorkspaceConfig workspace, Config config) {
        this(sandbox, Workspace.from(workspace), config);
    }

    RunCommandTool(SandboxLauncher sandbox, Workspace workspace, Config config) {
        this.sandbox = sandbox;
        this.workspace = workspace;
        this.config = config;
        this.allowed = new LinkedHashMap<>();
        List<String> names = new ArrayList<>();
        for (String entry : config.allowedCommands()) {
            for (String part : entry.split(",")) {
                String p = part.trim();
                if (p.isEmpty()) {
                    continue;
                }
                if (!p.startsWith("/")) {
                    throw new IllegalArgumentException("allowedCommands entry '" + p + "' must be an absolute path");
                }
                // refused here rather than at call time, so that a configuration naming a program that runs
                // other programs, or one without a policy, never yields a registered tool
                Program program = new Program(p, CommandPolicies.of(p));
                allowed.put(p, program);
                String file = Path.of(p).getFileName().toString();
                allowed.putIfAbsent(file, program);
                names.add(file);
            }
        }
        this.allowedNames = List.copyOf(names);
        this.descriptor = ToolDescriptor.builder(NAME)
                .version("1.0.0")
                .description("Runs an allowed program (" + String.join(", ", allowedNames) + ") in the sandbox, with "
                        + "arguments as a list, in the workspace directory; returns its output and exit code. Arguments "
                        + "that would run another program or write files (find -exec, sort -o) are refused.")
                .title("Run an allowed command")
                .inputSchema(SCHEMA)
                .outputSchema(OUTPUT_SCHEMA)
                .requiredPermissions("process:spawn")
                .destructive(config.workspaceWritable())
                .openWorld(config.allowNetwork())
                .timeout(Duration.ofSeconds(config.timeoutSeconds() + 5L))
                .build();
    }

    @Override
    public ToolDescriptor descriptor() {
        return descriptor;
    }

    @Override
    public ToolResult invoke(ToolInvocation invocation) throws ToolException {
        String command = invocation.stringArgument("command");
        Program allowedProgram = allowed.get(command);
        if (allowedProgram == null) {
            throw new ToolException("command '" + command + "' is not allowed; allowed: " + String.join(", ", allowedNames));
        }
        String program = allowedProgram.path();
        if (!Files.isExecutable(Path.of(program))) {
            throw new ToolException("command '" + command + "' is allowed but " + program + " is not installed");
        }
        List<String> argv = new ArrayList<>();
        argv.add(program);
        Object rawArgs = invocation.arguments().get("args");
        if (rawArgs instanceof List<?> list) {
            for (Object a : list) {
                String s = String.valueOf(a);
                if (s.indexOf('\0') >= 0) {
                    throw new ToolException("argument " + argv.size() + " contains a NUL character");
                }
                argv.add(s);
            }
        }
        allowedProgram.policy().check(argv.subList(1, argv.size()));
        int timeout = config.timeoutSeconds();
        if (invocation.arguments().get("timeout_seconds") instanceof Number n) {
            if (n.longValue() > timeout) {
                throw new ToolException("timeout_seconds " + n + " is over the configured maximum of " + timeout);
            }
            timeout = n.intValue();
        }
        Object stdin = invocation.arguments().get("stdin");
        SandboxLimits limits = SandboxLimits.DEFAULT
                .withTimeout(Duration.ofSeconds(timeout))
                .withMaxOutputBytes(config.maxOutputBytes())
                .withMemoryBytes(config.memoryBytes())
                .withMaxProcesses(config.maxProcesses());
        SandboxRequest.Builder request = SandboxRequest.builder(argv)
                .workingDirectory(workspace.root())
                .allowNetwork(config.allowNetwork())
                .limits(limits);
        if (config.workspaceWritable()) {
            request.writable(workspace.root());
        } else {
            request.readOnly(workspace.root());
        }
        if (stdin != null) {
            request.stdin(stdin.toString().getBytes(StandardCharsets.UTF_8));
        }
        SandboxResult r;
        try {
            r = sandbox.run(request.build());
        } catch (SandboxException e) {
            throw new ToolException(e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ToolException(NAME + " was interrupted; the command was killed");
        }
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("command", program);
        report.put("exit_code", r.exitCode());
        report.put("stdout", r.stdoutText());
        report.put("stderr", r.stderrText());
        report.put("stdout_truncated", r.stdoutTruncated());
        report.put("stderr_truncated", r.stderrTruncated());
        report.put("timed_out", r.timedOut());
        report.put("limit_hit", r.limitHit());
        report.put("duration_ms", r.duration().toMillis());
        report.put("isolation", r.isolation().name());
        if (r.timedOut()) {
            return ToolResult.failure(command + " timed out after " + timeout + " s and was killed", report);
        }
        if (r.exitCode() != 0) {
            return ToolResult.failure(command + " exited with code " + r.exitCode() + lastLine(r.stderrText()), report);
        }
        return ToolResult.success(r.stdoutText(), report);
    }

    private static String lastLine(String stderr) {
        String s = stderr.strip();
        if (s.isEmpty()) {
            return "";
        }
        int nl = s.lastIndexOf('\n');
        String line = nl < 0 ? s : s.substring(nl + 1);
        return ": " + (line.length() > 300 ? line.substring(0, 300) + "…" : line);
    }
}
