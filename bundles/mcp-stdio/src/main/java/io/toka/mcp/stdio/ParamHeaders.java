package io.toka.mcp.stdio;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The {@code x-mcp-header} extension of 2026-07-28: a tool's input schema may mark parameters whose values an HTTP
 * client must copy into {@code Mcp-Param-<name>} headers of a {@code tools/call}. The bridge is that HTTP client, so
 * it learns the marks from the {@code tools/list} results passing through, drops the tools whose marks break the
 * rules (as the specification requires, with a warning on standard error), and adds the headers to calls.
 */
final class ParamHeaders {

    private static final Set<String> HEADER_TYPES = Set.of("string", "integer", "boolean");
    /** Keywords whose values are instances, not schemas: an "x-mcp-header" member there is data. */
    private static final Set<String> INSTANCE_KEYWORDS = Set.of("default", "const", "enum", "examples");

    /** An annotated parameter: header name and the chain of {@code properties} keys leading to it. */
    record Binding(String header, List<String> path) {
    }

    private final Map<String, List<Binding>> byTool = new ConcurrentHashMap<>();
    private final Log log;

    ParamHeaders(Log log) {
        this.log = log;
    }

    /**
     * Learns the annotations of a {@code tools/list} result and removes the tools whose annotations are invalid.
     *
     * @param result the result object (changed in place when a tool is removed)
     */
    void learn(Map<String, Object> result) {
        if (!(result.get("tools") instanceof List<?> tools)) {
            return;
        }
        List<Object> kept = new ArrayList<>();
        boolean dropped = false;
        for (Object t : tools) {
            String name = Json.string(t, "name");
            List<Binding> bindings = new ArrayList<>();
            List<String> problems = new ArrayList<>();
            collect(Json.member(t, "inputSchema"), new ArrayList<>(), true, bindings, problems);
            Set<String> seen = new HashSet<>();
            for (Binding b : bindings) {
                if (!seen.add(b.header().toLowerCase(Locale.ROOT))) {
                    problems.add("x-mcp-header '" + b.header() + "' is used twice");
                }
            }
            if (!problems.isEmpty()) {
                dropped = true;
                log.info("warning: leaving out tool '" + name + "' from tools/list: " + String.join("; ", problems));
                continue;
            }
            kept.add(t);
            if (name != null) {
                if (bindings.isEmpty()) {
                    byTool.remove(name);
                } else {
                    byTool.put(name, List.copyOf(bindings));
                }
            }
        }
        if (dropped) {
            result.put("tools", kept);
        }
    }

    /**
     * The {@code Mcp-Param-*} headers of a call.
     *
     * @param tool the tool name
     * @param arguments the call's arguments (may be null)
     * @return header name to encoded value; empty when the tool has no annotations or the values are absent
     */
    Map<String, String> headers(String tool, Object arguments) {
        List<Binding> bindings = tool == null ? null : byTool.get(tool);
        Map<String, String> headers = new LinkedHashMap<>();
        if (bindings == null) {
            return headers;
        }
        for (Binding b : bindings) {
            Object v = arguments;
            for (String key : b.path()) {
                v = Json.member(v, key);
            }
            String text = v instanceof String s ? HeaderValues.encode(s)
                    : v instanceof Boolean || v instanceof Json.Num ? v.toString() : null;
            if (text != null) {
                headers.put("Mcp-Param-" + b.header(), text);
            }
        }
        return headers;
    }

    /**
     * Walks a schema. {@code reachable} is true while the node was reached from the root through {@code properties}
     * keys only; an annotation anywhere else invalidates the tool.
     */
    private static void collect(Object node, List<String> path, boolean reachable, List<Binding> bindings,
                                List<String> problems) {
        if (node instanceof List<?> list) {
            for (Object item : list) {
                collect(item, path, false, bindings, problems);
            }
            return;
        }
        Map<String, Object> schema = Json.object(node);
        if (schema == null) {
            return;
        }
        if (schema.containsKey("x-mcp-header")) {
            Object h = schema.get("x-mcp-header");
            String where = path.isEmpty() ? "the schema root" : "parameter '" + String.join(".", path) + "'";
            if (!reachable || path.isEmpty()) {
                problems.add("x-mcp-header on " + where + ", which is not reachable through properties alone");
            } else if (!(h instanceof String header) || !HeaderValues.isToken(header)) {
                problems.add("x-mcp-header of " + where + " is not a valid header name: " + Json.write(h));
            } else if (!(schema.get("type") instanceof String type) || !HEADER_TYPES.contains(type)) {
                problems.add("x-mcp-header on " + where + ", whose type is not string, integer or boolean");
            } else {
                bindings.add(new Binding(header, List.copyOf(path)));
            }
        }
        for (Map.Entry<String, Object> e : schema.entrySet()) {
            if (e.getKey().equals("properties") && Json.object(e.getValue()) != null) {
                for (Map.Entry<String, Object> p : Json.object(e.getValue()).entrySet()) {
                    List<String> sub = new ArrayList<>(path);
                    sub.add(p.getKey());
                    collect(p.getValue(), sub, reachable, bindings, problems);
                }
            } else if (!e.getKey().equals("x-mcp-header") && !INSTANCE_KEYWORDS.contains(e.getKey())) {
                collect(e.getValue(), path, false, bindings, problems);
            }
        }
    }
}
