package io.toka.cluster.internal;

import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import java.io.IOException;
import java.time.Instant;
import java.util.Dictionary;
import java.util.Hashtable;
import org.osgi.annotation.bundle.Capability;
import org.osgi.framework.BundleContext;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.AttributeType;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's membership: starts the embedded Hazelcast member from {@code etc/io.toka.cluster.cfg} (required: no
 * configuration, no cluster) and registers the {@link Fabric} the other components use. Hazelcast starts on its own
 * thread, so a slow join does not hold up the framework. The service is registered by hand, not by DS, so that the
 * secret in the configuration is never copied into service properties.
 */
@Capability(namespace = "osgi.service", attribute = "objectClass:List<String>=io.toka.cluster.internal.Fabric")
@Component(configurationPid = ClusterNode.PID, configurationPolicy = ConfigurationPolicy.REQUIRE, service = {})
@Designate(ocd = ClusterNode.Config.class)
public final class ClusterNode {

    /** The configuration PID. */
    public static final String PID = "io.toka.cluster";

    private static final Logger LOG = LoggerFactory.getLogger(ClusterNode.class);
    private static final String HTTP_PORT = "org.osgi.service.http.port";
    private static final String HTTP_HOST = "org.apache.felix.http.host";

    /** The cluster configuration. */
    @ObjectClassDefinition(name = "Toka cluster", description = "Membership of a cluster of Toka nodes (Hazelcast).")
    public @interface Config {
        @AttributeDefinition(name = "Cluster name", description = "Nodes with another name form another cluster.")
        String clusterName() default "toka";

        @AttributeDefinition(name = "Secret", type = AttributeType.PASSWORD,
                description = "Shared by every node, at least 32 characters; checked when a member joins. Or secretFile.")
        String secret() default "";

        @AttributeDefinition(name = "Secret file", description = "A file holding the secret (owner-only).")
        String secretFile() default "";

        @AttributeDefinition(name = "Members", description = "host:port of the members to contact, comma-separated.")
        String members() default "";

        @AttributeDefinition(name = "Bind address", description = "The IP address this member listens on.")
        String bindAddress() default "127.0.0.1";

        @AttributeDefinition(name = "Port", description = "This member's port.")
        int port() default 5701;

        @AttributeDefinition(name = "Member name", description = "A name for people; empty: bindAddress:port.")
        String memberName() default "";

        @AttributeDefinition(name = "HTTP URL", description = "Where this node's HTTP API answers for the other "
                + "nodes' clients; empty: http://bindAddress:<HTTP port>.")
        String httpUrl() default "";
    }

    private final BundleContext context;
    private final ClusterSettings settings;
    private final Thread starter;
    private volatile HazelcastInstance hazelcast;
    private ServiceRegistration<?> registration; // guarded by this
    private boolean stopped; // guarded by this

    @Activate
    public ClusterNode(BundleContext context, Config config, @Reference ConfigurationAdmin configurations) {
        this.context = context;
        Dictionary<String, Object> http = httpConfiguration(configurations);
        this.settings = ClusterSettings.from(config, http == null ? null : String.valueOf(http.get(HTTP_HOST)),
                httpPort(http));
        ClusterSecrets secrets = new ClusterSecrets(settings.clusterName(), settings.secret());
        this.starter = new Thread(() -> start(secrets), "toka-cluster-start");
        starter.setDaemon(true);
        starter.start();
    }

    /** @return the Felix HTTP configuration (etc/org.apache.felix.http.cfg), or {@code null} */
    private static Dictionary<String, Object> httpConfiguration(ConfigurationAdmin configurations) {
        try {
            Configuration[] found = configurations.listConfigurations("(service.pid=org.apache.felix.http)");
            // processed: Karaf's $[env:...] and ${...} placeholders resolved, as the HTTP service sees them
            return found == null || found.length == 0 ? null : found[0].getProcessedProperties(null);
        } catch (IOException | InvalidSyntaxException e) {
            return null;
        }
    }

    private static int httpPort(Dictionary<String, Object> http) {
        Object p = http == null ? null : http.get(HTTP_PORT);
        try {
            return p == null ? 8181 : Integer.parseInt(p.toString().trim());
        } catch (NumberFormatException e) {
            return 8181;
        }
    }

    private void start(ClusterSecrets secrets) {
        HazelcastInstance hz;
        Instant started = Instant.now();
        try {
            LOG.info("Starting cluster member {} on {}:{}, cluster '{}', members {}", settings.memberName(),
                    settings.bindAddress(), settings.port(), settings.clusterName(), settings.members());
            hz = Hazelcast.newHazelcastInstance(HazelcastConfigs.of(settings, secrets, ClusterNode.class.getClassLoader()));
        } catch (RuntimeException e) {
            LOG.error("The cluster member could not start on {}:{}: {}", settings.bindAddress(), settings.port(),
                    e.toString(), e);
            return;
        }
        hz.getCluster().addMembershipListener(new MembershipListener() {
            @Override
            public void memberAdded(MembershipEvent e) {
                LOG.info("Cluster member joined: {} ({}); {} member(s)", e.getMember().getAttribute(
                        HazelcastConfigs.ATTR_NAME), e.getMember().getAddress(), e.getMembers().size());
            }

            @Override
            public void memberRemoved(MembershipEvent e) {
                LOG.warn("Cluster member left: {} ({}); {} member(s)", e.getMember().getAttribute(
                        HazelcastConfigs.ATTR_NAME), e.getMember().getAddress(), e.getMembers().size());
            }
        });
        Fabric fabric = new Fabric() {
            @Override
            public HazelcastInstance hazelcast() {
                return hz;
            }

            @Override
            public ClusterSettings settings() {
                return settings;
            }

            @Override
            public ClusterSecrets secrets() {
                return secrets;
            }

            @Override
            public Instant startedAt() {
                return started;
            }
        };
        synchronized (this) {
            if (stopped) {
                hz.shutdown();
                return;
            }
            hazelcast = hz;
            Hashtable<String, Object> props = new Hashtable<>();
            props.put("toka.cluster.name", settings.clusterName());
            props.put("toka.cluster.member", settings.memberName());
            registration = context.registerService(Fabric.class.getName(), fabric, props);
        }
        LOG.info("Cluster member {} is up: {} member(s) in cluster '{}'", settings.memberName(),
                hz.getCluster().getMembers().size(), settings.clusterName());
    }

    @Deactivate
    void deactivate() {
        HazelcastInstance hz;
        synchronized (this) {
            stopped = true;
            if (registration != null) {
                try {
                    registration.unregister();
                } catch (IllegalStateException alreadyGone) {
                    // the bundle is stopping
                }
                registration = null;
            }
            hz = hazelcast;
            hazelcast = null;
        }
        if (hz != null) {
            hz.shutdown();
        }
    }
}
