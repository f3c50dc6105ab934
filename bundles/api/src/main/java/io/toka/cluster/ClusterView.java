package io.toka.cluster;

import java.util.List;
import org.osgi.annotation.versioning.ProviderType;

/** The members of the cluster this node belongs to. */
@ProviderType
public interface ClusterView {

    /** @return the configured cluster name */
    String clusterName();

    /** @return this node's member id */
    String localMemberId();

    /**
     * @return the current members, oldest first; each shows what it last published about itself (a member that
     *     has not published yet, or whose publication does not carry a valid signature, shows no tools and
     *     {@link ClusterMember#verified()} {@code false})
     */
    List<ClusterMember> members();

    /**
     * @param tool a tool name
     * @return the verified members that have the tool deployed, oldest first
     */
    default List<ClusterMember> membersWithTool(String tool) {
        return members().stream().filter(ClusterMember::verified)
                .filter(m -> m.tools().stream().anyMatch(t -> t.name().equals(tool))).toList();
    }
}
