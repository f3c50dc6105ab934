package io.toka.cluster;

import java.time.Instant;
import java.util.List;

/**
 * One member of the cluster.
 *
 * @param id the member id (Hazelcast's member UUID)
 * @param name the configured member name
 * @param address the member's cluster address, {@code host:port}
 * @param httpUrl where its HTTP API answers, e.g. {@code http://10.0.0.2:8181}, or {@code null} if unknown
 * @param startedAt when the member joined, or {@code null} if it has not published it
 * @param load its load when it last published, or {@code null}
 * @param tools the tools deployed on it, by name
 * @param local whether this is the node answering
 * @param verified whether what it published is signed with the cluster's secret; a member that is not verified
 *     either has not published yet or does not know the secret
 * @param updatedAt when it last published, or {@code null}
 */
public record ClusterMember(String id, String name, String address, String httpUrl, Instant startedAt, Load load,
        List<DeployedTool> tools, boolean local, boolean verified, Instant updatedAt) {

    /** Copies the list. */
    public ClusterMember {
        tools = List.copyOf(tools);
    }

    /**
     * A member's load.
     *
     * @param systemLoadAverage the host's one-minute load average, or a negative value where unknown
     * @param processCpuLoad the CPU share of the member's JVM, 0 to 1, or a negative value where unknown
     * @param processors the processors available to the JVM
     * @param heapUsedBytes heap in use
     * @param heapMaxBytes the heap limit
     */
    public record Load(double systemLoadAverage, double processCpuLoad, int processors, long heapUsedBytes,
            long heapMaxBytes) {
    }

    /**
     * A tool deployed on a member.
     *
     * @param name the tool name
     * @param version its version
     */
    public record DeployedTool(String name, String version) {
    }
}
