package io.toka.shell.internal;

import io.toka.runtime.registry.ToolProblem;
import io.toka.runtime.registry.ToolRegistry;
import io.toka.security.Permissions;
import io.toka.security.ShellSecurity;
import io.toka.tools.external.ExternalTools;
import io.toka.tools.external.ManifestError;
import java.util.List;
import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.table.ShellTable;

/**
 * {@code toka:tool-errors}: tool manifests that failed to load, with the field and the problem, and the tools the
 * registry holds back or watches (failed activation, quarantine, calls overrunning their deadline).
 */
@Command(scope = "toka", name = "tool-errors", description = "Lists tool manifests that failed to load (file, field, "
        + "problem) and tools the registry holds back (failed activation, quarantined, overrunning calls)")
@Service
public class ToolErrors implements Action {

    @Reference
    ExternalTools externalTools;

    @Reference
    ToolRegistry registry;

    @Reference
    ShellSecurity security;

    @Override
    public Object execute() {
        security.currentUser().authorize("tool.errors", List.of(Permissions.TOOL_READ));
        List<ToolProblem> problems = registry.problems();
        if (problems.isEmpty()) {
            System.out.println("No tool problems.");
        } else {
            ShellTable table = new ShellTable();
            table.column("Tool");
            table.column("Bundle");
            table.column("Problem");
            table.column("Since");
            table.column("Reason").maxSize(80);
            for (ToolProblem p : problems) {
                table.addRow().addContent(p.tool(), p.bundleSymbolicName() + " " + p.bundleVersion(),
                        p.kind().name().toLowerCase(java.util.Locale.ROOT), p.since().toString(), p.reason());
            }
            table.print(System.out);
        }
        List<ManifestError> errors = externalTools.errors();
        if (errors.isEmpty()) {
            System.out.println("No manifest errors.");
            return null;
        }
        ShellTable table = new ShellTable();
        table.column("File");
        table.column("Field");
        table.column("Problem").maxSize(80);
        for (ManifestError e : errors) {
            table.addRow().addContent(e.file(), e.field(), e.problem());
        }
        table.print(System.out);
        return null;
    }
}
