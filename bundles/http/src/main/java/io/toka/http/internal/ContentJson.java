package io.toka.http.internal;

import io.toka.tool.Content;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A tool result's content blocks as JSON objects shaped as MCP's {@code ContentBlock}s (schema 2025-11-25): what
 * the REST API answers under {@code "content"}. Optional fields that are {@code null} are left out.
 */
final class ContentJson {

    private ContentJson() {
    }

    /**
     * @param blocks the blocks, e.g. {@code result.content()}
     * @return one JSON object per block, in order
     */
    static List<Map<String, Object>> toJson(List<Content> blocks) {
        return blocks.stream().map(ContentJson::toJson).toList();
    }

    /**
     * @param block one block
     * @return {@code {type, text}}, {@code {type, data, mimeType}} for image and audio,
     *     {@code {type, uri, name, title?, description?, mimeType?, size?}} for a resource link, or
     *     {@code {type, resource: {uri, mimeType?, text | blob}}} for an embedded resource
     */
    static Map<String, Object> toJson(Content block) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", block.type());
        if (block instanceof Content.Text t) {
            m.put("text", t.text());
        } else if (block instanceof Content.Image i) {
            m.put("data", i.data());
            m.put("mimeType", i.mimeType());
        } else if (block instanceof Content.Audio a) {
            m.put("data", a.data());
            m.put("mimeType", a.mimeType());
        } else if (block instanceof Content.ResourceLink l) {
            m.put("uri", l.uri());
            m.put("name", l.name());
            putIfSet(m, "title", l.title());
            putIfSet(m, "description", l.description());
            putIfSet(m, "mimeType", l.mimeType());
            putIfSet(m, "size", l.size());
        } else if (block instanceof Content.EmbeddedResource r) {
            Map<String, Object> resource = new LinkedHashMap<>();
            resource.put("uri", r.uri());
            putIfSet(resource, "mimeType", r.mimeType());
            putIfSet(resource, "text", r.text());
            putIfSet(resource, "blob", r.blob());
            m.put("resource", resource);
        } else {
            // Content is sealed: a new kind is a compile-time change in the API, made here too
            throw new IllegalArgumentException("unknown content type " + block.type());
        }
        return m;
    }

    private static void putIfSet(Map<String, Object> m, String key, Object value) {
        if (value != null) {
            m.put(key, value);
        }
    }
}
