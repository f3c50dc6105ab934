package io.toka.llm;

import java.util.List;
import java.util.Objects;

/**
 * One message of a conversation.
 *
 * @param role who said it
 * @param content its blocks: text, the assistant's tool calls, or the user's tool results
 */
public record LlmMessage(Role role, List<ContentBlock> content) {

    /** Who said it. */
    public enum Role {
        USER,
        ASSISTANT
    }

    public LlmMessage {
        Objects.requireNonNull(role, "role");
        content = List.copyOf(content);
    }

    public static LlmMessage user(String text) {
        return new LlmMessage(Role.USER, List.of(new ContentBlock.Text(text)));
    }
}
