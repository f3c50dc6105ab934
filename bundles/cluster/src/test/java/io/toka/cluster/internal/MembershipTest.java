package io.toka.cluster.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.hazelcast.client.HazelcastClient;
import com.hazelcast.client.config.ClientConfig;
import io.toka.security.spi.SharedRateBuckets;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Real members on loopback: those with the secret form one cluster; a node with another secret, or a Hazelcast client
 * that knows the cluster's name, does not get in; the rate-limit buckets are one budget across members.
 */
class MembershipTest {

    private static final String MEMBERS = "127.0.0.1:25711, 127.0.0.1:25712, 127.0.0.1:25713";
    private static TestMembers members;
    private static Fabric a;
    private static Fabric b;

    @BeforeAll
    static void start() {
        members = new TestMembers();
        a = members.start("toka", TestMembers.SECRET, MEMBERS, 25711);
        b = members.start("toka", TestMembers.SECRET, MEMBERS, 25712);
        await().atMost(Duration.ofSeconds(30)).until(() -> a.hazelcast().getCluster().getMembers().size() == 2);
    }

    @AfterAll
    static void stop() {
        members.close();
    }

    @Test
    void aNodeWithAnotherSecretDoesNotJoin() {
        try (TestMembers intruders = new TestMembers()) {
            Fabric x = intruders.start("toka", TestMembers.SECRET.replace('0', 'x'), MEMBERS, 25713);
            // it contacts the members (they are listed) but its join request is refused: once started (the join is
            // over) it is alone
            assertThat(x.hazelcast().getCluster().getMembers()).hasSize(1);
            assertThat(a.hazelcast().getCluster().getMembers()).hasSize(2);
            // and the cluster name it would need is not the configured one in clear
            assertThat(a.hazelcast().getConfig().getClusterName()).startsWith("toka-").isNotEqualTo("toka")
                    .isNotEqualTo(x.hazelcast().getConfig().getClusterName());
        }
    }

    @Test
    void aHazelcastClientIsRefusedEvenWithTheRightClusterName() {
        ClientConfig cc = new ClientConfig();
        cc.setClusterName(a.hazelcast().getConfig().getClusterName());
        cc.getNetworkConfig().addAddress("127.0.0.1:25711");
        cc.getConnectionStrategyConfig().getConnectionRetryConfig().setClusterConnectTimeoutMillis(3000);
        cc.setProperty("hazelcast.phone.home.enabled", "false");
        assertThatThrownBy(() -> HazelcastClient.newHazelcastClient(cc).shutdown())
                .isInstanceOf(IllegalStateException.class);
    }

    @Test
    void oneSubjectHasOneBudgetAcrossMembers() {
        HazelcastRateBuckets onA = new HazelcastRateBuckets(a.hazelcast());
        HazelcastRateBuckets onB = new HazelcastRateBuckets(b.hazelcast());
        try {
            oneBudget(onA, onB);
        } finally {
            onA.deactivate();
            onB.deactivate();
        }
    }

    private static void oneBudget(SharedRateBuckets onA, SharedRateBuckets onB) {
        int allowed = 0;
        for (int i = 0; i < 10; i++) {
            SharedRateBuckets node = i % 2 == 0 ? onA : onB;
            if (node.tryConsume("s:budget-test", 5, 1).consumed()) {
                allowed++;
            }
        }
        assertThat(allowed).isEqualTo(5);
        SharedRateBuckets.Probe refused = onB.tryConsume("s:budget-test", 5, 1);
        assertThat(refused.consumed()).isFalse();
        assertThat(refused.nanosToWaitForRefill()).isPositive();
        // a refund on one node is a token for the other
        onA.refund("s:budget-test", 5, 1);
        assertThat(onB.tryConsume("s:budget-test", 5, 1).consumed()).isTrue();
        // another subject, or other limits, is another bucket
        assertThat(onA.tryConsume("s:someone-else", 5, 1).consumed()).isTrue();
        assertThat(onA.tryConsume("s:budget-test", 6, 1).consumed()).isTrue();
    }
}
