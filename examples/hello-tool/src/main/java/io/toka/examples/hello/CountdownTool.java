package io.toka.examples.hello;

import io.toka.tool.CallObserver.LogLevel;
import io.toka.tool.Tool;
import io.toka.tool.ToolDescriptor;
import io.toka.tool.ToolException;
import io.toka.tool.ToolInvocation;
import io.toka.tool.ToolName;
import io.toka.tool.ToolResult;
import java.time.Duration;
import java.util.Map;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;

/**
 * Counts down slowly, reporting progress and a log message at every step: shows a long-running tool that a caller
 * can follow (MCP progress notifications) and cancel (its thread is interrupted, and it stops at once).
 */
@Component(service = Tool.class)
@ToolName("countdown")
public final class CountdownTool implements Tool {

    static final int MAX_STEPS = 100;
    static final int MAX_DELAY_MS = 10_000;

    private final ToolDescriptor descriptor;

    @Activate
    public CountdownTool(BundleContext context) {
        this(context.getBundle().getVersion().toString()); // the jar's Bundle-Version
    }

    CountdownTool(String version) {
        descriptor = ToolDescriptor.builder("countdown")
                .version(version)
                .title("Count down")
                .description("Counts down the given number of steps, waiting delayMs before each, and reports "
                        + "progress at every step.")
                .inputSchema("""
                        {"type": "object",
                         "properties": {
                           "steps": {"type": "integer", "minimum": 1, "maximum": %d, "default": 5,
                                     "description": "how many steps"},
                           "delayMs": {"type": "integer", "minimum": 0, "maximum": %d, "default": 200,
                                       "description": "milliseconds to wait before each step"}},
                         "additionalProperties": false}""".formatted(MAX_STEPS, MAX_DELAY_MS))
                .outputSchema("""
                        {"type": "object",
                         "properties": {"steps": {"type": "integer", "minimum": 1, "maximum": %d}},
                         "required": ["steps"]}""".formatted(MAX_STEPS))
                .readOnly(true)
                .idempotent(true)
                // the longest countdown the schema allows, 100 steps of 10 s, and a little more
                .timeout(Duration.ofMillis((long) MAX_STEPS * MAX_DELAY_MS).plusSeconds(10))
                .build();
    }

    @Override
    public ToolDescriptor descriptor() {
        return descriptor;
    }

    @Override
    public ToolResult invoke(ToolInvocation invocation) throws ToolException {
        int steps = integer(invocation, "steps", 5, 1, MAX_STEPS);
        int delayMs = integer(invocation, "delayMs", 200, 0, MAX_DELAY_MS);
        for (int i = 1; i <= steps; i++) {
            try {
                Thread.sleep(delayMs);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt(); // the caller cancelled or the call timed out
                return ToolResult.failure("interrupted at step " + i);
            }
            String step = "step " + i + " of " + steps;
            invocation.progress(i, (double) steps, step);
            invocation.log(LogLevel.INFO, "countdown: " + step + ", " + (steps - i) + " to go");
        }
        return ToolResult.success("Counted down " + steps + (steps == 1 ? " step." : " steps."),
                Map.of("steps", steps));
    }

    /** An integer argument within bounds; the registry has checked the schema, this guards direct calls. */
    private static int integer(ToolInvocation invocation, String name, int defaultValue, int min, int max)
            throws ToolException {
        Object v = invocation.arguments().get(name);
        if (v == null) {
            return defaultValue;
        }
        if (!(v instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue())
                || n.doubleValue() < min || n.doubleValue() > max) {
            throw new ToolException("argument '" + name + "' must be an integer from " + min + " to " + max);
        }
        return n.intValue();
    }
}
