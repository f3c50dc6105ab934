package io.toka.tool;

import java.util.Objects;

/**
 * One block of a tool result's content, as MCP and the REST API show it: text, an image, audio, a link to a resource,
 * or an embedded resource. Binary data is carried base64-encoded, as it travels in JSON. Immutable.
 *
 * @since 1.2
 */
public sealed interface Content permits Content.Text, Content.Image, Content.Audio, Content.ResourceLink,
        Content.EmbeddedResource {

    /** @return the MCP content type: {@code text}, {@code image}, {@code audio}, {@code resource_link} or {@code resource} */
    String type();

    /**
     * @param text the text; must not be {@code null}
     * @return a text block
     */
    static Text text(String text) {
        return new Text(text);
    }

    /**
     * @param base64Data the image, base64-encoded
     * @param mimeType e.g. {@code image/png}
     * @return an image block
     */
    static Image image(String base64Data, String mimeType) {
        return new Image(base64Data, mimeType);
    }

    /**
     * @param base64Data the audio, base64-encoded
     * @param mimeType e.g. {@code audio/wav}
     * @return an audio block
     */
    static Audio audio(String base64Data, String mimeType) {
        return new Audio(base64Data, mimeType);
    }

    /** Plain text. */
    record Text(String text) implements Content {
        public Text {
            Objects.requireNonNull(text, "text");
        }

        @Override
        public String type() {
            return "text";
        }
    }

    /** An image, base64-encoded. */
    record Image(String data, String mimeType) implements Content {
        public Image {
            requireText(data, "data");
            requireText(mimeType, "mimeType");
        }

        @Override
        public String type() {
            return "image";
        }
    }

    /** Audio, base64-encoded. */
    record Audio(String data, String mimeType) implements Content {
        public Audio {
            requireText(data, "data");
            requireText(mimeType, "mimeType");
        }

        @Override
        public String type() {
            return "audio";
        }
    }

    /**
     * A link to a resource the client may read.
     *
     * @param uri the resource's URI; required
     * @param name its name; required
     * @param title a display name, or {@code null}
     * @param description what it is, or {@code null}
     * @param mimeType its type, or {@code null}
     * @param size its size in bytes, or {@code null}
     */
    record ResourceLink(String uri, String name, String title, String description, String mimeType, Long size)
            implements Content {
        public ResourceLink {
            requireText(uri, "uri");
            requireText(name, "name");
        }

        @Override
        public String type() {
            return "resource_link";
        }
    }

    /**
     * A resource embedded in the result: exactly one of {@code text} and {@code blob} (base64) is set.
     *
     * @param uri the resource's URI; required
     * @param mimeType its type, or {@code null}
     * @param text its text, or {@code null} for a binary resource
     * @param blob its bytes, base64-encoded, or {@code null} for a text resource
     */
    record EmbeddedResource(String uri, String mimeType, String text, String blob) implements Content {
        public EmbeddedResource {
            requireText(uri, "uri");
            if ((text == null) == (blob == null)) {
                throw new IllegalArgumentException("an embedded resource has exactly one of text and blob");
            }
        }

        @Override
        public String type() {
            return "resource";
        }
    }

    private static void requireText(String value, String what) {
        Objects.requireNonNull(value, what);
        if (value.isBlank()) {
            throw new IllegalArgumentException(what + " must not be blank");
        }
    }
}
