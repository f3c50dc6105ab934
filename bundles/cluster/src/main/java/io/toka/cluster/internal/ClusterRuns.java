package io.toka.cluster.internal;

import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import io.toka.orchestration.spi.RunLeases;
import io.toka.orchestration.spi.TokenKeeper;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Hashtable;
import java.util.UUID;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster's share of the agent runtime: leases on runs and sessions ({@link PostgresRunLeases}) and the runs'
 * tokens ({@link SharedTokens}), both in the event store's PostgreSQL. Registered by hand with
 * {@code toka.runs=shared} (DS would copy the database password and the cluster secret into service properties); the
 * agent runtime waits for them when {@code etc/io.toka.agents.runtime.cfg} says {@code leases.cardinality.minimum = 1}
 * and {@code tokens.cardinality.minimum = 1}, as {@code toka-start --nodes} writes it.
 */
@Component(configurationPid = {"io.toka.store", ClusterNode.PID}, configurationPolicy = ConfigurationPolicy.REQUIRE,
        service = {})
public final class ClusterRuns {

    private static final Logger LOG = LoggerFactory.getLogger(ClusterRuns.class);

    /** The event store's configuration and the cluster's (merged). */
    public @interface Config {
        String type() default "sqlite";

        String postgresqlUrl() default "";

        String postgresqlUser() default "";

        String postgresqlPassword() default "";

        /** How long a run's lease lasts without renewal: about the longest a dead node's runs wait. */
        long leaseTtlMillis() default 6000;

        /** How often a node renews its leases and looks for expired ones: at most a third of the lifetime. */
        long leaseRenewMillis() default 2000;

        /**
         * Where a session's new agent run executes: {@code least-loaded} (the live node with the fewest runs; this
         * node on a tie) or {@code local} (the session's node).
         */
        String agentPlacement() default "least-loaded";
    }

    private final PostgresRunLeases leases;
    private final SmallPool pool;
    private final java.util.UUID membership;
    private final Fabric fabric;
    private final com.hazelcast.replicatedmap.ReplicatedMap<String, String> runNodes;
    private final com.hazelcast.topic.ITopic<String> runsTopic;
    private final UUID topicListener;
    private ServiceRegistration<?> tokensRegistration;
    private ServiceRegistration<?> leasesRegistration;

    @Activate
    public ClusterRuns(BundleContext context, Config config, @Reference Fabric fabric) throws SQLException {
        this.fabric = fabric;
        String url = SharedSecurityState.postgresqlUrl(config.type(), config.postgresqlUrl(), "leases on agent runs");
        this.pool = new SmallPool(PostgresSource.create(url, config.postgresqlUser(), config.postgresqlPassword()), 8,
                2000);
        // one id per start of the node: a lease of this node's previous life is never taken for its own
        String node = fabric.settings().memberName() + "/" + UUID.randomUUID().toString().substring(0, 8);
        this.leases = new PostgresRunLeases(pool, node, Duration.ofMillis(config.leaseTtlMillis()),
                Duration.ofMillis(config.leaseRenewMillis()));
        SharedTokens tokens = new SharedTokens(pool, new KeyCipher(fabric.secrets().runTokenKey()));
        try {
            leases.create();
            tokens.create();
        } catch (SQLException e) {
            pool.close();
            throw e;
        }
        String placement = config.agentPlacement() == null ? "" : config.agentPlacement().trim();
        if (!placement.equals("least-loaded") && !placement.equals("local")) {
            pool.close();
            throw new IllegalArgumentException("agentPlacement must be least-loaded or local, not '" + placement + "'");
        }
        this.runNodes = fabric.hazelcast().getReplicatedMap(HazelcastConfigs.RUN_NODES);
        this.runsTopic = fabric.hazelcast().getTopic(HazelcastConfigs.RUNS_TOPIC);
        String self = fabric.hazelcast().getCluster().getLocalMember().getUuid().toString();
        runNodes.put(self, node);
        // a wake-up only: the node reads what was handed to it from the table, so a message proves nothing
        this.topicListener = runsTopic.addMessageListener(m -> {
            if (node.equals(m.getMessageObject())) {
                leases.handedOverHere();
            }
        });
        if (placement.equals("least-loaded")) {
            leases.placeWith(this::liveNodes, runsTopic::publish);
        }
        this.membership = fabric.hazelcast().getCluster().addMembershipListener(new MembershipListener() {
            @Override
            public void memberAdded(MembershipEvent e) {
            }

            @Override
            public void memberRemoved(MembershipEvent e) {
                runNodes.remove(e.getMember().getUuid().toString());
                leases.memberLeft();
            }
        });
        Hashtable<String, Object> props = new Hashtable<>();
        props.put("toka.runs", "shared");
        tokensRegistration = context.registerService(TokenKeeper.class.getName(), tokens, props);
        leasesRegistration = context.registerService(RunLeases.class.getName(), leases, props);
        LOG.info("Agent runs are leased in PostgreSQL as node {}: lease {} ms, renewed every {} ms; their tokens are "
                + "kept there, encrypted; a session's new runs are placed {}", node, config.leaseTtlMillis(),
                config.leaseRenewMillis(), placement.equals("local") ? "on its own node" : "on the least-loaded node");
    }

    /** The lease ids of the current members' nodes that published one. */
    private java.util.Set<String> liveNodes() {
        java.util.Set<String> out = new java.util.HashSet<>();
        for (com.hazelcast.cluster.Member m : fabric.hazelcast().getCluster().getMembers()) {
            String id = runNodes.get(m.getUuid().toString());
            if (id != null) {
                out.add(id);
            }
        }
        return out;
    }

    @Deactivate
    void deactivate() {
        for (ServiceRegistration<?> r : new ServiceRegistration<?>[] {leasesRegistration, tokensRegistration}) {
            try {
                if (r != null) {
                    r.unregister();
                }
            } catch (IllegalStateException alreadyGone) {
                // the bundle is stopping
            }
        }
        try {
            fabric.hazelcast().getCluster().removeMembershipListener(membership);
            runsTopic.removeMessageListener(topicListener);
            runNodes.remove(fabric.hazelcast().getCluster().getLocalMember().getUuid().toString());
        } catch (RuntimeException hazelcastStopping) {
            // the member is shutting down
        }
        leases.close();
    }
}
