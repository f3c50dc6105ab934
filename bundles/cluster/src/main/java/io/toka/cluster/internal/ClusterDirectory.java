package io.toka.cluster.internal;

import com.hazelcast.cluster.Member;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.replicatedmap.ReplicatedMap;
import io.toka.cluster.ClusterMember;
import io.toka.cluster.ClusterView;
import io.toka.runtime.registry.RegisteredTool;
import io.toka.runtime.registry.ToolRegistry;
import io.toka.runtime.registry.ToolRegistryListener;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.lang.management.OperatingSystemMXBean;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster view: every member publishes a signed {@link MemberCard} in a replicated map (at start, when its tools
 * change, and every {@value #REFRESH_SECONDS} seconds for its load); the view lists Hazelcast's current members
 * with what their cards say. A member without a valid card shows no tools and is not verified, and is logged.
 */
@Component(service = {ClusterView.class, ToolRegistryListener.class})
public final class ClusterDirectory implements ClusterView, ToolRegistryListener {

    static final int REFRESH_SECONDS = 5;
    private static final Logger LOG = LoggerFactory.getLogger(ClusterDirectory.class);

    private final Fabric fabric;
    private final ToolRegistry registry;
    private final ReplicatedMap<String, String> cards;
    private final UUID membership;
    private final ScheduledExecutorService publisher;
    private final AtomicBoolean publishQueued = new AtomicBoolean();
    private final Set<String> reportedUnverified = java.util.concurrent.ConcurrentHashMap.newKeySet();

    @Activate
    public ClusterDirectory(@Reference Fabric fabric, @Reference ToolRegistry registry) {
        this.fabric = fabric;
        this.registry = registry;
        this.cards = fabric.hazelcast().getReplicatedMap(HazelcastConfigs.CARDS);
        this.membership = fabric.hazelcast().getCluster().addMembershipListener(new MembershipListener() {
            @Override
            public void memberAdded(MembershipEvent e) {
                queuePublish();
            }

            @Override
            public void memberRemoved(MembershipEvent e) {
                cards.remove(e.getMember().getUuid().toString());
            }
        });
        this.publisher = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "toka-cluster-directory");
            t.setDaemon(true);
            return t;
        });
        publisher.scheduleWithFixedDelay(this::publish, 0, REFRESH_SECONDS, TimeUnit.SECONDS);
    }

    @Deactivate
    void deactivate() {
        publisher.shutdownNow();
        try {
            fabric.hazelcast().getCluster().removeMembershipListener(membership);
            cards.remove(localMemberId());
        } catch (RuntimeException hazelcastStopping) {
            // the member is shutting down; the others drop the card when it leaves
        }
    }

    @Override
    public void toolsChanged(Set<String> names) {
        queuePublish();
    }

    private void queuePublish() {
        if (publishQueued.compareAndSet(false, true)) {
            try {
                publisher.execute(this::publish);
            } catch (java.util.concurrent.RejectedExecutionException stopping) {
                publishQueued.set(false);
            }
        }
    }

    /** Publishes this member's card. */
    void publish() {
        publishQueued.set(false);
        try {
            Member self = fabric.hazelcast().getCluster().getLocalMember();
            List<ClusterMember.DeployedTool> tools = new ArrayList<>();
            for (RegisteredTool t : registry.list()) {
                tools.add(new ClusterMember.DeployedTool(t.name(), t.descriptor().version()));
            }
            ClusterMember me = new ClusterMember(self.getUuid().toString(), fabric.settings().memberName(),
                    address(self), fabric.settings().httpUrl(), fabric.startedAt(), load(), tools, true, true,
                    Instant.now());
            cards.put(me.id(), MemberCard.write(fabric.secrets(), me));
        } catch (RuntimeException e) {
            LOG.warn("Cannot publish this member's card in the cluster view: {}", e.toString());
        }
    }

    @Override
    public String clusterName() {
        return fabric.settings().clusterName();
    }

    @Override
    public String localMemberId() {
        return fabric.hazelcast().getCluster().getLocalMember().getUuid().toString();
    }

    @Override
    public List<ClusterMember> members() {
        List<ClusterMember> out = new ArrayList<>();
        for (Member m : fabric.hazelcast().getCluster().getMembers()) {
            String id = m.getUuid().toString();
            String address = address(m);
            ClusterMember card = MemberCard.read(fabric.secrets(), cards.get(id), id, address, m.localMember());
            if (card == null) {
                Object name = m.getAttribute(HazelcastConfigs.ATTR_NAME);
                card = new ClusterMember(id, name == null ? address : name.toString(), address, null, null, null,
                        List.of(), m.localMember(), false, null);
                if (cards.containsKey(id) && reportedUnverified.add(id)) {
                    LOG.error("Cluster member {} at {} published a card that is not signed with this cluster's secret:"
                            + " it is shown unverified and its tools are ignored", id, address);
                }
            }
            out.add(card);
        }
        return out;
    }

    private static String address(Member m) {
        return m.getAddress().getHost() + ":" + m.getAddress().getPort();
    }

    private static ClusterMember.Load load() {
        OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        double cpu = -1;
        try {
            if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
                cpu = sun.getProcessCpuLoad();
            }
        } catch (LinkageError noSunManagement) {
            // not exported by the framework: unknown
        }
        MemoryUsage heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
        return new ClusterMember.Load(os.getSystemLoadAverage(), cpu, os.getAvailableProcessors(), heap.getUsed(),
                heap.getMax());
    }
}
