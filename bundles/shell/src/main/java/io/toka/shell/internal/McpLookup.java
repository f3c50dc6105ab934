package io.toka.shell.internal;

import io.toka.security.Permissions;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;

/**
 * Finds the MCP session service when a command runs. The MCP feature is optional: the shell bundle imports
 * {@code io.toka.mcp} optionally, and no command class names its types (Karaf inspects the command classes when the
 * bundle starts, and a missing type there would drop the command). The types are used only in
 * {@code io.toka.shell.internal.mcp}, once the service is there.
 */
final class McpLookup {

    /** The service's interface name, looked up by name so that this class does not link to it. */
    static final String SERVICE = "io.toka.mcp.McpSessions";
    /** The permission to list MCP sessions. */
    static final String READ = Permissions.MCP_SESSION_READ;
    /** The permission to end an MCP session. */
    static final String CLOSE = Permissions.MCP_SESSION_CLOSE;

    static final String NOT_INSTALLED = "MCP is not installed: no MCP session service is running (install Toka's MCP "
            + "feature, or check toka's MCP bundle with bundle:list)";

    /** What a command does with the service. */
    @FunctionalInterface
    interface Use {
        void accept(Object sessions) throws Exception;
    }

    private McpLookup() {
    }

    /**
     * Runs {@code use} with the MCP session service, released afterwards.
     *
     * @param context the shell bundle's context
     * @param use what to do; it gets an {@code io.toka.mcp.McpSessions}
     * @throws IllegalStateException if MCP is not installed, or the shell bundle is not wired to its API
     * @throws Exception what {@code use} throws
     */
    static void with(BundleContext context, Use use) throws Exception {
        ServiceReference<?> ref = context.getServiceReference(SERVICE);
        Object service = ref == null ? null : context.getService(ref);
        if (service == null) {
            throw new IllegalStateException(NOT_INSTALLED);
        }
        try {
            if (!ref.isAssignableTo(context.getBundle(), SERVICE)) {
                throw new IllegalStateException(rewire());
            }
            use.accept(service);
        } catch (NoClassDefFoundError | ClassCastException e) {
            throw new IllegalStateException(rewire());
        } finally {
            context.ungetService(ref);
        }
    }

    private static String rewire() {
        return "MCP was installed after the shell commands were resolved, so they do not see its API yet: run "
                + "bundle:refresh io.toka.shell";
    }
}
