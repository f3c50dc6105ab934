package io.toka.orchestration.internal.agent;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.toka.event.EventPayload;
import io.toka.llm.ContentBlock;
import io.toka.llm.LlmRequest;
import io.toka.llm.LlmResponse;
import io.toka.orchestration.AgentConfig.Priority;
import io.toka.orchestration.AgentStatus;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The agent's spec.priority reaches the LLM gateway with each model call; the gateway's queue wait comes back. */
class ModelQueueTest {

    @TempDir
    Path tempDir;

    AgentFixture f;

    @BeforeEach
    void setUp() throws Exception {
        f = new AgentFixture(tempDir);
    }

    @AfterEach
    void tearDown() throws Exception {
        f.close();
    }

    private static ScriptedGateway.Step waited(long queueWaitMs, List<ContentBlock> content) {
        return r -> {
            LlmResponse plain = ScriptedGateway.reply(content);
            return new LlmResponse(plain.content(), plain.stopReason(), 10, 5, "scripted", "test-model",
                    queueWaitMs + 1, queueWaitMs);
        };
    }

    @Test
    void everyModelCallCarriesTheAgentsPriorityAndTheQueueWaitShowsInItsStatusAndEvents() throws Exception {
        f.catalog.add(TestCatalog.agent("urgent", Priority.CRITICAL, List.of("filesystem-read"), "2h", 10, List.of(),
                "Read note.txt"));
        f.catalog.add(TestCatalog.agent("plain", null, List.of("filesystem-read"), "2h", 10, List.of(),
                "Look at nothing"));
        f.llm.script("urgent",
                waited(120, List.of(new ContentBlock.ToolUse("c1", "file-reader", Map.of("path", "note.txt")))),
                waited(30, List.of(new ContentBlock.Text("{\"verdict\":\"success\",\"summary\":\"ok\"}"))));
        f.llm.script("plain", ScriptedGateway.verdict("success", "ok"));
        java.nio.file.Files.writeString(f.workspace.resolve("note.txt"), "nothing");
        AgentServiceImpl agents = f.start(2);

        agents.run("urgent", f.orchestrator);
        AgentStatus urgent = agents.await("urgent", Duration.ofSeconds(10));
        agents.run("plain", f.orchestrator);
        AgentStatus plain = agents.await("plain", Duration.ofSeconds(10));

        assertThat(f.llm.requestsOf("urgent")).hasSize(2)
                .allSatisfy(r -> assertThat(r.priority()).isEqualTo(LlmRequest.Priority.CRITICAL));
        assertThat(f.llm.requestsOf("plain")).singleElement()
                .satisfies(r -> assertThat(r.priority()).isEqualTo(LlmRequest.Priority.MEDIUM));
        assertThat(urgent.state()).isEqualTo(AgentStatus.State.COMPLETED);
        assertThat(urgent.queueWaitMs()).isEqualTo(150);
        assertThat(plain.queueWaitMs()).isZero();

        ObjectMapper json = new ObjectMapper();
        List<JsonNode> progress = f.kernel.posted.stream()
                .filter(p -> p instanceof EventPayload.ObservationEmitted o && o.agent().equals("urgent"))
                .map(p -> {
                    try {
                        return json.readTree(Base64.getDecoder().decode(((EventPayload.ObservationEmitted) p).data()));
                    } catch (java.io.IOException e) {
                        throw new AssertionError(e);
                    }
                }).toList();
        assertThat(progress).isNotEmpty();
        assertThat(progress.get(0).path("queueWaitMs").asLong(-1)).isZero();
        assertThat(progress.get(progress.size() - 1).path("queueWaitMs").asLong()).isEqualTo(150);
    }
}
