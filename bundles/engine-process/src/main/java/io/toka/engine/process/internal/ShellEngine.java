package io.toka.engine.process.internal;

import io.toka.runtime.execution.ExecutionEngine;
import io.toka.sandbox.SandboxLauncher;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/** Language {@code shell}: the code is a bash script, run as {@code bash /work/main.sh}. */
@Component(service = ExecutionEngine.class, configurationPid = ProcessConfig.PID)
@EngineLanguage(ShellEngine.LANGUAGE_NAME)
public final class ShellEngine extends ProcessEngine {

    static final String LANGUAGE_NAME = "shell";

    @Activate
    public ShellEngine(@Reference(name = "sandbox") SandboxLauncher sandbox, ProcessConfig config) {
        super(sandbox, LANGUAGE_NAME, config.bashPath(), "main.sh", config);
    }

    /** {@code GNU bash, version 5.2.15(1)-release (x86_64-pc-linux-gnu)} becomes {@code bash 5.2.15(1)-release}. */
    @Override
    String versionOf(String firstLine) {
        var m = java.util.regex.Pattern.compile("version (\\S+)").matcher(firstLine);
        return m.find() ? "bash " + m.group(1) : firstLine;
    }
}
