package io.toka.http.internal;

import io.toka.cluster.ClusterMember;
import io.toka.cluster.ClusterView;
import io.toka.security.Permissions;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.servlet.Servlet;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.http.whiteboard.propertytypes.HttpWhiteboardContextSelect;
import org.osgi.service.http.whiteboard.propertytypes.HttpWhiteboardServletName;
import org.osgi.service.http.whiteboard.propertytypes.HttpWhiteboardServletPattern;

/**
 * {@code GET /cluster}: the members of this node's cluster, each with its id, name, address, HTTP URL, start time,
 * load and deployed tools (name and version). Needs {@code system:read} (the view shows operational detail: hosts,
 * ports, load). Always registered, so that without clustering an authorized caller is told it is off (404) and an
 * unauthenticated one learns nothing either way (401 from the context).
 */
@Component(service = Servlet.class)
@HttpWhiteboardContextSelect(ApiContext.SELECT)
@HttpWhiteboardServletPattern({"/cluster", "/cluster/*"})
@HttpWhiteboardServletName(ClusterServlet.NAME)
public final class ClusterServlet extends ApiServlet {

    static final String NAME = "toka-cluster";

    private static final long serialVersionUID = 1L;
    private static final List<String> READ = List.of(Permissions.SYSTEM_READ);

    /** {@code null} unless the toka-cluster feature runs and this node has joined. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    volatile transient ClusterView cluster;

    private final transient Router router = new Router().get("/cluster", this::view);

    @Override
    Router router() {
        return router;
    }

    private void view(Exchange x) throws IOException {
        x.caller().authorize("cluster.read", READ);
        ClusterView c = cluster;
        if (c == null) {
            x.problem(Problem.notFound("clustering is not enabled on this node: see the README, Cluster"));
            return;
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("cluster", c.clusterName());
        out.put("self", c.localMemberId());
        out.put("members", c.members().stream().map(ClusterServlet::member).toList());
        x.json(200, out);
    }

    static Map<String, Object> member(ClusterMember m) {
        Map<String, Object> n = new LinkedHashMap<>();
        n.put("id", m.id());
        n.put("name", m.name());
        n.put("address", m.address());
        n.put("httpUrl", m.httpUrl());
        n.put("startedAt", m.startedAt() == null ? null : m.startedAt().toString());
        n.put("local", m.local());
        n.put("verified", m.verified());
        n.put("updatedAt", m.updatedAt() == null ? null : m.updatedAt().toString());
        ClusterMember.Load l = m.load();
        if (l == null) {
            n.put("load", null);
        } else {
            Map<String, Object> load = new LinkedHashMap<>();
            load.put("systemLoadAverage", l.systemLoadAverage());
            load.put("processCpuLoad", l.processCpuLoad());
            load.put("processors", l.processors());
            load.put("heapUsedBytes", l.heapUsedBytes());
            load.put("heapMaxBytes", l.heapMaxBytes());
            n.put("load", load);
        }
        n.put("tools", m.tools().stream().map(t -> Map.of("name", t.name(), "version", t.version())).toList());
        return n;
    }
}
