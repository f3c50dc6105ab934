package io.toka.tool;

import java.util.List;
import java.util.Objects;

/**
 * The outcome of one tool call: success or failure, a human-readable output, and optionally a
 * structured value (any JSON-serialisable object: maps, lists, strings, numbers, booleans, records).
 * Immutable.
 */
public final class ToolResult {

    private final boolean success;
    private final String output;
    private final Object structured;
    /** {@code null}: the default, one text block with the output. */
    private final List<Content> content;

    private ToolResult(boolean success, String output, Object structured) {
        this(success, output, structured, null);
    }

    private ToolResult(boolean success, String output, Object structured, List<Content> content) {
        this.success = success;
        this.output = Objects.requireNonNull(output, "output");
        this.structured = structured;
        this.content = content == null ? null : List.copyOf(content);
    }

    /**
     * This result with other content: images, audio, resource links or embedded resources, with or without text.
     * The {@link #output()} stays the plain-text summary that logs, events and text-only callers see.
     *
     * @param content the blocks, in order; must not be {@code null} or contain {@code null}
     * @return a copy of this result carrying them
     * @since 1.2
     */
    public ToolResult withContent(List<Content> content) {
        Objects.requireNonNull(content, "content");
        return new ToolResult(success, output, structured, content);
    }

    /**
     * A successful result with text output only.
     *
     * @param output the text output; must not be {@code null}
     * @return the result
     */
    public static ToolResult success(String output) {
        return new ToolResult(true, output, null);
    }

    /**
     * A successful result with text output and a structured value.
     *
     * @param output the text output; must not be {@code null}
     * @param structured a JSON-serialisable value; may be {@code null}
     * @return the result
     */
    public static ToolResult success(String output, Object structured) {
        return new ToolResult(true, output, structured);
    }

    /**
     * A failed result. The message is shown to the caller.
     *
     * @param message a plain sentence saying what went wrong; must not be {@code null}
     * @return the result
     */
    public static ToolResult failure(String message) {
        return new ToolResult(false, message, null);
    }

    /**
     * A failed result that still carries a structured report, e.g. the violations a validator found.
     *
     * @param message a plain sentence saying what went wrong; must not be {@code null}
     * @param structured a JSON-serialisable value; may be {@code null}
     * @return the result
     * @since 1.1
     */
    public static ToolResult failure(String message, Object structured) {
        return new ToolResult(false, message, structured);
    }

    /** @return {@code true} if the tool succeeded */
    public boolean isSuccess() {
        return success;
    }

    /** @return the text output, or the failure message; never {@code null} */
    public String output() {
        return output;
    }

    /** @return the structured value, or {@code null} if there is none */
    public Object structured() {
        return structured;
    }

    /**
     * @return the content blocks as the caller should see them: those given to {@link #withContent}, or else one
     *     text block holding the {@link #output()}; never {@code null}
     * @since 1.2
     */
    public List<Content> content() {
        return content != null ? content : List.of(Content.text(output));
    }

    /**
     * @return {@code true} when the content was set with {@link #withContent}, rather than derived from the output
     * @since 1.2
     */
    public boolean hasExplicitContent() {
        return content != null;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ToolResult r
                && r.success == success
                && r.output.equals(output)
                && Objects.equals(r.structured, structured)
                && Objects.equals(r.content, content);
    }

    @Override
    public int hashCode() {
        return Objects.hash(success, output, structured, content);
    }

    @Override
    public String toString() {
        return (success ? "success: " : "failure: ") + output;
    }
}
