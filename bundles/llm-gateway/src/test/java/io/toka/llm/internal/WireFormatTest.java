package io.toka.llm.internal;

import static io.toka.llm.internal.Gateways.fakeConfig;
import static io.toka.llm.internal.Gateways.fileReader;
import static io.toka.llm.internal.Gateways.settings;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.toka.llm.ContentBlock;
import io.toka.llm.LlmException;
import io.toka.llm.LlmMessage;
import io.toka.llm.LlmRequest;
import io.toka.llm.LlmResponse;
import io.toka.llm.testing.FakeProvider;
import io.toka.llm.testing.FakeProvider.Recorded;
import io.toka.llm.testing.FakeProvider.Turn;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Both wire formats, end to end against the fake: headers, exact request bodies, replies, tool round trips. */
class WireFormatTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SCHEMA =
            "{\"type\":\"object\",\"properties\":{\"path\":{\"type\":\"string\"}},\"required\":[\"path\"]}";

    private final FakeProvider fake = FakeProvider.start();
    private LlmGatewayImpl gateway;

    @AfterEach
    void close() {
        if (gateway != null) {
            gateway.deactivate();
        }
        fake.close();
    }

    private LlmGatewayImpl gateway(String provider) {
        gateway = Gateways.gateway(settings(fakeConfig(provider, fake.url()), Map.of()), new Gateways.RecordingSleeper());
        return gateway;
    }

    private static JsonNode json(String text) throws Exception {
        return JSON.readTree(text.replace('\'', '"'));
    }

    @ParameterizedTest
    @ValueSource(strings = {"anthropic", "openai"})
    void textReply(String provider) throws Exception {
        fake.expectKey(Gateways.key(provider)).reply(Turn.text("Hello there").usage(12, 3));
        LlmResponse response = gateway(provider).complete(new LlmRequest("agent-1", "You are Toka.",
                List.of(LlmMessage.user("Say hello")), List.of(), 100, 0.5));

        assertThat(response.text()).isEqualTo("Hello there");
        assertThat(response.toolUses()).isEmpty();
        assertThat(response.stopReason()).isEqualTo("end_turn");
        assertThat(response.inputTokens()).isEqualTo(12);
        assertThat(response.outputTokens()).isEqualTo(3);
        assertThat(response.provider()).isEqualTo(provider);
        assertThat(fake.problems()).isEmpty();
        Recorded request = fake.lastRequest();
        assertThat(request.header("User-Agent")).matches("toka-llm-gateway/\\d+\\.\\d+\\.\\d+.*");
        assertThat(request.header("Content-Type")).isEqualTo("application/json");
        if (provider.equals("anthropic")) {
            assertThat(request.path()).isEqualTo("/v1/messages");
            assertThat(request.header("x-api-key")).isEqualTo(Gateways.ANTHROPIC_KEY);
            assertThat(request.header("anthropic-version")).isEqualTo("2023-06-01");
            assertThat(request.header("Authorization")).isNull();
            assertThat(request.body()).isEqualTo(json("{'model':'claude-test','max_tokens':100,"
                    + "'system':'You are Toka.','messages':[{'role':'user','content':[{'type':'text',"
                    + "'text':'Say hello'}]}],'temperature':0.5}"));
        } else {
            assertThat(request.path()).isEqualTo("/v1/chat/completions");
            assertThat(request.header("Authorization")).isEqualTo("Bearer " + Gateways.OPENAI_KEY);
            assertThat(request.header("x-api-key")).isNull();
            assertThat(request.body()).isEqualTo(json("{'model':'gpt-test','messages':[{'role':'system',"
                    + "'content':'You are Toka.'},{'role':'user','content':'Say hello'}],'max_tokens':100,"
                    + "'temperature':0.5}"));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"anthropic", "openai"})
    void toolCallRoundTrip(String provider) throws Exception {
        fake.replyToolCall("file-reader", Map.of("path", "a.txt")).replyText("done");
        LlmGatewayImpl g = gateway(provider);
        List<LlmMessage> conversation = new ArrayList<>(List.of(LlmMessage.user("Read a.txt")));

        LlmResponse first = g.complete(new LlmRequest("agent-1", "You are Toka.", conversation, List.of(fileReader()),
                256, 0.0));
        assertThat(first.stopReason()).isEqualTo("tool_use");
        assertThat(first.toolUses()).singleElement().satisfies(use -> {
            assertThat(use.name()).isEqualTo("file-reader");
            assertThat(use.input()).isEqualTo(Map.of("path", "a.txt"));
            assertThat(use.id()).isNotBlank();
        });
        String id = first.toolUses().get(0).id();
        conversation.add(new LlmMessage(LlmMessage.Role.ASSISTANT, first.content()));
        conversation.add(new LlmMessage(LlmMessage.Role.USER, List.of(new ContentBlock.ToolResult(id, "hello",
                false))));

        LlmResponse second = g.complete(new LlmRequest("agent-1", "You are Toka.", conversation,
                List.of(fileReader()), 256, 0.0));
        assertThat(second.text()).isEqualTo("done");
        assertThat(second.stopReason()).isEqualTo("end_turn");
        assertThat(fake.problems()).isEmpty();

        JsonNode firstBody = fake.requests().get(0).body();
        JsonNode secondBody = fake.requests().get(1).body();
        if (provider.equals("anthropic")) {
            String tools = ",'tools':[{'name':'file-reader','description':'Reads a file','input_schema':"
                    + SCHEMA.replace('"', '\'') + "}]";
            assertThat(firstBody).isEqualTo(json("{'model':'claude-test','max_tokens':256,'system':'You are Toka.',"
                    + "'messages':[{'role':'user','content':[{'type':'text','text':'Read a.txt'}]}],"
                    + "'temperature':0.0" + tools + "}"));
            assertThat(secondBody).isEqualTo(json("{'model':'claude-test','max_tokens':256,'system':'You are Toka.',"
                    + "'messages':[{'role':'user','content':[{'type':'text','text':'Read a.txt'}]},"
                    + "{'role':'assistant','content':[{'type':'tool_use','id':'" + id + "','name':'file-reader',"
                    + "'input':{'path':'a.txt'}}]},"
                    + "{'role':'user','content':[{'type':'tool_result','tool_use_id':'" + id + "','content':'hello',"
                    + "'is_error':false}]}],'temperature':0.0" + tools + "}"));
        } else {
            String tools = ",'tools':[{'type':'function','function':{'name':'file-reader',"
                    + "'description':'Reads a file','parameters':" + SCHEMA.replace('"', '\'') + "}}]";
            assertThat(firstBody).isEqualTo(json("{'model':'gpt-test','messages':[{'role':'system',"
                    + "'content':'You are Toka.'},{'role':'user','content':'Read a.txt'}],'max_tokens':256,"
                    + "'temperature':0.0" + tools + "}"));
            JsonNode expected = json("{'model':'gpt-test','messages':[{'role':'system','content':'You are Toka.'},"
                    + "{'role':'user','content':'Read a.txt'},"
                    + "{'role':'assistant','content':null,'tool_calls':[{'id':'" + id + "','type':'function',"
                    + "'function':{'name':'file-reader','arguments':'ARGS'}}]},"
                    + "{'role':'tool','tool_call_id':'" + id + "','content':'hello'}],"
                    + "'max_tokens':256,'temperature':0.0" + tools + "}");
            ((com.fasterxml.jackson.databind.node.ObjectNode) expected.at("/messages/2/tool_calls/0/function"))
                    .put("arguments", "{\"path\":\"a.txt\"}");
            assertThat(secondBody).isEqualTo(expected);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"anthropic", "openai"})
    void textAndSeveralToolCallsInOneReply(String provider) throws Exception {
        fake.reply(Turn.text("Reading both").andToolCall("file-reader", Map.of("path", "a.txt"))
                .andToolCall("file-reader", Map.of("path", "b.txt")));
        LlmResponse response = gateway(provider).complete(new LlmRequest("a", null,
                List.of(LlmMessage.user("Read a and b")), List.of(fileReader()), 256, 0.0));
        assertThat(response.text()).isEqualTo("Reading both");
        assertThat(response.toolUses()).extracting(u -> u.input().get("path")).containsExactly("a.txt", "b.txt");
        assertThat(response.toolUses().get(0).id()).isNotEqualTo(response.toolUses().get(1).id());
    }

    @ParameterizedTest
    @ValueSource(strings = {"anthropic", "openai"})
    void errorResultsAndMaxTokensStop(String provider) throws Exception {
        fake.replyToolCall("file-reader", Map.of("path", "nope")).reply(Turn.text("partial").stopReason("max_tokens"));
        LlmGatewayImpl g = gateway(provider);
        List<LlmMessage> conversation = new ArrayList<>(List.of(LlmMessage.user("Read nope")));
        LlmResponse first = g.complete(new LlmRequest("a", null, conversation, List.of(fileReader()), 256, 0.0));
        String id = first.toolUses().get(0).id();
        conversation.add(new LlmMessage(LlmMessage.Role.ASSISTANT, first.content()));
        conversation.add(new LlmMessage(LlmMessage.Role.USER, List.of(new ContentBlock.ToolResult(id,
                "no such file", true))));
        LlmResponse second = g.complete(new LlmRequest("a", null, conversation, List.of(fileReader()), 256, 0.0));

        assertThat(second.stopReason()).isEqualTo("max_tokens");
        assertThat(fake.problems()).isEmpty();
        Recorded request = fake.lastRequest();
        if (provider.equals("anthropic")) {
            assertThat(request.at("/messages/2/content/0/is_error")).isEqualTo("true");
            assertThat(request.at("/messages/2/content/0/content")).isEqualTo("no such file");
        } else {
            assertThat(request.at("/messages/2/role")).isEqualTo("tool");
            assertThat(request.at("/messages/2/content")).isEqualTo("Error: no such file");
        }
    }

    @Test
    void malformedToolArgumentsAreAProviderError() throws Exception {
        fake.reply(Turn.status(200).andRawToolCall("file-reader", "{\"path\": \"a.txt\""));
        LlmException e = Gateways.failure(gateway("openai"), Gateways.ask("a", "Read a.txt"));
        assertThat(e.reason()).isEqualTo(LlmException.Reason.PROVIDER);
        assertThat(e.getMessage()).isEqualTo("OpenAI returned malformed arguments for tool 'file-reader': not valid "
                + "JSON");
    }

    @Test
    void toolArgumentsThatAreNotAnObjectAreAProviderError() throws Exception {
        fake.reply(Turn.status(200).andRawToolCall("file-reader", "[1,2]"));
        LlmException e = Gateways.failure(gateway("openai"), Gateways.ask("a", "Read a.txt"));
        assertThat(e.getMessage()).endsWith("not a JSON object");
    }

    @Test
    void anthropicToolInputThatIsNotAnObjectIsAProviderError() throws Exception {
        fake.reply(Turn.status(200).andRawToolCall("file-reader", "\"a.txt\""));
        LlmException e = Gateways.failure(gateway("anthropic"), Gateways.ask("a", "Read a.txt"));
        assertThat(e.getMessage()).isEqualTo("Anthropic returned malformed input for tool 'file-reader': not a JSON "
                + "object");
    }

    @Test
    void openAiCompatibleServerWithoutKeySendsNoAuthorization() throws Exception {
        Map<String, Object> config = fakeConfig("openai", fake.url() + "/v1/");
        config.remove("apiKey");
        gateway = Gateways.gateway(settings(config, Map.of()), new Gateways.RecordingSleeper());
        fake.replyText("hi from llama");
        assertThat(gateway.complete(Gateways.ask("a", "hi")).text()).isEqualTo("hi from llama");
        assertThat(fake.lastRequest().header("Authorization")).isNull();
        assertThat(fake.lastRequest().path()).isEqualTo("/v1/chat/completions");
    }

    @Test
    void badToolSchemaIsRefusedBeforeSending() throws Exception {
        LlmRequest request = new LlmRequest("a", null, List.of(LlmMessage.user("hi")),
                List.of(new io.toka.llm.LlmTool("broken", "", "{not json")), 10, 0.0);
        LlmException e = Gateways.failure(gateway("anthropic"), request);
        assertThat(e.reason()).isEqualTo(LlmException.Reason.CONFIGURATION);
        assertThat(e.getMessage()).isEqualTo("Tool 'broken' has an input schema that is not valid JSON");
        assertThat(fake.requests()).isEmpty();
    }

    @Test
    void theFakeRefusesAToolResultWithoutItsCall() throws Exception {
        fake.replyText("never");
        LlmRequest request = new LlmRequest("a", null, List.of(LlmMessage.user("hi"),
                new LlmMessage(LlmMessage.Role.ASSISTANT, List.of(new ContentBlock.Text("ok"))),
                new LlmMessage(LlmMessage.Role.USER, List.of(new ContentBlock.ToolResult("toolu_x", "r", false)))),
                List.of(), 10, 0.0);
        LlmException e = Gateways.failure(gateway("anthropic"), request);
        assertThat(e.getMessage()).startsWith("Anthropic API error 400: messages.2.content.0: unexpected tool_use_id");
        assertThat(fake.problems()).hasSize(1);
        assertThat(fake.pending()).isEqualTo(1);
    }
}
