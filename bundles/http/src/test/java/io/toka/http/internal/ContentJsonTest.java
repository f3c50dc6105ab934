package io.toka.http.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;

import io.toka.tool.Content;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Every kind of content block, with and without its optional fields, in MCP's shape. */
class ContentJsonTest {

    @Test
    void textImageAndAudio() {
        assertThat(ContentJson.toJson(Content.text(""))).containsExactly(entry("type", "text"), entry("text", ""));
        assertThat(ContentJson.toJson(Content.image("AAEC", "image/png")))
                .containsExactly(entry("type", "image"), entry("data", "AAEC"), entry("mimeType", "image/png"));
        assertThat(ContentJson.toJson(Content.audio("UklGRg==", "audio/wav")))
                .containsExactly(entry("type", "audio"), entry("data", "UklGRg=="), entry("mimeType", "audio/wav"));
    }

    @Test
    void aResourceLinkKeepsOnlyTheFieldsItHas() {
        assertThat(ContentJson.toJson(new Content.ResourceLink("file:///a", "a", null, null, null, null)))
                .containsExactly(entry("type", "resource_link"), entry("uri", "file:///a"), entry("name", "a"));
        assertThat(ContentJson.toJson(new Content.ResourceLink("file:///a", "a", "The A", "the letter",
                "text/plain", 0L))).containsExactly(entry("type", "resource_link"), entry("uri", "file:///a"),
                entry("name", "a"), entry("title", "The A"), entry("description", "the letter"),
                entry("mimeType", "text/plain"), entry("size", 0L));
    }

    @Test
    void anEmbeddedResourceNestsTextOrBlob() {
        assertThat(ContentJson.toJson(new Content.EmbeddedResource("toka://x", "text/markdown", "# x", null)))
                .containsExactly(entry("type", "resource"), entry("resource",
                        Map.of("uri", "toka://x", "mimeType", "text/markdown", "text", "# x")));
        Map<String, Object> blob = ContentJson.toJson(new Content.EmbeddedResource("toka://y", null, null, "AA=="));
        assertThat(blob.get("resource")).isEqualTo(Map.of("uri", "toka://y", "blob", "AA=="));
    }

    @Test
    void aListKeepsItsOrder() {
        assertThat(ContentJson.toJson(List.of(Content.text("1"), Content.image("AA==", "image/gif"), Content.text("2"))))
                .extracting(m -> m.get("type")).containsExactly("text", "image", "text");
    }
}
