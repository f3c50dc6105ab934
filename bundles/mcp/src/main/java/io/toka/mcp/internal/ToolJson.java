package io.toka.mcp.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.toka.runtime.registry.RegisteredTool;
import io.toka.tool.ToolDescriptor;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A registered tool as an MCP {@code Tool}, rendered once per descriptor: the 2025-03-26 form (name, description,
 * inputSchema, annotations) and the form of 2025-06-18 on (also title, outputSchema and {@code _meta} with Toka's
 * version and provider).
 */
final class ToolJson {

    private static final Logger LOG = LoggerFactory.getLogger(ToolJson.class);

    /**
     * The rendered forms of one tool.
     *
     * @param tool what was rendered
     * @param legacy the 2025-03-26 form
     * @param modern the 2025-06-18+ form
     * @param headers its x-mcp-header bindings
     */
    record Rendered(RegisteredTool tool, ObjectNode legacy, ObjectNode modern, ParamHeaders headers) {

        String name() {
            return tool.name();
        }

        ObjectNode form(Revision r) {
            return r.structured() ? modern : legacy;
        }

        /** @return whether this rendering is still right for {@code t} */
        boolean renders(RegisteredTool t) {
            return tool.descriptor().equals(t.descriptor())
                    && tool.provider().bundleSymbolicName().equals(t.provider().bundleSymbolicName());
        }
    }

    private ToolJson() {
    }

    /** @return the renderings, or {@code null} when the tool's schema cannot be shown (logged) */
    static Rendered render(RegisteredTool t) {
        ToolDescriptor d = t.descriptor();
        ObjectNode input = schema(d.inputSchema(), d.name(), "inputSchema");
        if (input == null) {
            return null;
        }
        JsonNode type = input.get("type");
        if (type == null) {
            // MCP requires type object at the root; a tool's arguments are an object whatever the schema says
            input.put("type", "object");
        } else if (!type.isTextual() || !"object".equals(type.textValue())) {
            LOG.warn("Tool {} is not listed over MCP: its inputSchema's root type is {}, not object", d.name(), type);
            return null;
        }
        ObjectNode annotations = Json.object();
        if (d.title() != null) {
            annotations.put("title", d.title());
        }
        annotations.put("readOnlyHint", d.readOnly());
        annotations.put("destructiveHint", d.destructive());
        annotations.put("idempotentHint", d.idempotent());
        annotations.put("openWorldHint", d.openWorld());

        ObjectNode legacy = Json.object();
        legacy.put("name", d.name());
        legacy.put("description", d.description());
        legacy.set("inputSchema", input);
        legacy.set("annotations", annotations);

        ObjectNode modern = Json.object();
        modern.put("name", d.name());
        if (d.title() != null) {
            modern.put("title", d.title());
        }
        modern.put("description", d.description());
        modern.set("inputSchema", input);
        if (d.outputSchema() != null) {
            ObjectNode output = schema(d.outputSchema(), d.name(), "outputSchema");
            if (output != null) {
                modern.set("outputSchema", output);
            }
        }
        modern.set("annotations", annotations);
        ObjectNode meta = modern.putObject("_meta");
        meta.put(Meta.TOOL_VERSION, d.version());
        meta.put(Meta.TOOL_PROVIDER, t.provider().bundleSymbolicName());
        return new Rendered(t, legacy, modern, ParamHeaders.of(input));
    }

    private static ObjectNode schema(String text, String tool, String which) {
        try {
            JsonNode n = Json.TREE.readTree(text);
            if (n != null && n.isObject()) {
                return (ObjectNode) n;
            }
        } catch (IOException e) {
            // logged below
        }
        LOG.warn("Tool {}: its {} is not a JSON object; {}", tool, which,
                "inputSchema".equals(which) ? "the tool is not listed over MCP" : "it is listed without it");
        return null;
    }
}
