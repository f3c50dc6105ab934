package io.toka.shell.internal;

import io.toka.security.Permissions;
import io.toka.security.ShellSecurity;
import java.util.List;

import io.toka.runtime.registry.RegisteredTool;
import io.toka.runtime.registry.ToolRegistry;
import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.table.ShellTable;

/** {@code toka:tool-list}: every tool, sorted by name. */
@Command(scope = "toka", name = "tool-list", description = "Lists the tools, sorted by name")
@Service
public class ListTools implements Action {

    @Reference
    ToolRegistry registry;

    @Reference
    ShellSecurity security;

    @Override
    public Object execute() {
        security.currentUser().authorize("tool.list", List.of(Permissions.TOOL_READ));
        ShellTable table = new ShellTable();
        table.column("Name");
        table.column("Version");
        table.column("Bundle");
        table.column("Description").maxSize(60);
        for (RegisteredTool t : registry.list()) {
            String bundle = t.provider().bundleSymbolicName() + "/" + t.provider().bundleVersion()
                    + (t.shadowed().isEmpty() ? "" : " (+" + t.shadowed().size() + " shadowed)");
            table.addRow().addContent(t.name(), t.descriptor().version(), bundle, t.descriptor().description());
        }
        table.print(System.out);
        return null;
    }
}
