package io.toka.llm;

import java.util.Map;
import java.util.Objects;

/** A block of a message: text, a tool call (assistant), or a tool result (user). */
public sealed interface ContentBlock permits ContentBlock.Text, ContentBlock.ToolUse, ContentBlock.ToolResult {

    /** @param text the text */
    record Text(String text) implements ContentBlock {
        public Text {
            Objects.requireNonNull(text, "text");
        }
    }

    /**
     * The model asks for a tool call.
     *
     * @param id the provider's id for the call, echoed in the {@link ToolResult}
     * @param name the tool name
     * @param input the arguments
     */
    record ToolUse(String id, String name, Map<String, Object> input) implements ContentBlock {
        public ToolUse {
            Objects.requireNonNull(id, "id");
            Objects.requireNonNull(name, "name");
            input = input == null ? Map.of() : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(input));
        }
    }

    /**
     * The outcome of a tool call, sent back to the model.
     *
     * @param toolUseId the {@link ToolUse#id()}
     * @param content the tool's output, or the refusal or error message
     * @param isError whether the call failed or was refused
     */
    record ToolResult(String toolUseId, String content, boolean isError) implements ContentBlock {
        public ToolResult {
            Objects.requireNonNull(toolUseId, "toolUseId");
            Objects.requireNonNull(content, "content");
        }
    }
}
