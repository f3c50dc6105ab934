package io.toka.runtime.registry;

import java.util.Set;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * Whiteboard: register a service of this type to hear when the tools change. The registry calls every listener
 * after a tool is added or removed, or after the service that answers for a name changes (a new version swapped in,
 * a shadowing service coming or going). MCP uses it for {@code notifications/tools/list_changed}.
 *
 * <p>Called on a registry thread, outside any registry lock, in the order the changes happened; a listener must
 * return quickly and must not throw (an exception is logged and ignored).
 */
@ConsumerType
public interface ToolRegistryListener {

    /**
     * @param names the names whose winning service changed (added, removed or replaced); never empty
     */
    void toolsChanged(Set<String> names);
}
