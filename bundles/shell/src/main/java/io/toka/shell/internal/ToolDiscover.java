package io.toka.shell.internal;

import io.toka.security.Permissions;
import io.toka.security.ShellSecurity;
import io.toka.tools.external.DraftManifest;
import io.toka.tools.external.ExternalTools;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;

/**
 * {@code toka:tool-discover <dir>}: prints a draft manifest for every shell and Python script under a
 * directory, for an operator to review and drop into {@code deploy/}. Registers nothing.
 */
@Command(scope = "toka", name = "tool-discover",
        description = "Prints a draft tool manifest for each *.sh/*.py script under a directory (registers nothing)")
@Service
public class ToolDiscover implements Action {

    @Argument(index = 0, name = "dir", required = true, description = "Directory to scan (to depth 3): under the workspace or the tools directory; relative to the workspace")
    String dir;

    @Reference
    ExternalTools externalTools;

    @Reference
    ShellSecurity security;

    @Override
    public Object execute() throws IOException {
        security.currentUser().authorize("tool.discover", List.of(Permissions.TOOL_DISCOVER));
        // Toka's JVM walks and reads what it finds, so it looks only under its own directories
        Path base = ConfinedPaths.resolve(dir, List.of(ConfinedPaths.workspace(), ConfinedPaths.toolsDir()));
        if (!Files.isDirectory(base)) {
            throw new IllegalArgumentException("'" + dir + "' is not a directory");
        }
        List<DraftManifest> drafts = externalTools.discover(base);
        if (drafts.isEmpty()) {
            System.out.println("No *.sh or *.py scripts found under " + base);
            return null;
        }
        for (DraftManifest d : drafts) {
            System.out.println("# ---- " + d.script() + "  ->  save as deploy/" + d.tool() + ".tool.yaml after review");
            System.out.println(d.yaml().stripTrailing());
            System.out.println();
        }
        System.out.println("# " + drafts.size() + " draft(s). Nothing was registered: review each, then copy it into deploy/.");
        return null;
    }
}
