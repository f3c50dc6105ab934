package io.toka.shell.internal;

import io.toka.runtime.registry.ToolCallResult;
import io.toka.runtime.registry.ToolRegistry;
import io.toka.security.SecurityContext;
import java.util.List;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.toka.runtime.execution.ExecutionException;
import io.toka.runtime.execution.ExecutionLimits;
import io.toka.runtime.execution.ExecutionModel;
import io.toka.runtime.execution.ExecutionRequest;
import io.toka.runtime.execution.ExecutionResult;
import io.toka.runtime.execution.RuntimeManager;
import io.toka.security.ShellSecurity;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;

/**
 * {@code toka:exec --lang python -c 'print(1+1)'} (or {@code --file}): runs code through the runtime manager, as the
 * logged-in user (who needs {@code code:execute:<language>}), and prints its output.
 */
@Command(scope = "toka", name = "exec", description = "Runs code (shell, python, javascript, wasm, ...) in the runtime")
@Service
public class Exec implements Action {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    @Reference
    RuntimeManager runtime;

    @Reference
    ShellSecurity security;

    @Reference
    ToolRegistry tools;

    @Option(name = "--lang", aliases = "-l", required = true, description = "The language: shell, python, javascript, wasm, ...")
    String language;

    @Option(name = "-c", aliases = "--code", description = "The code")
    String code;

    @Option(name = "--file", aliases = "-f", description = "Run the code in this workspace file, read as you through the "
            + "file-reader tool (for wasm: the module, as inputs.module_path)")
    String file;

    @Option(name = "--inputs", aliases = "-i", description = "Inputs as a JSON object, e.g. '{\"x\":2}' (wasm: {\"function\":\"add\",\"args\":[40,2]})")
    String inputs;

    @Option(name = "--timeout", aliases = "-t", description = "Timeout in seconds")
    long timeoutSeconds;

    @Option(name = "--verbose", aliases = "-v", description = "Also print engine, exit code, duration and resource use")
    boolean verbose;

    @Override
    public Object execute() throws Exception {
        if ((code == null) == (file == null)) {
            throw new IllegalArgumentException("give the code with -c '...' or --file <path>, one of them");
        }
        SecurityContext caller = security.currentUser();
        String lang = language.trim();
        @SuppressWarnings("unchecked")
        Map<String, Object> in = inputs == null ? Map.of() : MAPPER.readValue(inputs, Map.class);
        String source = code;
        if (file != null) {
            // Toka's JVM reads no host file for a shell user: the code must come from the workspace, read with the
            // user's own rights, and only once the user may run this language at all
            caller.authorize("code.execute:" + lang, List.of("code:execute:" + lang));
            if ("wasm".equals(lang)) {
                in = new java.util.LinkedHashMap<>(in);
                in.put("module_path", file);
                source = "";
            } else {
                source = read(caller);
            }
        }
        ExecutionLimits limits = new ExecutionLimits(timeoutSeconds > 0 ? Duration.ofSeconds(timeoutSeconds) : null, 0, 0);
        ExecutionResult r;
        try {
            r = runtime.execute(new ExecutionRequest(new ExecutionModel.DynamicCode(lang, source, in), caller, limits));
        } catch (ExecutionException e) {
            throw new IllegalArgumentException(e.getMessage());
        }
        if (r.output() != null && !r.output().isEmpty()) {
            System.out.print(r.output().endsWith("\n") ? r.output() : r.output() + "\n");
        }
        if (verbose || !r.success()) {
            System.out.printf("[%s %s, %s, exit %s, %d ms, peak memory %s, cpu %s]%n", r.engine(), r.engineVersion(),
                    r.success() ? "success" : "failure", r.exitCode() == null ? "-" : r.exitCode(), r.durationMs(),
                    r.resourceUsage().peakMemoryBytes() < 0 ? "n/a" : r.resourceUsage().peakMemoryBytes() / 1024 + " KiB",
                    r.resourceUsage().cpuTimeMs() < 0 ? "n/a" : r.resourceUsage().cpuTimeMs() + " ms");
        }
        if (!r.success()) {
            throw new IllegalStateException(r.error() == null ? "the code failed" : r.error().strip());
        }
        return null;
    }

    /** The file's text, read through the file-reader tool as the caller: its permissions and workspace apply. */
    private String read(SecurityContext caller) throws Exception {
        ToolCallResult r = tools.invoke("file-reader", Map.of("path", file), caller);
        if (!r.isSuccess()) {
            throw new IllegalArgumentException("cannot read '" + file + "': " + r.result().output());
        }
        return r.result().output();
    }
}
