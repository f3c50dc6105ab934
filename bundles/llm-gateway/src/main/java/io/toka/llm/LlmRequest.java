package io.toka.llm;

import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * One request to the model.
 *
 * @param agent who asks: the rate limit and usage are per agent, and the gateway's queue takes turns between agents
 * @param system the system prompt, or {@code null}
 * @param messages the conversation, oldest first; the last one is the user's (or tool results)
 * @param tools the tools the model may call
 * @param maxTokens the most tokens the reply may have
 * @param temperature 0 to 1
 * @param priority where the request queues when every slot of the provider is taken; {@code null} means
 *     {@link Priority#MEDIUM} (since 1.1.0)
 */
public record LlmRequest(String agent, String system, List<LlmMessage> messages, List<LlmTool> tools, int maxTokens,
        double temperature, Priority priority) {

    /** The most bytes of prompt text (system plus messages) a request may carry: 32 KiB. */
    public static final int MAX_PROMPT_BYTES = 32 * 1024;

    /**
     * The priority of the agent that asks, highest first: when the provider's concurrency cap is reached, a free slot
     * goes to the highest priority waiting (with aging, so a low one is not starved), and agents of the same
     * priority take turns.
     */
    public enum Priority {
        CRITICAL, HIGH, MEDIUM, LOW;

        /**
         * @param name {@code critical}, {@code high}, {@code medium} or {@code low}, any case; {@code null} means
         *     medium
         * @throws IllegalArgumentException for anything else, naming the allowed values
         */
        public static Priority of(String name) {
            if (name == null) {
                return MEDIUM;
            }
            try {
                return valueOf(name.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("Unknown priority '" + name
                        + "': use critical, high, medium or low", e);
            }
        }
    }

    public LlmRequest {
        Objects.requireNonNull(agent, "agent");
        messages = List.copyOf(messages);
        tools = tools == null ? List.of() : List.copyOf(tools);
        priority = priority == null ? Priority.MEDIUM : priority;
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

    /** A request of {@link Priority#MEDIUM} priority (the 1.0.0 constructor). */
    public LlmRequest(String agent, String system, List<LlmMessage> messages, List<LlmTool> tools, int maxTokens,
            double temperature) {
        this(agent, system, messages, tools, maxTokens, temperature, Priority.MEDIUM);
    }

    /** This request with another priority. */
    public LlmRequest withPriority(Priority p) {
        return new LlmRequest(agent, system, messages, tools, maxTokens, temperature, p);
    }
}
