package io.toka.mcp.internal;

import static io.toka.mcp.internal.Mcp.notification;
import static io.toka.mcp.internal.Mcp.rpc;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.toka.tool.ToolResult;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Agents as the server tools toka-agents-list and toka-agent-run, behind agent:read and agent:run. */
class AgentToolsTest {

    @TempDir
    Path dir;
    Mcp mcp;
    final FakeAgentService agents = new FakeAgentService();
    AgentTools tools;

    @BeforeEach
    void start() {
        mcp = new Mcp(dir);
        mcp.registry.tool(FakeRegistry.describe("echo").build(), (a, o) -> ToolResult.success("echo"));
        tools = new AgentTools(agents);
        mcp.server.addServerTools(tools);
    }

    @AfterEach
    void stop() {
        mcp.close();
    }

    private List<String> toolNames(String token) {
        JsonNode list = mcp.post(rpc(1, "tools/list", "{}")).bearer(token).version("2025-11-25").send().json();
        return list.at("/result/tools").findValuesAsText("name");
    }

    @Test
    void theAgentToolsAreSeenOnlyWithTheAgentPermissions() {
        assertThat(toolNames(mcp.admin)).contains("toka-agents-list", "toka-agent-run", "echo");
        assertThat(toolNames(mcp.tokens.issue("tools-only", "tool:invoke:*"))).containsExactly("echo");
        assertThat(toolNames(mcp.tokens.issue("runner", "agent:run"))).containsExactly("toka-agent-run");
        assertThat(toolNames(mcp.tokens.issue("watcher", "agent:read"))).containsExactly("toka-agents-list");

        JsonNode run = mcp.post(rpc(1, "tools/list", "{}")).version("2025-11-25").send().json()
                .at("/result/tools").findParents("name").stream()
                .filter(t -> t.get("name").asText().equals("toka-agent-run")).findFirst().orElseThrow();
        assertThat(run.at("/inputSchema/required/0").asText()).isEqualTo("agent");
        assertThat(run.at("/annotations/readOnlyHint").asBoolean()).isFalse();
        assertThat(run.at("/_meta/io.toka~1provider").asText()).isEqualTo("io.toka.mcp");
    }

    @Test
    void aCallerWithoutAgentRunIsToldTheToolDoesNotExist() {
        String toolsOnly = mcp.tokens.issue("tools-only", "tool:invoke:*", "agent:read");
        JsonNode error = mcp.post(rpc(1, "tools/call", "{\"name\":\"toka-agent-run\",\"arguments\":{\"agent\":"
                + "\"quick\"}}")).bearer(toolsOnly).version("2025-11-25").send().json().get("error");
        JsonNode unknown = mcp.post(rpc(1, "tools/call", "{\"name\":\"no_such_tool\"}")).bearer(toolsOnly)
                .version("2025-11-25").send().json().get("error");
        assertThat(error.get("code")).isEqualTo(unknown.get("code"));
        assertThat(error.get("message").asText()).isEqualTo("Unknown tool: toka-agent-run");
        assertThat(agents.runBy).isEmpty();
    }

    @Test
    void aRunAnswersWhenTheAgentHasFinishedWithProgressOnTheWay() {
        String runner = mcp.tokens.issue("runner", "agent:run");
        FakeResponse r = mcp.post(rpc(5, "tools/call", "{\"name\":\"toka-agent-run\",\"arguments\":{\"agent\":"
                + "\"quick\"},\"_meta\":{\"progressToken\":\"p\"}}")).bearer(runner).version("2025-11-25").send();
        List<JsonNode> events = r.events();
        assertThat(events).filteredOn(e -> e.path("method").asText().equals("notifications/progress"))
                .isNotEmpty().allMatch(e -> e.at("/params/progressToken").asText().equals("p"));
        JsonNode result = events.get(events.size() - 1).get("result");
        assertThat(result.get("isError").asBoolean()).isFalse();
        assertThat(result.at("/content/0/text").asText()).contains("Agent quick completed: all tasks succeeded")
                .contains("[ok] say hello - said hello");
        assertThat(result.at("/structuredContent/state").asText()).isEqualTo("COMPLETED");
        assertThat(agents.runBy).containsExactly("runner");
    }

    @Test
    void badArgumentsAndUnknownAgentsAreToolErrors() {
        JsonNode missing = mcp.post(rpc(1, "tools/call", "{\"name\":\"toka-agent-run\",\"arguments\":{}}"))
                .version("2025-11-25").send().json().get("result");
        assertThat(missing.get("isError").asBoolean()).isTrue();
        assertThat(missing.at("/content/0/text").asText()).contains("\"agent\"");
        JsonNode unknown = mcp.post(rpc(2, "tools/call", "{\"name\":\"toka-agent-run\",\"arguments\":{\"agent\":"
                + "\"ghost\"}}")).version("2025-11-25").send().json().get("result");
        assertThat(unknown.get("isError").asBoolean()).isTrue();
        assertThat(unknown.at("/content/0/text").asText()).contains("Unknown agent 'ghost'");
    }

    @Test
    void cancellingTheCallTerminatesTheAgentAndAnswersNothing() throws Exception {
        String session = mcp.initialize(mcp.admin, "2025-11-25");
        CompletableFuture<FakeResponse> call = mcp.post(rpc(9, "tools/call", "{\"name\":\"toka-agent-run\","
                + "\"arguments\":{\"agent\":\"slow\"}}")).session(session).sendAsync();
        await().atMost(Duration.ofSeconds(5)).until(() -> agents.status("slow").isPresent());
        mcp.post(notification("notifications/cancelled", "{\"requestId\":9}")).session(session).send();
        FakeResponse r = call.get(5, TimeUnit.SECONDS);
        assertThat(agents.terminated).containsExactly("slow");
        assertThat(r.events()).noneMatch(e -> e.has("result"));
        assertThat(mcp.server.inFlight().size()).isZero();
    }

    @Test
    void theListShowsTheAgentsAndTheirState() {
        JsonNode result = mcp.post(rpc(1, "tools/call", "{\"name\":\"toka-agents-list\"}")).version("2025-11-25")
                .send().json().get("result");
        assertThat(result.at("/structuredContent/agents")).extracting(a -> a.get("name").asText())
                .containsExactly("quick", "slow");
        assertThat(result.at("/structuredContent/agents/0/state").asText()).isEqualTo("NEVER_RUN");
        assertThat(result.at("/content/0/text").asText()).contains("- quick: Finishes at once.");
    }

    @Test
    void sessionsAreToldWhenTheAgentToolsComeAndGo() {
        String session = mcp.initialize(mcp.admin, "2025-11-25");
        FakeResponse stream = mcp.get().session(session).send();
        mcp.server.removeServerTools(tools);
        await().atMost(Duration.ofSeconds(5)).until(() -> stream.events().size() == 1);
        assertThat(stream.events().get(0).get("method").asText()).isEqualTo("notifications/tools/list_changed");
        assertThat(toolNames(mcp.admin)).containsExactly("echo");
        assertThat(mcp.post(rpc(2, "tools/call", "{\"name\":\"toka-agents-list\"}")).version("2025-11-25").send()
                .json().at("/error/code").asInt()).isEqualTo(-32602);
    }
}
