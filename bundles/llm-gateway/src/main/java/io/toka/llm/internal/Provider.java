package io.toka.llm.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.toka.llm.LlmException;
import io.toka.llm.LlmException.Reason;
import io.toka.llm.LlmRequest;
import io.toka.llm.LlmResponse;
import io.toka.llm.LlmTool;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/** One wire format: turns an {@link LlmRequest} into a provider's JSON and its answer back into an LlmResponse. */
abstract class Provider {

    /** Longest provider error text quoted in an exception message. */
    private static final int MAX_ERROR_TEXT = 300;

    final Settings settings;
    final ObjectMapper json;
    final String userAgent;
    private final HttpCaller caller;

    Provider(Settings settings, ObjectMapper json, HttpCaller caller, String userAgent) {
        this.settings = settings;
        this.json = json;
        this.caller = caller;
        this.userAgent = userAgent;
    }

    /** {@code anthropic} or {@code openai}. */
    abstract String name();

    /** As users know it, for messages: {@code Anthropic}, {@code OpenAI}. */
    abstract String label();

    /** Request headers: name, value, name, value... */
    abstract String[] headers();

    abstract ObjectNode encode(LlmRequest request) throws LlmException;

    /** @param root a 2xx answer */
    abstract LlmResponse decode(JsonNode root) throws LlmException;

    /**
     * Sends the request with retries and decodes the answer; the returned duration is 0 (the gateway times).
     *
     * @throws LlmException PROVIDER for an error status (after retries, if it was retryable) or an unreadable answer
     */
    LlmResponse complete(LlmRequest request, Runnable onRetry) throws LlmException, InterruptedException {
        byte[] body;
        try {
            body = json.writeValueAsBytes(encode(request));
        } catch (JsonProcessingException e) {
            throw new LlmException(Reason.PROVIDER, "Cannot write the request for " + label() + ": "
                    + e.getOriginalMessage(), e);
        }
        HttpCaller.Reply reply = caller.post(label(), request.agent(), settings.endpoint(), headers(), body, onRetry);
        if (reply.status() / 100 != 2) {
            throw new LlmException(Reason.PROVIDER, label() + " API error " + reply.status() + ": "
                    + errorText(reply.body()) + HttpCaller.after(reply.retries()));
        }
        JsonNode root;
        try {
            root = json.readTree(reply.body());
        } catch (IOException e) {
            throw new LlmException(Reason.PROVIDER, label() + " answered with something that is not JSON");
        }
        if (root == null || !root.isObject()) {
            throw new LlmException(Reason.PROVIDER, label() + " answered with something that is not a JSON object");
        }
        return decode(root);
    }

    /** The provider's own error message if the body has one, else the body; short, one line, secrets masked. */
    String errorText(byte[] body) {
        String text = new String(body, StandardCharsets.UTF_8);
        try {
            JsonNode root = json.readTree(body);
            if (root != null) {
                JsonNode error = root.path("error");
                if (error.isTextual()) {
                    text = error.asText();
                } else if (error.path("message").isTextual()) {
                    text = error.path("message").asText();
                } else if (root.path("message").isTextual()) {
                    text = root.path("message").asText();
                }
            }
        } catch (IOException e) {
            // not JSON: quote the text
        }
        text = text.replaceAll("\\s+", " ").trim();
        if (text.isEmpty()) {
            text = "(no body)";
        }
        if (text.length() > MAX_ERROR_TEXT) {
            text = text.substring(0, MAX_ERROR_TEXT) + "...";
        }
        text = SecretMasker.mask(text).text();
        if (!settings.apiKey().isEmpty()) {
            text = text.replace(settings.apiKey(), SecretMasker.REDACTED);
        }
        return text;
    }

    /** The tool's JSON Schema as an object. */
    ObjectNode schema(LlmTool tool) throws LlmException {
        JsonNode schema;
        try {
            schema = json.readTree(tool.inputSchema());
        } catch (IOException e) {
            throw new LlmException(Reason.CONFIGURATION, "Tool '" + tool.name() + "' has an input schema that is "
                    + "not valid JSON");
        }
        if (schema == null || !schema.isObject()) {
            throw new LlmException(Reason.CONFIGURATION, "Tool '" + tool.name() + "' has an input schema that is "
                    + "not a JSON object");
        }
        return (ObjectNode) schema;
    }

    /** Anthropic's and OpenAI's words for why the model stopped, as {@link LlmResponse#stopReason()} spells them. */
    static String normalise(String reason, boolean toolCalls) {
        if (toolCalls) {
            // Ollama and some llama.cpp builds say "stop" even when the reply is tool calls.
            return "tool_use";
        }
        if (reason == null || reason.isEmpty()) {
            return "end_turn";
        }
        return switch (reason) {
            case "stop", "end_turn", "stop_sequence" -> "end_turn";
            case "tool_calls", "function_call", "tool_use" -> "tool_use";
            case "length", "max_tokens", "model_length" -> "max_tokens";
            default -> reason;
        };
    }
}
