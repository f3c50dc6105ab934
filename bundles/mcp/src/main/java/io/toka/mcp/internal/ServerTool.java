package io.toka.mcp.internal;

import io.toka.runtime.registry.CallOptions;
import io.toka.runtime.registry.InvalidArgumentsException;
import io.toka.runtime.registry.ToolCallResult;
import io.toka.security.SecurityContext;
import io.toka.tool.ToolDescriptor;
import java.util.Map;

/**
 * A tool the MCP server offers itself, next to the registry's: a front for a Toka service that is not a tool (the
 * agents). It decides its own visibility with the permissions the service's REST resource asks for, and enforces
 * them again, audited, when called.
 */
public interface ServerTool {

    /** The name, schemas, annotations and the permissions it needs. */
    ToolDescriptor descriptor();

    /** @return whether the caller may see it (not audited: {@link SecurityContext#isPermitted}) */
    boolean visible(SecurityContext caller);

    /**
     * Runs it.
     *
     * @throws InvalidArgumentsException for arguments that do not fit the input schema
     * @throws io.toka.security.AccessDeniedException if the caller lacks a permission (audited)
     */
    ToolCallResult call(Map<String, Object> arguments, SecurityContext caller, CallOptions options)
            throws InvalidArgumentsException;
}
