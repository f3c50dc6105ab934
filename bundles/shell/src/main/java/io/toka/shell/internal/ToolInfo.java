package io.toka.shell.internal;

import io.toka.security.Permissions;
import io.toka.security.ShellSecurity;
import java.util.List;

import io.toka.runtime.registry.RegisteredTool;
import io.toka.runtime.registry.ToolProblem;
import io.toka.runtime.registry.ToolProvider;
import io.toka.runtime.registry.ToolRegistry;
import io.toka.tool.ToolDescriptor;
import java.io.PrintStream;
import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;

/** {@code toka:tool-info <name>}: a tool's descriptor and which bundle provides it. */
@Command(scope = "toka", name = "tool-info", description = "Shows a tool's descriptor and provider")
@Service
public class ToolInfo implements Action {

    @Reference
    ToolRegistry registry;

    @Reference
    ShellSecurity security;

    @Argument(index = 0, name = "name", description = "The tool name", required = true)
    @Completion(ToolNameCompleter.class)
    String name;

    @Override
    public Object execute() {
        security.currentUser().authorize("tool.read:" + name, List.of(Permissions.TOOL_READ));
        List<ToolProblem> problems = registry.problems().stream().filter(p -> p.tool().equals(name)).toList();
        PrintStream out = System.out;
        RegisteredTool t = registry.find(name).orElse(null);
        if (t == null) {
            if (problems.isEmpty()) {
                throw new IllegalArgumentException("unknown tool '" + name + "'; toka:tool-list shows the tools");
            }
            out.println("Name:         " + name + " (not callable)");
            problems.forEach(p -> out.println("Problem:      " + describe(p)));
            return null;
        }
        ToolDescriptor d = t.descriptor();
        out.println("Name:         " + d.name());
        out.println("Version:      " + d.version());
        out.println("Description:  " + d.description());
        out.println("Permissions:  " + (d.requiredPermissions().isEmpty() ? "(none)" : String.join(", ", d.requiredPermissions())));
        out.println("Hints:        readOnly=" + d.readOnly() + " destructive=" + d.destructive()
                + " idempotent=" + d.idempotent() + " openWorld=" + d.openWorld());
        out.println("Timeout:      " + d.timeout().toMillis() + " ms");
        out.println("Provided by:  " + describe(t.provider()));
        for (ToolProvider p : t.shadowed()) {
            out.println("Shadowed:     " + describe(p));
        }
        problems.forEach(p -> out.println("Problem:      " + describe(p)));
        out.println("Input schema: " + d.inputSchema());
        return null;
    }

    static String describe(ToolProblem p) {
        return p.kind().name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ') + " since " + p.since() + " ("
                + p.bundleSymbolicName() + " " + p.bundleVersion() + "): " + p.reason();
    }

    private static String describe(ToolProvider p) {
        return p.bundleSymbolicName() + " " + p.bundleVersion() + " [bundle " + p.bundleId() + ", service "
                + p.serviceId() + ", ranking " + p.ranking() + "]";
    }
}
