package io.toka.engine.process.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.toka.runtime.execution.ExecutionEngine;
import io.toka.runtime.execution.ExecutionResult.ResourceUsage;
import io.toka.sandbox.SandboxException;
import io.toka.sandbox.SandboxLauncher;
import io.toka.sandbox.SandboxLimits;
import io.toka.sandbox.SandboxRequest;
import io.toka.sandbox.SandboxResult;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An engine whose code runs as an interpreter process in the sandbox: the code is the file {@code /work/<file>} in
 * the run's private work directory, the inputs are JSON on standard input, and the network is off unless
 * configured. Nothing is prepared: the interpreter parses the code when it runs.
 */
abstract class ProcessEngine implements ExecutionEngine {

    private static final Logger LOG = LoggerFactory.getLogger(ProcessEngine.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(10);

    private final SandboxLauncher sandbox;
    private final String interpreter;
    private final String language;
    private final String fileName;
    private final boolean allowNetwork;
    private final int maxProcesses;
    private volatile String version;

    ProcessEngine(SandboxLauncher sandbox, String language, String interpreter, String fileName, ProcessConfig config) {
        if (!interpreter.startsWith("/") || !Files.isRegularFile(Path.of(interpreter))) {
            throw new IllegalArgumentException("the " + language + " interpreter must be an absolute path to an "
                    + "existing file, not '" + interpreter + "' (" + ProcessConfig.PID + ")");
        }
        if (config.maxProcesses() < 1) {
            throw new IllegalArgumentException("maxProcesses must be at least 1, not " + config.maxProcesses()
                    + " (" + ProcessConfig.PID + ")");
        }
        this.sandbox = sandbox;
        this.language = language;
        this.interpreter = interpreter;
        this.fileName = fileName;
        this.allowNetwork = config.allowNetwork();
        this.maxProcesses = config.maxProcesses();
    }

    @Override
    public final String language() {
        return language;
    }

    /** The interpreter's version, asked once by running it in the sandbox with {@code --version}. */
    @Override
    public final String version() {
        String v = version;
        if (v == null) {
            synchronized (this) {
                v = version;
                if (v == null) {
                    v = probeVersion();
                    version = v;
                }
            }
        }
        return v;
    }

    private String probeVersion() {
        try {
            SandboxResult r = sandbox.run(SandboxRequest.builder(interpreter, "--version")
                    .limits(SandboxLimits.DEFAULT.withTimeout(PROBE_TIMEOUT)).build());
            String text = (r.stdoutText() + "\n" + r.stderrText()).strip();
            String first = text.lines().findFirst().orElse("").strip();
            if (r.success() && !first.isEmpty()) {
                return versionOf(first);
            }
            LOG.warn("{} --version failed with exit code {}: {}", interpreter, r.exitCode(), text);
        } catch (SandboxException e) {
            LOG.warn("Cannot run {} --version: {}", interpreter, e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return language + " (version unknown)";
    }

    /** The version to report, from the first line of {@code --version}. */
    abstract String versionOf(String firstLine);

    /**
     * Extra arguments before the code file.
     *
     * @return the arguments; empty for none
     */
    List<String> interpreterOptions() {
        return List.of();
    }

    /** Environment for the interpreter, beyond the sandbox's PATH, HOME and LANG. */
    Map<String, String> environment() {
        return Map.of();
    }

    /**
     * Turns a failed run into a {@link CodeException} when its standard error shows a syntax error, so that the
     * caller gets the message and line.
     *
     * @throws CodeException for a syntax error
     */
    void checkSyntaxError(String stderr) throws CodeException {
    }

    @Override
    public Object prepare(String code) throws CodeException {
        if (code == null || code.isBlank()) {
            throw new CodeException("the " + language + " code is empty", 0);
        }
        return code;
    }

    @Override
    public EngineResult run(Object prepared, Call call) throws CodeException, InterruptedException {
        byte[] stdin;
        try {
            stdin = JSON.writeValueAsBytes(call.inputs());
        } catch (JsonProcessingException e) {
            throw new CodeException("the inputs cannot be written as JSON: " + e.getOriginalMessage(), 0);
        }
        SandboxLimits limits = SandboxLimits.DEFAULT.withTimeout(call.timeout()).withMemoryBytes(call.memoryBytes())
                .withMaxOutputBytes(call.maxOutputBytes()).withMaxProcesses(maxProcesses);
        SandboxRequest.Builder request = SandboxRequest.builder(command())
                .file(fileName, ((String) prepared).getBytes(StandardCharsets.UTF_8))
                .stdin(stdin)
                .allowNetwork(allowNetwork)
                .limits(limits);
        environment().forEach(request::env);
        SandboxResult r;
        try {
            r = sandbox.run(request.build());
        } catch (SandboxException e) {
            LOG.warn("Cannot start {} code: {}", language, e.getMessage());
            return new EngineResult(false, null, "cannot start " + language + ": " + e.getMessage(), null,
                    ResourceUsage.UNKNOWN);
        }
        String stdout = r.stdoutText();
        String stderr = r.stderrText();
        ResourceUsage usage = new ResourceUsage(r.peakMemoryBytes(), r.cpuTimeMillis());
        if (r.timedOut()) {
            return new EngineResult(false, stdout, "timed out after " + human(call.timeout()), null, usage);
        }
        if (r.exitCode() != 0) {
            checkSyntaxError(stderr);
            return new EngineResult(false, stdout, failure(r, call, stderr), r.exitCode(), usage);
        }
        String note = r.stdoutTruncated() ? "output truncated at " + call.maxOutputBytes() + " bytes" : null;
        return new EngineResult(true, stdout, note, 0, usage);
    }

    private List<String> command() {
        List<String> argv = new java.util.ArrayList<>();
        argv.add(interpreter);
        argv.addAll(interpreterOptions());
        argv.add(SandboxRequest.WORK_DIR + "/" + fileName);
        return argv;
    }

    private static String failure(SandboxResult r, Call call, String stderr) {
        String limit = r.limitHit();
        String why = limit == null ? null : switch (limit) {
            case "memory" -> "killed: memory limit of " + (call.memoryBytes() >> 20) + " MiB";
            case "cpu" -> "killed: CPU time limit";
            case "file-size" -> "killed: file size limit";
            default -> "killed: " + limit + " limit";
        };
        String err = stderr.strip();
        if (why != null) {
            return err.isEmpty() ? why : why + "\n" + err;
        }
        return err.isEmpty() ? "exited with code " + r.exitCode() : err;
    }

    static String human(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
    }
}
