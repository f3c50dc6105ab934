package io.toka.llm;

import java.util.List;
import java.util.stream.Collectors;

/**
 * The model's reply.
 *
 * @param content text and tool-call blocks, in order
 * @param stopReason why it stopped, normalised: {@code end_turn}, {@code tool_use}, {@code max_tokens} (or the
 *     provider's own word for anything else)
 * @param inputTokens prompt tokens, as the provider counted them
 * @param outputTokens reply tokens
 * @param provider {@code anthropic} or {@code openai}
 * @param model the model that answered
 * @param durationMs wall time of the whole call: the queue wait and retries included
 * @param queueWaitMs of {@code durationMs}, the time the request waited in the gateway's queue for a free slot of
 *     the provider (since 1.1.0; 0 from gateways that do not queue)
 */
public record LlmResponse(List<ContentBlock> content, String stopReason, long inputTokens, long outputTokens,
        String provider, String model, long durationMs, long queueWaitMs) {

    public LlmResponse {
        content = List.copyOf(content);
        if (queueWaitMs < 0) {
            throw new IllegalArgumentException("queueWaitMs must not be negative, not " + queueWaitMs);
        }
    }

    /** A reply that did not queue (the 1.0.0 constructor). */
    public LlmResponse(List<ContentBlock> content, String stopReason, long inputTokens, long outputTokens,
            String provider, String model, long durationMs) {
        this(content, stopReason, inputTokens, outputTokens, provider, model, durationMs, 0);
    }

    /** The text blocks joined by newlines; empty if there are none. */
    public String text() {
        return content.stream().filter(b -> b instanceof ContentBlock.Text).map(b -> ((ContentBlock.Text) b).text())
                .collect(Collectors.joining("\n"));
    }

    /** The tool calls, in order. */
    public List<ContentBlock.ToolUse> toolUses() {
        return content.stream().filter(b -> b instanceof ContentBlock.ToolUse).map(b -> (ContentBlock.ToolUse) b)
                .toList();
    }
}
