package io.toka.llm;

import java.util.Objects;

/**
 * A tool offered to the model.
 *
 * @param name the tool name
 * @param description what it does
 * @param inputSchema its JSON Schema, as JSON text
 */
public record LlmTool(String name, String description, String inputSchema) {
    public LlmTool {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(inputSchema, "inputSchema");
        description = description == null ? "" : description;
    }
}
