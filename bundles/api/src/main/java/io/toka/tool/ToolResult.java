package io.toka.tool;

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

    private ToolResult(boolean success, String output, Object structured) {
        this.success = success;
        this.output = Objects.requireNonNull(output, "output");
        this.structured = structured;
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

    @Override
    public boolean equals(Object o) {
        return o instanceof ToolResult r
                && r.success == success
                && r.output.equals(output)
                && Objects.equals(r.structured, structured);
    }

    @Override
    public int hashCode() {
        return Objects.hash(success, output, structured);
    }

    @Override
    public String toString() {
        return (success ? "success: " : "failure: ") + output;
    }
}
