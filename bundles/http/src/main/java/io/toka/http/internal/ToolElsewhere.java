package io.toka.http.internal;

import io.toka.cluster.ClusterMember;
import io.toka.cluster.ClusterView;
import io.toka.security.Permissions;
import io.toka.security.SecurityContext;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A tool call or lookup that reaches a node without the tool, in a cluster: answered 404, naming the nodes that have
 * the tool (with their HTTP URLs), so that the client calls one of them with the same token, which every node
 * accepts. Not forwarded: see the README's Cluster section. The nodes are named only to a caller that may read tools
 * or invoke this one; anyone else gets the plain 404.
 */
final class ToolElsewhere {

    private ToolElsewhere() {
    }

    static void unknownTool(Exchange x, ClusterView cluster, String name, String detail) throws IOException {
        SecurityContext caller = x.caller();
        List<ClusterMember> nodes = cluster == null || caller == null
                || !(caller.isPermitted(Permissions.TOOL_READ) || caller.isPermitted("tool:invoke:" + name))
                ? List.of() : cluster.membersWithTool(name).stream().filter(m -> !m.local()).toList();
        if (nodes.isEmpty()) {
            x.problem(Problem.unknownTool(detail));
            return;
        }
        List<Map<String, Object>> listed = nodes.stream().map(m -> {
            Map<String, Object> n = new LinkedHashMap<>();
            n.put("id", m.id());
            n.put("name", m.name());
            n.put("httpUrl", m.httpUrl());
            n.put("version", m.tools().stream().filter(t -> t.name().equals(name)).findFirst()
                    .map(ClusterMember.DeployedTool::version).orElse(null));
            return n;
        }).toList();
        String where = String.join(", ", nodes.stream().map(m -> m.name() + " (" + m.httpUrl() + ")").toList());
        x.problem(Problem.unknownTool("tool '" + name + "' is not deployed on this node; it is deployed on " + where
                + ": call it there (the same token works on every node)"), Map.of("nodes", listed));
    }
}
