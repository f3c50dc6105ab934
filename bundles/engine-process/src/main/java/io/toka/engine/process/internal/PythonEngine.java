package io.toka.engine.process.internal;

import io.toka.runtime.execution.ExecutionEngine;
import io.toka.sandbox.SandboxLauncher;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.Designate;

/** Language {@code python}: the code runs as {@code python3 -I /work/main.py}. */
@Component(service = ExecutionEngine.class, configurationPid = ProcessConfig.PID)
@Designate(ocd = ProcessConfig.class)
@EngineLanguage(PythonEngine.LANGUAGE_NAME)
public final class PythonEngine extends ProcessEngine {

    static final String LANGUAGE_NAME = "python";

    private static final Pattern MAIN_LINE = Pattern.compile("File \"/work/main\\.py\", line (\\d+)");
    private static final Pattern SYNTAX = Pattern.compile("^((?:SyntaxError|IndentationError|TabError): .*)$",
            Pattern.MULTILINE);

    @Activate
    public PythonEngine(@Reference(name = "sandbox") SandboxLauncher sandbox, ProcessConfig config) {
        super(sandbox, LANGUAGE_NAME, config.pythonPath(), "main.py", config);
    }

    /** {@code Python 3.11.2} as it is. */
    @Override
    String versionOf(String firstLine) {
        return firstLine;
    }

    /** Isolated mode: no user site-packages, no PYTHON* variables; no bytecode files written. */
    @Override
    List<String> interpreterOptions() {
        return List.of("-I", "-B");
    }

    @Override
    Map<String, String> environment() {
        return Map.of("PYTHONIOENCODING", "utf-8");
    }

    /** A syntax error in main.py (not one raised at run time by compile() or an import) names its line. */
    @Override
    void checkSyntaxError(String stderr) throws CodeException {
        if (stderr.startsWith("  File \"/work/main.py\"")) {
            Matcher line = MAIN_LINE.matcher(stderr);
            Matcher syntax = SYNTAX.matcher(stderr);
            if (line.find() && syntax.find()) {
                throw new CodeException(syntax.group(1), Integer.parseInt(line.group(1)));
            }
        }
    }
}
