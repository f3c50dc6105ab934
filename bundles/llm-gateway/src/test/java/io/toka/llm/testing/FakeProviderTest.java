package io.toka.llm.testing;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.toka.llm.testing.FakeProvider.Turn;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The fake itself: it refuses what the real services refuse, and records and checks requests. */
class FakeProviderTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final FakeProvider fake = FakeProvider.start();
    private final HttpClient http = HttpClient.newHttpClient();

    @AfterEach
    void close() {
        fake.close();
    }

    private HttpResponse<String> post(String path, String body, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(fake.url() + path))
                .POST(HttpRequest.BodyPublishers.ofString(body.replace('\'', '"')));
        if (headers.length > 0) {
            b.headers(headers);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void listensOnLoopback() {
        assertThat(fake.url()).startsWith("http://127.0.0.1:");
    }

    @Test
    void anthropicNeedsTheKeyAndVersionHeaders() throws Exception {
        fake.expectKey("k").replyText("hi");
        String body = "{'model':'m','max_tokens':5,'messages':[{'role':'user','content':'hi'}]}";
        HttpResponse<String> noKey = post("/v1/messages", body, "Content-Type", "application/json",
                "anthropic-version", "2023-06-01");
        assertThat(noKey.statusCode()).isEqualTo(401);
        assertThat(JSON.readTree(noKey.body()).at("/error/type").asText()).isEqualTo("authentication_error");
        HttpResponse<String> noVersion = post("/v1/messages", body, "Content-Type", "application/json",
                "x-api-key", "k");
        assertThat(noVersion.statusCode()).isEqualTo(400);
        HttpResponse<String> ok = post("/v1/messages", body, "Content-Type", "application/json", "x-api-key", "k",
                "anthropic-version", "2023-06-01");
        assertThat(ok.statusCode()).isEqualTo(200);
        JsonNode reply = JSON.readTree(ok.body());
        assertThat(reply.path("type").asText()).isEqualTo("message");
        assertThat(reply.at("/content/0/text").asText()).isEqualTo("hi");
        assertThat(reply.path("stop_reason").asText()).isEqualTo("end_turn");
        assertThat(fake.problems()).hasSize(2);
        assertThat(fake.requests()).hasSize(3);
    }

    @Test
    void openAiToolMessagesMustAnswerACall() throws Exception {
        fake.replyText("never");
        HttpResponse<String> r = post("/v1/chat/completions", "{'model':'m','messages':[{'role':'user','content':'hi'},"
                + "{'role':'tool','tool_call_id':'call_1','content':'x'}]}", "Content-Type", "application/json");
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(r.body()).at("/error/message").asText()).contains("role 'tool'");
        assertThat(fake.pending()).isEqualTo(1);
    }

    @Test
    void openAiReplyCarriesToolCallsWithStringArguments() throws Exception {
        fake.expectKey("k").replyToolCall("file-reader", Map.of("path", "a.txt"));
        HttpResponse<String> r = post("/v1/chat/completions", "{'model':'m','messages':[{'role':'user',"
                + "'content':'hi'}]}", "Content-Type", "application/json", "Authorization", "Bearer k");
        JsonNode reply = JSON.readTree(r.body());
        assertThat(reply.at("/choices/0/finish_reason").asText()).isEqualTo("tool_calls");
        assertThat(reply.at("/choices/0/message/content").isNull()).isTrue();
        assertThat(reply.at("/choices/0/message/tool_calls/0/function/arguments").asText())
                .isEqualTo("{\"path\":\"a.txt\"}");
        assertThat(reply.at("/usage/total_tokens").asLong()).isPositive();
    }

    @Test
    void aFailedExpectationIsAnsweredWith400AndListed() throws Exception {
        fake.reply(Turn.text("x").expect(r -> assertThat(r.at("/model")).isEqualTo("other")));
        HttpResponse<String> r = post("/v1/chat/completions", "{'model':'m','messages':[{'role':'user',"
                + "'content':'hi'}]}", "Content-Type", "application/json");
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(fake.problems()).singleElement().asString().contains("expectation failed");
    }

    @Test
    void aRequestBeyondTheScriptIsA500AndAProblem() throws Exception {
        HttpResponse<String> r = post("/v1/chat/completions", "{'model':'m','messages':[{'role':'user',"
                + "'content':'hi'}]}", "Content-Type", "application/json");
        assertThat(r.statusCode()).isEqualTo(500);
        assertThat(fake.problems()).singleElement().asString().contains("no scripted turn left");
    }
}
