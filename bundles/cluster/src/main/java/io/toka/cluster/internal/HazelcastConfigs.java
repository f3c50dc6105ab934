package io.toka.cluster.internal;

import com.hazelcast.config.AdvancedNetworkConfig;
import com.hazelcast.config.Config;
import com.hazelcast.config.InterfacesConfig;
import com.hazelcast.config.JavaSerializationFilterConfig;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.MapConfig;
import com.hazelcast.config.MemberAttributeConfig;
import com.hazelcast.config.ServerSocketEndpointConfig;
import io.github.bucket4j.grid.hazelcast.HazelcastProxyManager;

/**
 * The Hazelcast configuration of a Toka member: embedded, TCP-IP join with the configured members only (multicast and
 * auto-detection off), bound to one interface, a member endpoint only (no client, REST or memcache protocol: the
 * advanced network has no client endpoint, so Hazelcast clients are refused), no phone-home, no Jet, Java
 * deserialization limited to an allow-list, and Bucket4j's own serializers for the rate-limit buckets.
 */
final class HazelcastConfigs {

    /** The map of rate-limit buckets. */
    static final String BUCKETS = "toka.ratelimit";
    /** The replicated map of member cards. */
    static final String CARDS = "toka.members";
    /** The topic that rings when the shared security state changed. */
    static final String SECURITY_TOPIC = "toka.security";
    /** The replicated map: member id to the id its node's run leases carry. */
    static final String RUN_NODES = "toka.run-nodes";
    /** The topic that tells a node (by its lease id) that a run was handed to it. */
    static final String RUNS_TOPIC = "toka.runs";
    /** Bucket4j's serializer type ids start here. */
    static final int BUCKET4J_TYPE_ID_BASE = 10_000;
    /** Member attribute: the member's name. */
    static final String ATTR_NAME = "toka.name";

    private HazelcastConfigs() {
    }

    static Config of(ClusterSettings s, ClusterSecrets secrets, ClassLoader loader) {
        Config c = new Config();
        c.setClusterName(secrets.hazelcastClusterName());
        c.setInstanceName("toka-" + s.memberName() + "-" + Long.toHexString(System.nanoTime()));
        c.setClassLoader(loader);
        c.setProperty("hazelcast.phone.home.enabled", "false");
        c.setProperty("hazelcast.shutdownhook.enabled", "false");
        c.setProperty("hazelcast.logging.type", "slf4j");
        c.setProperty("hazelcast.socket.bind.any", "false");
        c.setProperty("hazelcast.socket.server.bind.any", "false");
        // a small cluster on a small machine: fewer partitions and threads than Hazelcast's server defaults
        c.setProperty("hazelcast.partition.count", "71");
        c.setProperty("hazelcast.operation.thread.count", "2");
        c.setProperty("hazelcast.operation.generic.thread.count", "2");
        c.setProperty("hazelcast.io.thread.count", "1");
        c.setProperty("hazelcast.event.thread.count", "2");
        // find a dead member in seconds, not a minute; join without the 5 s default wait
        c.setProperty("hazelcast.heartbeat.interval.seconds", "1");
        c.setProperty("hazelcast.max.no.heartbeat.seconds", "10");
        c.setProperty("hazelcast.wait.seconds.before.join", "1");
        c.setProperty("hazelcast.max.wait.seconds.before.join", "3");
        c.getJetConfig().setEnabled(false);
        c.setMemberAttributeConfig(new MemberAttributeConfig().setAttribute(ATTR_NAME, s.memberName()));

        AdvancedNetworkConfig net = c.getAdvancedNetworkConfig().setEnabled(true);
        ServerSocketEndpointConfig member = new ServerSocketEndpointConfig();
        member.setPort(s.port()).setPortAutoIncrement(false).setReuseAddress(true);
        member.setInterfaces(new InterfacesConfig().setEnabled(true).addInterface(s.bindAddress()));
        net.setMemberEndpointConfig(member);
        JoinConfig join = net.getJoin();
        join.getMulticastConfig().setEnabled(false);
        join.getAutoDetectionConfig().setEnabled(false);
        join.getTcpIpConfig().setEnabled(true).setConnectionTimeoutSeconds(2).setMembers(s.members());

        // nothing Toka puts in Hazelcast is Java-serialized: refuse the rest, so a forged message cannot
        // deserialize arbitrary classes
        JavaSerializationFilterConfig filter = new JavaSerializationFilterConfig().setDefaultsDisabled(false);
        filter.getWhitelist().addPrefixes("java.lang.", "java.util.", "java.time.");
        c.getSerializationConfig().setJavaSerializationFilterConfig(filter);
        HazelcastProxyManager.addCustomSerializers(c.getSerializationConfig(), BUCKET4J_TYPE_ID_BASE);

        c.addMapConfig(new MapConfig(BUCKETS).setBackupCount(1));
        return c;
    }
}
