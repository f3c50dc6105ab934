package io.toka.llm.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
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
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * OpenAI-compatible Chat Completions: {@code POST {base}/v1/chat/completions}, as OpenAI, Ollama, vLLM and llama.cpp
 * serve it. Message content is sent as a plain string, which every such server reads. Tool results become
 * {@code role: tool} messages placed before any text of the same user turn, since they must follow the assistant's
 * {@code tool_calls} directly; the format has no error flag, so a failed call's content is prefixed "Error: ".
 */
final class OpenAiProvider extends Provider {

    OpenAiProvider(Settings settings, ObjectMapper json, HttpCaller caller, String userAgent) {
        super(settings, json, caller, userAgent);
    }

    @Override
    String name() {
        return Settings.OPENAI;
    }

    @Override
    String label() {
        return "OpenAI";
    }

    @Override
    String[] headers() {
        List<String> headers = new ArrayList<>(List.of("Content-Type", "application/json", "Accept",
                "application/json", "User-Agent", userAgent));
        if (!settings.apiKey().isEmpty()) {
            headers.add("Authorization");
            headers.add("Bearer " + settings.apiKey());
        }
        if (!settings.organization().isEmpty()) {
            headers.add("OpenAI-Organization");
            headers.add(settings.organization());
        }
        return headers.toArray(String[]::new);
    }

    @Override
    ObjectNode encode(LlmRequest request) throws LlmException {
        ObjectNode root = json.createObjectNode();
        root.put("model", settings.model());
        ArrayNode messages = root.putArray("messages");
        if (request.system() != null && !request.system().isBlank()) {
            messages.addObject().put("role", "system").put("content", request.system());
        }
        for (LlmMessage message : request.messages()) {
            String text = message.content().stream().filter(b -> b instanceof ContentBlock.Text)
                    .map(b -> ((ContentBlock.Text) b).text()).filter(t -> !t.isEmpty())
                    .collect(Collectors.joining("\n"));
            if (message.role() == LlmMessage.Role.ASSISTANT) {
                ObjectNode node = messages.addObject().put("role", "assistant");
                List<ContentBlock.ToolUse> uses = message.content().stream()
                        .filter(b -> b instanceof ContentBlock.ToolUse).map(b -> (ContentBlock.ToolUse) b).toList();
                if (text.isEmpty() && !uses.isEmpty()) {
                    node.putNull("content");
                } else {
                    node.put("content", text);
                }
                if (!uses.isEmpty()) {
                    ArrayNode calls = node.putArray("tool_calls");
                    for (ContentBlock.ToolUse use : uses) {
                        ObjectNode call = calls.addObject().put("id", use.id()).put("type", "function");
                        call.putObject("function").put("name", use.name()).put("arguments", arguments(use));
                    }
                }
            } else {
                for (ContentBlock block : message.content()) {
                    if (block instanceof ContentBlock.ToolResult result) {
                        String content = result.isError() && !result.content().startsWith("Error")
                                ? "Error: " + result.content() : result.content();
                        messages.addObject().put("role", "tool").put("tool_call_id", result.toolUseId())
                                .put("content", content);
                    }
                }
                if (!text.isEmpty()) {
                    messages.addObject().put("role", "user").put("content", text);
                }
            }
        }
        root.put("max_tokens", request.maxTokens());
        root.put("temperature", request.temperature());
        if (!request.tools().isEmpty()) {
            ArrayNode tools = root.putArray("tools");
            for (LlmTool tool : request.tools()) {
                ObjectNode function = tools.addObject().put("type", "function").putObject("function")
                        .put("name", tool.name()).put("description", tool.description());
                function.set("parameters", schema(tool));
            }
        }
        return root;
    }

    private String arguments(ContentBlock.ToolUse use) throws LlmException {
        try {
            return json.writeValueAsString(use.input());
        } catch (JsonProcessingException e) {
            throw new LlmException(Reason.PROVIDER, "Cannot write the arguments of tool call '" + use.name() + "'",
                    e);
        }
    }

    @Override
    LlmResponse decode(JsonNode root) throws LlmException {
        JsonNode choice = root.path("choices").path(0);
        if (!choice.isObject()) {
            throw new LlmException(Reason.PROVIDER, "OpenAI answered without choices");
        }
        JsonNode message = choice.path("message");
        List<ContentBlock> content = new ArrayList<>();
        JsonNode text = message.path("content");
        if (text.isTextual() && !text.asText().isEmpty()) {
            content.add(new ContentBlock.Text(text.asText()));
        } else if (text.isArray()) {
            for (JsonNode part : text) {
                if (part.path("text").isTextual()) {
                    content.add(new ContentBlock.Text(part.path("text").asText()));
                }
            }
        }
        int n = 0;
        for (JsonNode call : message.path("tool_calls")) {
            n++;
            JsonNode function = call.path("function");
            String name = function.path("name").asText(null);
            if (name == null || name.isEmpty()) {
                throw new LlmException(Reason.PROVIDER, "OpenAI returned a tool call without a function name");
            }
            // Some local servers leave out the id; the conversation still needs one to pair the result with.
            String id = call.path("id").asText("");
            content.add(new ContentBlock.ToolUse(id.isEmpty() ? "call_" + n : id, name, arguments(name,
                    function.path("arguments"))));
        }
        JsonNode usage = root.path("usage");
        return new LlmResponse(content, normalise(choice.path("finish_reason").asText(null), n > 0),
                usage.path("prompt_tokens").asLong(0), usage.path("completion_tokens").asLong(0), name(),
                root.path("model").asText(settings.model()), 0);
    }

    /** The arguments are a JSON string by the specification; Ollama has sent an object, which is taken as is. */
    @SuppressWarnings("unchecked")
    private Map<String, Object> arguments(String tool, JsonNode arguments) throws LlmException {
        JsonNode parsed = arguments;
        if (arguments.isTextual()) {
            if (arguments.asText().isBlank()) {
                return Map.of();
            }
            try {
                parsed = json.readTree(arguments.asText());
            } catch (IOException e) {
                throw new LlmException(Reason.PROVIDER, "OpenAI returned malformed arguments for tool '" + tool
                        + "': not valid JSON");
            }
        } else if (arguments.isMissingNode() || arguments.isNull()) {
            return Map.of();
        }
        if (parsed == null || !parsed.isObject()) {
            throw new LlmException(Reason.PROVIDER, "OpenAI returned malformed arguments for tool '" + tool
                    + "': not a JSON object");
        }
        return json.convertValue(parsed, Map.class);
    }
}
