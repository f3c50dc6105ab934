package io.toka.http.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.toka.cluster.ClusterMember;
import io.toka.cluster.ClusterView;
import io.toka.tool.ToolDescriptor;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code GET /cluster} and the 404 that names the nodes having a tool this node lacks. */
class ClusterServletTest {

    @TempDir
    Path dir;

    private Api api;
    private ClusterServlet servlet;
    private final ClusterView view = new ClusterView() {
        @Override
        public String clusterName() {
            return "toka";
        }

        @Override
        public String localMemberId() {
            return "a";
        }

        @Override
        public List<ClusterMember> members() {
            return List.of(
                    new ClusterMember("a", "node-a", "127.0.0.1:5701", "http://127.0.0.1:8181",
                            Instant.parse("2026-01-01T00:00:00Z"), new ClusterMember.Load(0.5, 0.25, 2, 100, 200),
                            List.of(new ClusterMember.DeployedTool("file-reader", "1.0.0")), true, true,
                            Instant.parse("2026-01-01T00:00:05Z")),
                    new ClusterMember("b", "node-b", "127.0.0.1:5702", "http://127.0.0.1:8182",
                            Instant.parse("2026-01-01T00:00:01Z"), new ClusterMember.Load(0.1, 0.05, 2, 50, 200),
                            List.of(new ClusterMember.DeployedTool("file-reader", "1.0.0"),
                                    new ClusterMember.DeployedTool("hello", "2.1.0")), false, true,
                            Instant.parse("2026-01-01T00:00:06Z")),
                    new ClusterMember("x", "127.0.0.1:5799", "127.0.0.1:5799", null, null, null, List.of(), false,
                            false, null));
        }
    };

    @BeforeEach
    void setUp() {
        api = new Api(dir);
        servlet = new ClusterServlet();
    }

    @Test
    void theViewListsEachMemberWithItsLoadAndTools() {
        servlet.cluster = view;
        FakeResponse r = api.call(servlet, FakeRequest.get("/cluster").bearer(api.token("ops", "system:read")));
        assertThat(r.getStatus()).isEqualTo(200);
        assertThat(r.json().get("cluster").asText()).isEqualTo("toka");
        assertThat(r.json().get("self").asText()).isEqualTo("a");
        assertThat(r.json().get("members")).hasSize(3);
        var b = r.json().get("members").get(1);
        assertThat(b.get("name").asText()).isEqualTo("node-b");
        assertThat(b.get("address").asText()).isEqualTo("127.0.0.1:5702");
        assertThat(b.get("startedAt").asText()).isEqualTo("2026-01-01T00:00:01Z");
        assertThat(b.get("load").get("processCpuLoad").asDouble()).isEqualTo(0.05);
        assertThat(b.get("tools").get(1).get("name").asText()).isEqualTo("hello");
        assertThat(b.get("tools").get(1).get("version").asText()).isEqualTo("2.1.0");
        assertThat(r.json().get("members").get(2).get("verified").asBoolean()).isFalse();
    }

    @Test
    void theViewNeedsSystemReadAndWithoutATokenRevealsNothing() {
        servlet.cluster = view;
        FakeResponse denied = api.call(servlet, FakeRequest.get("/cluster").bearer(api.token("reader", "tool:read")));
        assertThat(denied.getStatus()).isEqualTo(403);
        assertThat(denied.text()).doesNotContain("node-b").doesNotContain("5702");
        FakeResponse anonymous = api.call(servlet, FakeRequest.get("/cluster"));
        assertThat(anonymous.getStatus()).isEqualTo(401);
        assertThat(anonymous.text()).doesNotContain("node-b").doesNotContain("5702").doesNotContain("enabled");
        // and the same 401 whether clustering is on or off
        servlet.cluster = null;
        assertThat(api.call(servlet, FakeRequest.get("/cluster")).getStatus()).isEqualTo(401);
    }

    @Test
    void withoutClusteringAnAuthorizedCallerIsToldItIsOff() {
        FakeResponse r = api.call(servlet, FakeRequest.get("/cluster").bearer(api.token("ops", "system:read")));
        assertThat(r.getStatus()).isEqualTo(404);
        assertThat(r.json().get("detail").asText()).contains("clustering is not enabled");
    }

    @Test
    void aToolDeployedOnAnotherNodeIsAnswered404NamingThatNode() {
        ToolsServlet tools = new ToolsServlet(new FakeRegistry().tool(ToolDescriptor.builder("file-reader").build()));
        tools.cluster = view;
        FakeResponse r = api.call(tools, FakeRequest.post("/tools/hello/invoke", "{\"arguments\":{}}")
                .bearer(api.token("caller", "tool:invoke:hello")));
        assertThat(r.getStatus()).isEqualTo(404);
        assertThat(r.json().get("detail").asText()).contains("not deployed on this node").contains("node-b")
                .contains("http://127.0.0.1:8182");
        assertThat(r.json().get("nodes")).hasSize(1);
        assertThat(r.json().get("nodes").get(0).get("httpUrl").asText()).isEqualTo("http://127.0.0.1:8182");
        assertThat(r.json().get("nodes").get(0).get("version").asText()).isEqualTo("2.1.0");

        FakeResponse read = api.call(tools, FakeRequest.get("/tools/hello").bearer(api.token("r", "tool:read")));
        assertThat(read.getStatus()).isEqualTo(404);
        assertThat(read.json().get("nodes").get(0).get("name").asText()).isEqualTo("node-b");

        // a tool no node has, and a caller who may neither read tools nor invoke this one: the plain 404
        FakeResponse nowhere = api.call(tools, FakeRequest.post("/tools/nothing/invoke", "{}")
                .bearer(api.token("caller", "tool:invoke:nothing")));
        assertThat(nowhere.getStatus()).isEqualTo(404);
        assertThat(nowhere.json().has("nodes")).isFalse();
        FakeResponse stranger = api.call(tools, FakeRequest.post("/tools/hello/invoke", "{}")
                .bearer(api.token("stranger", "event:read")));
        assertThat(stranger.getStatus()).isEqualTo(404);
        assertThat(stranger.text()).doesNotContain("node-b");
    }
}
