package io.toka.shell.internal;

import io.toka.security.ShellSecurity;
import io.toka.shell.internal.mcp.McpSessionTable;
import java.time.Instant;
import java.util.List;
import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.osgi.framework.BundleContext;

/** {@code toka:mcp-sessions}: the MCP sessions Toka holds, oldest first. */
@Command(scope = "toka", name = "mcp-sessions",
        description = "Lists the MCP sessions: id, subject, protocol, client, age, idle time and open streams")
@Service
public class McpSessionList implements Action {

    @Reference
    ShellSecurity security;

    @Reference
    BundleContext context;

    @Override
    public Object execute() throws Exception {
        security.currentUser().authorize("mcp.session.list", List.of(McpLookup.READ));
        McpLookup.with(context, sessions -> McpSessionTable.print(sessions, Instant.now(), System.out));
        return null;
    }
}
