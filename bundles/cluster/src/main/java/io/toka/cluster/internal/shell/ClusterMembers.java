package io.toka.cluster.internal.shell;

import io.toka.cluster.ClusterMember;
import io.toka.cluster.ClusterView;
import io.toka.security.Permissions;
import io.toka.security.ShellSecurity;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.table.ShellTable;

/** {@code toka:cluster-members}: each member's id, name, address, start time, load and deployed tools. */
@Command(scope = "toka", name = "cluster-members", description = "Lists the cluster's members with their load and tools")
@Service
public class ClusterMembers implements Action {

    @Reference
    ClusterView cluster;

    @Reference
    ShellSecurity security;

    @Override
    public Object execute() {
        security.currentUser().authorize("cluster.members", List.of(Permissions.SYSTEM_READ));
        System.out.println("Cluster " + cluster.clusterName() + " (this node: " + cluster.localMemberId() + ")");
        ShellTable table = new ShellTable();
        table.column("Member id");
        table.column("Name");
        table.column("Address");
        table.column("HTTP");
        table.column("Started");
        table.column("Load");
        table.column("Tools (name@version)").maxSize(80).wrap();
        for (ClusterMember m : cluster.members()) {
            ClusterMember.Load l = m.load();
            String load = l == null ? "-" : String.format("cpu %.0f%%, loadavg %.2f, heap %d/%d MiB",
                    Math.max(0, l.processCpuLoad()) * 100, l.systemLoadAverage(), l.heapUsedBytes() >> 20,
                    l.heapMaxBytes() >> 20);
            String tools = m.verified() ? m.tools().stream().map(t -> t.name() + "@" + t.version())
                    .collect(Collectors.joining(", ")) : "(not verified: no card signed with the cluster secret)";
            table.addRow().addContent(m.id() + (m.local() ? " *" : ""), m.name(), m.address(),
                    m.httpUrl() == null ? "-" : m.httpUrl(), m.startedAt() == null ? "-" : m.startedAt(), load, tools);
        }
        table.print(System.out);
        return null;
    }
}
