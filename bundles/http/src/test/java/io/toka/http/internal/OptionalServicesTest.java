package io.toka.http.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.toka.runtime.execution.ExecutionRecord;
import io.toka.runtime.execution.ExecutionRequest;
import io.toka.runtime.execution.ExecutionResult;
import io.toka.runtime.execution.RuntimeManager;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An area whose optional service is absent answers for itself; the servlet stays and serves once it is back. */
class OptionalServicesTest {

    @TempDir
    Path dir;

    private Api api;
    private String admin;

    @BeforeEach
    void setUp() {
        api = new Api(dir);
        admin = api.token("admin-1", "*");
    }

    @Test
    void executionsWithoutTheRuntimeManagerAre404UntilItComes() {
        ExecutionsServlet servlet = new ExecutionsServlet();
        for (FakeRequest req : List.of(FakeRequest.get("/executions"), FakeRequest.get("/executions/engines"),
                new FakeRequest("DELETE", "/executions"))) {
            FakeResponse r = api.call(servlet, req.bearer(admin));
            assertThat(r.getStatus()).isEqualTo(404);
            assertThat(r.json().get("detail").asText()).isEqualTo("the runtime manager is not installed");
        }

        servlet.runtime = new RuntimeManager() {
            @Override
            public ExecutionResult execute(ExecutionRequest request) {
                throw new UnsupportedOperationException();
            }

            @Override
            public List<ExecutionRecord> history(int limit) {
                return List.of();
            }

            @Override
            public List<EngineInfo> engines() {
                return List.of(new EngineInfo("python", "3", 2, 0, 0));
            }
        };
        FakeResponse engines = api.call(servlet, FakeRequest.get("/executions/engines").bearer(admin));
        assertThat(engines.getStatus()).isEqualTo(200);
        assertThat(engines.json().get("engines").get(0).get("language").asText()).isEqualTo("python");

        FakeResponse delete = api.call(servlet, new FakeRequest("DELETE", "/executions").bearer(admin));
        assertThat(delete.getStatus()).isEqualTo(405);
        assertThat(delete.getHeader("Allow")).isEqualTo("GET, POST");
        assertThat(delete.json().get("detail").asText()).isEqualTo("DELETE is not allowed here; use GET or POST");
    }

    @Test
    void agentsWithoutTheAgentServiceAre404() {
        AgentsServlet servlet = new AgentsServlet(null, null);
        for (String path : List.of("/status", "/agents", "/agents/a/run", "/sessions")) {
            FakeResponse r = api.call(servlet, FakeRequest.get(path).bearer(admin));
            assertThat(r.getStatus()).as(path).isEqualTo(404);
            assertThat(r.json().get("detail").asText()).isEqualTo("agents are not installed (feature toka-agents)");
        }
        assertThat(api.call(servlet, FakeRequest.get("/status")).getStatus()).as("still needs a token").isEqualTo(401);
    }
}
