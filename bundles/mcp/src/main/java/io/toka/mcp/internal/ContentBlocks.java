package io.toka.mcp.internal;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.toka.tool.Content;
import java.util.List;

/**
 * A tool result's content as MCP {@code ContentBlock}s. 2025-03-26 has no {@code resource_link}: there a link
 * becomes a text block naming it.
 */
final class ContentBlocks {

    private ContentBlocks() {
    }

    static ArrayNode toJson(List<Content> blocks, Revision revision) {
        ArrayNode out = Json.array();
        for (Content b : blocks) {
            out.add(toJson(b, revision));
        }
        return out;
    }

    static ObjectNode toJson(Content block, Revision revision) {
        ObjectNode m = Json.object();
        if (block instanceof Content.Text t) {
            m.put("type", "text");
            m.put("text", t.text());
        } else if (block instanceof Content.Image i) {
            m.put("type", "image");
            m.put("data", i.data());
            m.put("mimeType", i.mimeType());
        } else if (block instanceof Content.Audio a) {
            m.put("type", "audio");
            m.put("data", a.data());
            m.put("mimeType", a.mimeType());
        } else if (block instanceof Content.ResourceLink l) {
            if (!revision.structured()) {
                m.put("type", "text");
                m.put("text", (l.title() != null ? l.title() : l.name()) + ": " + l.uri());
                return m;
            }
            m.put("type", "resource_link");
            m.put("uri", l.uri());
            m.put("name", l.name());
            putIfSet(m, "title", l.title());
            putIfSet(m, "description", l.description());
            putIfSet(m, "mimeType", l.mimeType());
            if (l.size() != null) {
                m.put("size", l.size());
            }
        } else if (block instanceof Content.EmbeddedResource r) {
            m.put("type", "resource");
            ObjectNode resource = m.putObject("resource");
            resource.put("uri", r.uri());
            putIfSet(resource, "mimeType", r.mimeType());
            putIfSet(resource, "text", r.text());
            putIfSet(resource, "blob", r.blob());
        } else {
            // Content is sealed: a new kind is a compile-time change in the API, made here too
            throw new IllegalArgumentException("unknown content type " + block.type());
        }
        return m;
    }

    private static void putIfSet(ObjectNode m, String key, String value) {
        if (value != null) {
            m.put(key, value);
        }
    }
}
