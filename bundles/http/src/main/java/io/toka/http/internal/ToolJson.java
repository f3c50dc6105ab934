package io.toka.http.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.toka.runtime.registry.RegisteredTool;
import io.toka.runtime.registry.ToolProblem;
import io.toka.runtime.registry.ToolProvider;
import io.toka.tool.ToolDescriptor;
import io.toka.tools.external.ManifestError;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** How a tool and a manifest error look in JSON: shared by {@code /tools} and the {@code /watch} stream. */
final class ToolJson {

    private ToolJson() {
    }

    static Map<String, Object> describe(RegisteredTool tool, ObjectMapper mapper) {
        ToolDescriptor d = tool.descriptor();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", d.name());
        if (d.title() != null) {
            m.put("title", d.title());
        }
        m.put("version", d.version());
        m.put("description", d.description());
        m.put("inputSchema", schemaNode(d.inputSchema(), mapper));
        if (d.outputSchema() != null) {
            m.put("outputSchema", schemaNode(d.outputSchema(), mapper));
        }
        m.put("requiredPermissions", List.copyOf(d.requiredPermissions()));
        Map<String, Object> hints = new LinkedHashMap<>();
        hints.put("readOnly", d.readOnly());
        hints.put("destructive", d.destructive());
        hints.put("idempotent", d.idempotent());
        hints.put("openWorld", d.openWorld());
        m.put("hints", hints);
        m.put("timeoutMs", d.timeout().toMillis());
        m.put("provider", provider(tool.provider()));
        m.put("shadowed", tool.shadowed().stream().map(ToolJson::provider).toList());
        return m;
    }

    static Map<String, Object> error(ManifestError e) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("file", e.file());
        m.put("field", e.field());
        m.put("problem", e.problem());
        m.put("at", e.at().toString());
        return m;
    }

    static Map<String, Object> problem(ToolProblem p) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("tool", p.tool());
        m.put("bundle", p.bundleSymbolicName());
        m.put("bundleVersion", p.bundleVersion());
        m.put("kind", p.kind().name().toLowerCase(java.util.Locale.ROOT));
        m.put("reason", p.reason());
        m.put("since", p.since().toString());
        return m;
    }

    private static Map<String, Object> provider(ToolProvider p) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("bundle", p.bundleSymbolicName());
        m.put("bundleVersion", p.bundleVersion());
        m.put("serviceId", p.serviceId());
        m.put("ranking", p.ranking());
        return m;
    }

    /** The schema as JSON; a tool with a broken schema still lists, with the text as a string. */
    private static Object schemaNode(String schema, ObjectMapper mapper) {
        try {
            return mapper.readTree(schema);
        } catch (JsonProcessingException e) {
            ObjectNode n = mapper.createObjectNode();
            n.put("invalid", schema);
            return n;
        }
    }
}
