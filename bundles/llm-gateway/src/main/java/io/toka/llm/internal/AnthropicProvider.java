package io.toka.llm.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.toka.llm.ContentBlock;
import io.toka.llm.LlmException;
import io.toka.llm.LlmException.Reason;
import io.toka.llm.LlmMessage;
import io.toka.llm.LlmRequest;
import io.toka.llm.LlmResponse;
import io.toka.llm.LlmTool;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The Anthropic Messages API: {@code POST {base}/v1/messages} with {@code x-api-key} and {@code anthropic-version}.
 * Content is always sent as block arrays; text blocks that are empty are left out, as the API refuses them.
 */
final class AnthropicProvider extends Provider {

    AnthropicProvider(Settings settings, ObjectMapper json, HttpCaller caller, String userAgent) {
        super(settings, json, caller, userAgent);
    }

    @Override
    String name() {
        return Settings.ANTHROPIC;
    }

    @Override
    String label() {
        return "Anthropic";
    }

    @Override
    String[] headers() {
        return new String[] {"Content-Type", "application/json", "Accept", "application/json", "User-Agent",
            userAgent, "anthropic-version", settings.anthropicVersion(), "x-api-key", settings.apiKey()};
    }

    @Override
    ObjectNode encode(LlmRequest request) throws LlmException {
        ObjectNode root = json.createObjectNode();
        root.put("model", settings.model());
        root.put("max_tokens", request.maxTokens());
        if (request.system() != null && !request.system().isBlank()) {
            root.put("system", request.system());
        }
        ArrayNode messages = root.putArray("messages");
        for (LlmMessage message : request.messages()) {
            ArrayNode content = json.createArrayNode();
            for (ContentBlock block : message.content()) {
                if (block instanceof ContentBlock.Text text) {
                    if (!text.text().isEmpty()) {
                        content.addObject().put("type", "text").put("text", text.text());
                    }
                } else if (block instanceof ContentBlock.ToolUse use) {
                    ObjectNode node = content.addObject().put("type", "tool_use").put("id", use.id())
                            .put("name", use.name());
                    node.set("input", json.valueToTree(use.input()));
                } else if (block instanceof ContentBlock.ToolResult result) {
                    content.addObject().put("type", "tool_result").put("tool_use_id", result.toolUseId())
                            .put("content", result.content()).put("is_error", result.isError());
                }
            }
            if (!content.isEmpty()) {
                ObjectNode node = messages.addObject().put("role", message.role().name().toLowerCase(Locale.ROOT));
                node.set("content", content);
            }
        }
        root.put("temperature", request.temperature());
        if (!request.tools().isEmpty()) {
            ArrayNode tools = root.putArray("tools");
            for (LlmTool tool : request.tools()) {
                ObjectNode node = tools.addObject().put("name", tool.name()).put("description", tool.description());
                node.set("input_schema", schema(tool));
            }
        }
        return root;
    }

    @Override
    LlmResponse decode(JsonNode root) throws LlmException {
        List<ContentBlock> content = new ArrayList<>();
        boolean toolUse = false;
        for (JsonNode block : root.path("content")) {
            switch (block.path("type").asText()) {
                case "text" -> content.add(new ContentBlock.Text(block.path("text").asText()));
                case "tool_use" -> {
                    String name = block.path("name").asText(null);
                    String id = block.path("id").asText(null);
                    if (name == null || id == null) {
                        throw new LlmException(Reason.PROVIDER, "Anthropic returned a tool_use block without "
                                + "an id or a name");
                    }
                    JsonNode input = block.path("input");
                    if (!input.isObject()) {
                        throw new LlmException(Reason.PROVIDER, "Anthropic returned malformed input for tool '"
                                + name + "': not a JSON object");
                    }
                    @SuppressWarnings("unchecked")
                    Map<String, Object> arguments = json.convertValue(input, Map.class);
                    content.add(new ContentBlock.ToolUse(id, name, arguments));
                    toolUse = true;
                }
                default -> {
                    // thinking and other block kinds are not part of Toka's conversation model
                }
            }
        }
        JsonNode usage = root.path("usage");
        return new LlmResponse(content, normalise(root.path("stop_reason").asText(null), toolUse),
                usage.path("input_tokens").asLong(0), usage.path("output_tokens").asLong(0), name(),
                root.path("model").asText(settings.model()), 0);
    }
}
