package io.toka.runtime.registry;

import io.toka.tool.ToolDescriptor;
import java.util.List;

/**
 * A tool as the registry sees it.
 *
 * @param descriptor the winning service's descriptor
 * @param provider the winning service
 * @param shadowed services with the same name that lost (lower ranking, or older); best first
 */
public record RegisteredTool(ToolDescriptor descriptor, ToolProvider provider, List<ToolProvider> shadowed) {

    /** @return the tool name */
    public String name() {
        return descriptor.name();
    }
}
