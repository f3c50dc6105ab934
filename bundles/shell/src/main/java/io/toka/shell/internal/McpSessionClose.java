package io.toka.shell.internal;

import io.toka.security.ShellSecurity;
import io.toka.shell.internal.mcp.McpSessionTable;
import java.util.List;
import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.osgi.framework.BundleContext;

/** {@code toka:mcp-close <id>}: ends an MCP session; its client gets 404 and has to initialize again. */
@Command(scope = "toka", name = "mcp-close",
        description = "Ends an MCP session: its streams close and its id stops working")
@Service
public class McpSessionClose implements Action {

    @Reference
    ShellSecurity security;

    @Reference
    BundleContext context;

    @Argument(index = 0, name = "id", description = "The session id, or a unique start of it (toka:mcp-sessions "
            + "lists them)", required = true)
    String id;

    @Override
    public Object execute() throws Exception {
        security.currentUser().authorize("mcp.session.close:" + id, List.of(McpLookup.CLOSE));
        McpLookup.with(context, sessions -> McpSessionTable.close(sessions, id, System.out));
        return null;
    }
}
