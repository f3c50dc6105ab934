package io.toka.examples.hello;

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

/** Greets someone. Copy this bundle to write your own tool. */
@Component(service = Tool.class)
@ToolName("hello")
public final class HelloTool implements Tool {

    private final ToolDescriptor descriptor;

    @Activate
    public HelloTool(BundleContext context) {
        descriptor = ToolDescriptor.builder("hello")
                .version(context.getBundle().getVersion().toString()) // the jar's Bundle-Version
                .title("Say hello")
                .description("Greets someone by name.")
                .inputSchema("""
                        {"type": "object",
                         "properties": {"name": {"type": "string", "minLength": 1, "maxLength": 100}},
                         "additionalProperties": false}""")
                .readOnly(true)
                .idempotent(true)
                .timeout(Duration.ofSeconds(2))
                .build();
    }

    @Override
    public ToolDescriptor descriptor() {
        return descriptor;
    }

    @Override
    public ToolResult invoke(ToolInvocation invocation) throws ToolException {
        String name = invocation.stringArgument("name");
        String greeting = "Hello, " + (name == null ? "world" : name) + "! (hello " + descriptor.version() + ")";
        return ToolResult.success(greeting, Map.of("greeting", greeting, "version", descriptor.version()));
    }
}
