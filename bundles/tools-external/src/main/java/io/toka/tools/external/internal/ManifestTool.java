package io.toka.tools.external.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.toka.sandbox.Isolation;
import io.toka.sandbox.SandboxException;
import io.toka.sandbox.SandboxLauncher;
import io.toka.sandbox.SandboxRequest;
import io.toka.sandbox.SandboxResult;
import io.toka.tool.Tool;
import io.toka.tool.ToolDescriptor;
import io.toka.tool.ToolException;
import io.toka.tool.ToolInvocation;
import io.toka.tool.ToolResult;
import io.toka.tools.external.internal.Manifest.ArgumentMode;
import io.toka.tools.external.internal.Manifest.Parameter;
import java.nio.charset.StandardCharsets;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A tool backed by a manifest: each call runs the script once in the sandbox.
 *
 * <p>Arguments reach the program as an argv list (never a shell string) or as JSON on standard input, so no value a
 * caller sends is ever interpreted by a shell. Absent arguments that declare a default get it.
 */
final class ManifestTool implements Tool {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TypeReference<Map<String, Object>> OBJECT = new TypeReference<>() { };

    private final Manifest manifest;
    private final SandboxLauncher launcher;
    private final ToolDescriptor descriptor;
    /** Held for the whole call when the manifest says {@code parallel_safe: false}; {@code null} otherwise. */
    private final ReentrantLock serial;

    ManifestTool(Manifest manifest, SandboxLauncher launcher) {
        this.manifest = manifest;
        this.launcher = launcher;
        this.descriptor = ToolDescriptor.builder(manifest.name())
                .version(manifest.version())
                .description(manifest.description())
                .title(manifest.title())
                .inputSchema(manifest.inputSchema())
                .outputSchema(manifest.outputSchema())
                .requiredPermissions(manifest.permissions())
                .readOnly(false)
                .openWorld(manifest.allowNetwork())
                .timeout(manifest.toolTimeout())
                .build();
        this.serial = manifest.parallelSafe() ? null : new ReentrantLock(true);
    }

    Manifest manifest() {
        return manifest;
    }

    @Override
    public ToolDescriptor descriptor() {
        return descriptor;
    }

    @Override
    public ToolResult invoke(ToolInvocation invocation) throws ToolException {
        try {
            if (serial == null) {
                return run(invocation);
            }
            long waitNanos = Math.max(1, invocation.remaining().toNanos());
            if (!serial.tryLock(waitNanos, TimeUnit.NANOSECONDS)) {
                throw new ToolException(manifest.name() + " runs one call at a time (parallel_safe: false) and the "
                        + "previous call did not finish before this call's deadline");
            }
            try {
                return run(invocation);
            } finally {
                serial.unlock();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ToolException("interrupted", e);
        }
    }

    private ToolResult run(ToolInvocation invocation) throws ToolException, InterruptedException {
        Map<String, Object> args = withDefaults(invocation.arguments());
        List<String> command = new ArrayList<>();
        byte[] script = null;
        if (manifest.interpreter() != null) {
            // The interpreter reads a copy in the private work directory: the script runs wherever it lives on
            // the host (even in a directory the sandbox user cannot reach), and a script edited mid-call cannot
            // change a run already started.
            script = readScript();
            command.add(manifest.interpreter().toString());
            command.add(SandboxRequest.WORK_DIR + "/" + manifest.executable().getFileName());
        } else {
            command.add(manifest.executable().toString());
        }
        SandboxRequest.Builder b;
        if (manifest.arguments() == ArgumentMode.ARGV) {
            command.addAll(argv(args));
            b = SandboxRequest.builder(command);
        } else {
            b = SandboxRequest.builder(command).stdin(json(args).getBytes(StandardCharsets.UTF_8));
        }
        if (script != null) {
            b.file(manifest.executable().getFileName().toString(), script);
        }
        b.env("TOKA_TOOL", manifest.name()).env("TOKA_CALLER", invocation.caller())
                .allowNetwork(manifest.allowNetwork()).limits(manifest.limits());
        if (manifest.workingDirectory() != null) {
            b.workingDirectory(manifest.workingDirectory());
        }
        manifest.readOnlyPaths().forEach(b::readOnly);
        manifest.writablePaths().forEach(b::writable);
        SandboxResult r;
        try {
            r = launcher.run(b.build());
        } catch (SandboxException e) {
            throw new ToolException(e.getMessage(), e);
        }
        Map<String, Object> report = report(r);
        if (r.timedOut()) {
            return ToolResult.failure(manifest.name() + " timed out after " + Units.human(manifest.limits().timeout()),
                    report);
        }
        if (r.exitCode() != 0) {
            String last = lastLine(r.stderrText());
            String limit = r.limitHit() != null ? " (" + r.limitHit() + " limit hit)" : "";
            return ToolResult.failure(manifest.name() + " exited with code " + r.exitCode() + limit
                    + (last.isEmpty() ? "" : ": " + last), report);
        }
        if (manifest.outputSchema() == null) {
            return ToolResult.success(r.stdoutText(), report);
        }
        return structured(r, report);
    }

    /**
     * A tool with an output schema prints one JSON object on standard output: it is the structured result (the
     * registry checks it against the schema), and the text is the output as printed.
     */
    private ToolResult structured(SandboxResult r, Map<String, Object> report) {
        String out = r.stdoutText();
        if (r.stdoutTruncated()) {
            return ToolResult.failure(manifest.name() + " declares an outputSchema but its output was cut at the "
                    + "output limit, so it is not a whole JSON object", report);
        }
        JsonNode node;
        try {
            node = JSON.reader().with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS).readTree(out);
        } catch (JsonProcessingException e) {
            return ToolResult.failure(manifest.name() + " declares an outputSchema but its output is not JSON ("
                    + e.getOriginalMessage() + ")", report);
        }
        if (node == null || !node.isObject()) {
            return ToolResult.failure(manifest.name() + " declares an outputSchema but its output is "
                    + (node == null || node.isMissingNode() ? "empty" : "a JSON " + node.getNodeType().name()
                            .toLowerCase(java.util.Locale.ROOT)) + ", not a JSON object", report);
        }
        return ToolResult.success(out, JSON.convertValue(node, OBJECT));
    }

    /** Largest script copied into the sandbox. */
    static final long MAX_SCRIPT_BYTES = 4L << 20;

    private byte[] readScript() throws ToolException {
        Path path = manifest.executable();
        try {
            long size = Files.size(path);
            if (size > MAX_SCRIPT_BYTES) {
                throw new ToolException(manifest.name() + ": script " + path + " is " + size + " bytes, over the limit of "
                        + MAX_SCRIPT_BYTES);
            }
            return Files.readAllBytes(path);
        } catch (NoSuchFileException e) {
            throw new ToolException(manifest.name() + ": script " + path + " no longer exists");
        } catch (IOException e) {
            throw new ToolException(manifest.name() + ": cannot read script " + path + ": " + e.getMessage(), e);
        }
    }

    private Map<String, Object> withDefaults(Map<String, Object> given) {
        Map<String, Object> out = new LinkedHashMap<>(given);
        for (Parameter p : manifest.parameters()) {
            if (p.defaultValue() != null && out.get(p.name()) == null) {
                out.put(p.name(), p.defaultValue());
            }
        }
        return out;
    }

    /** {@code --name value} for each parameter with a value, in declaration order. */
    List<String> argv(Map<String, Object> args) throws ToolException {
        List<String> out = new ArrayList<>();
        for (Parameter p : manifest.parameters()) {
            Object v = args.get(p.name());
            if (v == null) {
                continue;
            }
            out.add("--" + p.name());
            out.add(v instanceof String s ? s : json(v));
        }
        return out;
    }

    private static String json(Object value) throws ToolException {
        try {
            return JSON.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new ToolException("the arguments cannot be written as JSON", e);
        }
    }

    private static Map<String, Object> report(SandboxResult r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("exit_code", r.exitCode());
        m.put("stdout", r.stdoutText());
        m.put("stderr", r.stderrText());
        m.put("stdout_truncated", r.stdoutTruncated());
        m.put("stderr_truncated", r.stderrTruncated());
        m.put("timed_out", r.timedOut());
        m.put("limit_hit", r.limitHit());
        Duration d = r.duration();
        m.put("duration_ms", d == null ? -1 : d.toMillis());
        m.put("isolation", r.isolation() == null ? null : r.isolation().name());
        if (r.isolation() == Isolation.Level.DEGRADED) {
            m.put("degraded", true);
        }
        return m;
    }

    private static String lastLine(String text) {
        String[] lines = text.strip().split("\\R");
        String last = lines.length == 0 ? "" : lines[lines.length - 1].strip();
        return last.length() > 500 ? last.substring(0, 500) + "…" : last;
    }

    @Override
    public String toString() {
        return "ManifestTool[" + manifest.name() + " " + manifest.version() + " from " + manifest.file() + "]";
    }

    /** @return the manifest file */
    Path file() {
        return manifest.file();
    }
}
