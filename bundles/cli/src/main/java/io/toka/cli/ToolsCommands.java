package io.toka.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;

/** {@code toka tools list | describe | execute | errors}: the tool registry through {@code /api/v1/tools}. */
final class ToolsCommands {

    private ToolsCommands() {
    }

    /** {@code toka tools list [--json]}: a table of name, version, and title or description. */
    static int list(Context c, Args a) throws CliException {
        a.none();
        JsonNode answer = c.api().get("/tools");
        JsonNode tools = Context.list(answer, "tools", "GET /api/v1/tools");
        if (a.has("--json")) {
            c.printJson(answer);
            return Main.EXIT_OK;
        }
        if (tools.isEmpty()) {
            c.err().println("no tools are registered (or this token may see none)");
            return Main.EXIT_OK;
        }
        Table t = new Table("NAME", "VERSION", "TITLE / DESCRIPTION");
        for (JsonNode tool : tools) {
            String title = Context.text(tool, "title");
            t.row(Context.text(tool, "name"), Context.text(tool, "version"),
                    Table.cut(title.isEmpty() ? Context.text(tool, "description") : title, 80));
        }
        t.print(c.out());
        return Main.EXIT_OK;
    }

    /** {@code toka tools describe NAME [--json]}: the descriptor, with its parameters. */
    static int describe(Context c, Args a) throws CliException {
        String name = a.single("a tool name");
        JsonNode d = c.api().get("/tools/" + TokaApi.segment(name));
        if (a.has("--json")) {
            c.printJson(d);
            return Main.EXIT_OK;
        }
        if (!d.isObject() || !d.has("name")) {
            throw Context.malformed("GET /api/v1/tools/" + name, "not a tool descriptor");
        }
        var out = c.out();
        out.println("name:         " + Context.text(d, "name"));
        if (d.hasNonNull("title")) {
            out.println("title:        " + Context.text(d, "title"));
        }
        out.println("version:      " + Context.text(d, "version"));
        out.println("description:  " + Context.text(d, "description"));
        out.println("permissions:  " + join(d.path("requiredPermissions")));
        StringBuilder hints = new StringBuilder();
        for (Iterator<Map.Entry<String, JsonNode>> it = d.path("hints").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> h = it.next();
            if (h.getValue().asBoolean()) {
                hints.append(hints.isEmpty() ? "" : ", ").append(h.getKey());
            }
        }
        out.println("hints:        " + (hints.isEmpty() ? "-" : hints));
        out.println("timeout:      " + d.path("timeoutMs").asLong() + " ms");
        out.println("provider:     " + Context.text(d.path("provider"), "bundle") + " "
                + Context.text(d.path("provider"), "bundleVersion"));
        JsonNode props = d.path("inputSchema").path("properties");
        Set<String> required = new java.util.HashSet<>();
        d.path("inputSchema").path("required").forEach(r -> required.add(r.asText()));
        if (props.isObject() && !props.isEmpty()) {
            out.println("parameters:");
            Table t = new Table("  NAME", "TYPE", "REQUIRED", "DESCRIPTION");
            for (Iterator<Map.Entry<String, JsonNode>> it = props.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> p = it.next();
                JsonNode type = p.getValue().path("type");
                t.row("  " + p.getKey(), type.isArray() ? join(type) : type.asText("any"),
                        required.contains(p.getKey()) ? "yes" : "no",
                        Table.cut(Context.text(p.getValue(), "description"), 70));
            }
            t.print(out);
        } else {
            out.println("parameters:   none");
        }
        if (d.has("outputSchema")) {
            out.println("output:       structured (outputSchema; see --json)");
        }
        return Main.EXIT_OK;
    }

    /**
     * {@code toka tools execute NAME [--param k=v]... [--json '{...}'] [--raw]}: prints the output; a tool that
     * failed ({@code success:false}) ends with exit 1 and its message on standard error.
     */
    static int execute(Context c, Args a) throws CliException {
        String name = a.single("a tool name");
        ObjectNode arguments = ParamConverter.parseJson(c.mapper(), a.value("--json"));
        if (!a.values("--param").isEmpty()) {
            // the schema gives each value its type, as toka:tool-invoke does
            JsonNode d = c.api().get("/tools/" + TokaApi.segment(name));
            ParamConverter.addPairs(c.mapper(), d.get("inputSchema"), a.values("--param"), arguments);
        }
        ObjectNode body = c.mapper().createObjectNode();
        body.set("arguments", arguments);
        String request = "POST /api/v1/tools/" + name + "/invoke";
        JsonNode r = c.api().post("/tools/" + TokaApi.segment(name) + "/invoke", body, TokaApi.CALL_TIMEOUT);
        if (!r.isObject() || !r.path("success").isBoolean()) {
            throw Context.malformed(request, "no 'success' field");
        }
        boolean success = r.path("success").asBoolean();
        if (a.has("--raw")) {
            c.printJson(r);
        } else if (success) {
            String output = Context.text(r, "output");
            c.out().print(output);
            if (!output.isEmpty() && !output.endsWith("\n")) {
                c.out().println();
            }
        }
        if (!success) {
            String message = Context.text(r, "output").strip();
            c.err().println("toka: tool '" + name + "' failed" + (message.isEmpty() ? "" : ": " + message));
            return Main.EXIT_FAILURE;
        }
        return Main.EXIT_OK;
    }

    /** {@code toka tools errors [--json]}: the manifests that failed to load; exit 0 either way. */
    static int errors(Context c, Args a) throws CliException {
        a.none();
        JsonNode answer = c.api().get("/tools/errors");
        JsonNode errors = Context.list(answer, "errors", "GET /api/v1/tools/errors");
        if (a.has("--json")) {
            c.printJson(answer);
        } else if (errors.isEmpty()) {
            c.out().println("no manifest errors");
        } else {
            Table t = new Table("FILE", "FIELD", "PROBLEM");
            for (JsonNode e : errors) {
                t.row(Context.text(e, "file"), Context.text(e, "field"), Context.text(e, "problem"));
            }
            t.print(c.out());
        }
        return Main.EXIT_OK;
    }

    private static String join(JsonNode list) {
        StringBuilder sb = new StringBuilder();
        list.forEach(n -> sb.append(sb.isEmpty() ? "" : ", ").append(n.asText()));
        return sb.isEmpty() ? "-" : sb.toString();
    }
}
