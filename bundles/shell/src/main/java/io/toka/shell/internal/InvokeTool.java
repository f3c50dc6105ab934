package io.toka.shell.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.toka.runtime.registry.InvalidArgumentsException;
import io.toka.runtime.registry.RegisteredTool;
import io.toka.runtime.registry.ToolCallResult;
import io.toka.runtime.registry.ToolRegistry;
import io.toka.runtime.registry.UnknownToolException;
import io.toka.security.SecurityContext;
import io.toka.security.ShellSecurity;
import java.util.List;
import java.util.Map;
import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;

/** {@code toka:tool-invoke <name> [key=value ...] | --json '{...}'}: calls a tool through the registry. */
@Command(scope = "toka", name = "tool-invoke", description = "Calls a tool with key=value arguments or a JSON object")
@Service
public class InvokeTool implements Action {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    @Reference
    ToolRegistry registry;

    @Reference
    ShellSecurity security;

    @Argument(index = 0, name = "name", description = "The tool name", required = true)
    @Completion(ToolNameCompleter.class)
    String name;

    @Argument(index = 1, name = "arguments", description = "Arguments as key=value; values are converted to the "
            + "type the tool's schema asks for", multiValued = true)
    List<String> pairs;

    @Option(name = "--json", aliases = "-j", description = "All arguments as one JSON object")
    String json;

    @Override
    public Object execute() throws Exception {
        SecurityContext caller = security.currentUser();
        RegisteredTool tool = registry.find(name)
                .orElseThrow(() -> new IllegalArgumentException("unknown tool '" + name + "'; toka:tool-list shows the tools"));
        List<String> rest = pairs == null ? List.of() : new java.util.ArrayList<>(pairs);
        // Karaf stops parsing options at the first argument, so accept --json after the tool name too
        int flag = Math.max(rest.indexOf("--json"), rest.indexOf("-j"));
        if (flag >= 0) {
            if (flag + 1 >= rest.size() || json != null) {
                throw new IllegalArgumentException("--json needs one JSON object, e.g. --json '{\"path\":\"README.md\"}'");
            }
            json = rest.get(flag + 1);
            rest.remove(flag + 1);
            rest.remove(flag);
        }
        if (json != null && !rest.isEmpty()) {
            throw new IllegalArgumentException("give either key=value arguments or --json, not both");
        }
        Map<String, Object> arguments = json != null
                ? ArgumentParser.parseJson(MAPPER, json)
                : ArgumentParser.parsePairs(MAPPER, tool.descriptor().inputSchema(), rest);
        ToolCallResult result;
        try {
            result = registry.invoke(name, arguments, caller);
        } catch (UnknownToolException | InvalidArgumentsException e) {
            throw new IllegalArgumentException(e.getMessage());
        }
        if (!result.isSuccess()) {
            throw new IllegalStateException(result.result().output());
        }
        System.out.println(result.result().output());
        return null;
    }
}
