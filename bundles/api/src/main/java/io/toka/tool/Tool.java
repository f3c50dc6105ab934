package io.toka.tool;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Something an agent may do. Implemented by tool bundles and registered as an OSGi service.
 *
 * <p>Every {@code Tool} service must carry the service property {@link #NAME}, whose value equals
 * {@code descriptor().name()}. The registry reads the name from the property, so a tool can be listed
 * without being activated. With Declarative Services:
 *
 * <pre>{@code
 * @Component(service = Tool.class)
 * @ToolName("hello")
 * public final class HelloTool implements Tool { ... }
 * }</pre>
 *
 * <p>Implementations must be thread-safe: the registry calls {@link #invoke} from many threads at once.
 */
@ConsumerType
public interface Tool {

    /** Service property holding the tool's name, e.g. {@code file-reader}. Required on every Tool service. */
    String NAME = "toka.tool.name";

    /**
     * Describes this tool: name, version, input schema, permissions, hints and timeout.
     *
     * @return the descriptor; never {@code null}, and the same value on every call
     */
    ToolDescriptor descriptor();

    /**
     * Runs the tool once.
     *
     * <p>The arguments have already been validated against {@link ToolDescriptor#inputSchema()}. The call
     * runs under the deadline in {@link ToolInvocation#deadline()}: when it passes, the calling thread is
     * interrupted and the caller receives a failure, so long-running tools should honour interruption.
     *
     * @param invocation the arguments, the caller's identity and the deadline; never {@code null}
     * @return the result; {@code null} is treated as a failure
     * @throws ToolException when the tool fails in a way the caller should hear about; its message is
     *     shown to the caller, its cause is only logged
     */
    ToolResult invoke(ToolInvocation invocation) throws ToolException;
}
