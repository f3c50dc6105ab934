package io.toka.llm;

import java.util.List;
import java.util.Objects;

/**
 * One request to the model.
 *
 * @param agent who asks: the rate limit and usage are per agent
 * @param system the system prompt, or {@code null}
 * @param messages the conversation, oldest first; the last one is the user's (or tool results)
 * @param tools the tools the model may call
 * @param maxTokens the most tokens the reply may have
 * @param temperature 0 to 1
 */
public record LlmRequest(String agent, String system, List<LlmMessage> messages, List<LlmTool> tools, int maxTokens,
        double temperature) {

    /** The most bytes of prompt text (system plus messages) a request may carry: 32 KiB. */
    public static final int MAX_PROMPT_BYTES = 32 * 1024;

    public LlmRequest {
        Objects.requireNonNull(agent, "agent");
        messages = List.copyOf(messages);
        tools = tools == null ? List.of() : List.copyOf(tools);
        if (messages.isEmpty()) {
            throw new IllegalArgumentException("a request needs at least one message");
        }
        if (maxTokens <= 0) {
            throw new IllegalArgumentException("maxTokens must be positive");
        }
        if (temperature < 0 || temperature > 1) {
            throw new IllegalArgumentException("temperature must be between 0 and 1, not " + temperature);
        }
    }
}
