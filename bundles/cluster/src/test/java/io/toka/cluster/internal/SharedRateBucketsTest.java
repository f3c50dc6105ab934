package io.toka.cluster.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.hazelcast.map.IMap;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.distributed.proxy.ProxyManager;
import io.github.bucket4j.grid.hazelcast.Bucket4jHazelcast;
import io.toka.security.spi.SharedRateBuckets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Three real members on loopback, each with its own {@link HazelcastRateBuckets}, as three nodes have: the leased
 * blocks never let the nodes together serve more than the shared bucket gave out (burst + refill), unused tokens go
 * back, a small bucket is taken one token at a time, a refusal says when one token comes, and a busy bucket costs far
 * fewer round trips than takes.
 */
class SharedRateBucketsTest {

    private static final String MEMBERS = "127.0.0.1:25731,127.0.0.1:25732,127.0.0.1:25733";
    private static TestMembers members;
    private static final List<Fabric> FABRICS = new ArrayList<>();
    private static final List<HazelcastRateBuckets> NODES = new ArrayList<>();

    @BeforeAll
    static void start() {
        members = new TestMembers();
        for (int port = 25731; port <= 25733; port++) {
            FABRICS.add(members.start("toka", TestMembers.SECRET, MEMBERS, port));
        }
        await().atMost(Duration.ofSeconds(30))
                .until(() -> FABRICS.get(0).hazelcast().getCluster().getMembers().size() == 3);
        FABRICS.forEach(f -> NODES.add(new HazelcastRateBuckets(f.hazelcast())));
    }

    @AfterAll
    static void stop() {
        NODES.forEach(HazelcastRateBuckets::deactivate);
        if (members != null) {
            members.close();
        }
    }

    private static long roundTrips() {
        return NODES.stream().mapToLong(HazelcastRateBuckets::roundTrips).sum();
    }

    /** Threads on every node take until each has been refused 20 times in a row; returns the tokens they got. */
    private static long hammer(String key, int capacity, int perMinute, int threadsPerNode) throws Exception {
        AtomicLong allowed = new AtomicLong();
        List<Thread> threads = new ArrayList<>();
        CountDownLatch go = new CountDownLatch(1);
        for (HazelcastRateBuckets node : NODES) {
            for (int i = 0; i < threadsPerNode; i++) {
                threads.add(started(() -> {
                    try {
                        go.await();
                        int refusedInARow = 0;
                        while (refusedInARow < 20) {
                            if (node.tryConsume(key, capacity, perMinute).consumed()) {
                                allowed.incrementAndGet();
                                refusedInARow = 0;
                            } else {
                                refusedInARow++;
                            }
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }));
            }
        }
        go.countDown();
        for (Thread t : threads) {
            t.join(TimeUnit.SECONDS.toMillis(60));
            assertThat(t.isAlive()).as("a hammering thread is still running").isFalse();
        }
        return allowed.get();
    }

    private static Thread started(Runnable r) {
        Thread t = new Thread(r, "hammer");
        t.start();
        return t;
    }

    @Test
    void threeNodesTogetherNeverServeMoreThanTheBurstPlusTheRefillAndUnusedTokensGoBack() throws Exception {
        // big enough that the nodes lease blocks (up to 20,000 / (64 x 3) = 104 tokens), refilling 60 a minute
        int burst = 20_000;
        int perMinute = 60;
        long before = roundTrips();
        long started = System.nanoTime();
        long allowed = hammer("s:guard", burst, perMinute, 3);
        // what the nodes still hold goes back within a lease (and a sweep), and is then served to anyone
        await().atMost(Duration.ofSeconds(5)).until(() -> NODES.stream()
                .mapToLong(n -> n.held("s:guard", burst, perMinute)).sum() == 0);
        SharedRateBuckets one = NODES.get(1);
        while (one.tryConsume("s:guard", burst, perMinute).consumed()) {
            allowed++;
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        long refilled = (long) Math.ceil(seconds * perMinute / 60.0);
        assertThat(allowed).as("served in %.1f s (refill at most %d)", seconds, refilled)
                .isLessThanOrEqualTo(burst + refilled)
                .as("no token is lost: the leftovers of the leases came back").isGreaterThanOrEqualTo(burst);
        assertThat(roundTrips() - before).as("round trips for %d tokens", allowed).isLessThan(allowed / 5);
    }

    @Test
    void leasingStartsFromAFreshBucketAndStillStopsAtTheBudget() throws Exception {
        // the smallest bucket that lets three nodes lease blocks of 2 at first; refill negligible over the test
        int burst = 64 * 3 * 2 + 10;
        long allowed = hammer("s:small-lease", burst, 1, 4);
        assertThat(allowed).isLessThanOrEqualTo(burst + 1L);
    }

    @Test
    void aSmallBucketIsTakenOneTokenAtATimeAndRefusedPrecisely() {
        int allowed = 0;
        for (int i = 0; i < 30; i++) {
            HazelcastRateBuckets node = NODES.get(i % 3);
            if (node.tryConsume("s:burst-ten", 10, 1).consumed()) {
                allowed++;
            }
            // nothing is ever held back from the other nodes' callers
            assertThat(NODES.stream().mapToLong(n -> n.held("s:burst-ten", 10, 1)).sum()).isZero();
        }
        assertThat(allowed).isEqualTo(10);
        SharedRateBuckets.Probe refused = NODES.get(2).tryConsume("s:burst-ten", 10, 1);
        assertThat(refused.consumed()).isFalse();
        assertThat(refused.remaining()).isZero();
        assertThat(refused.nanosToWaitForRefill()).isPositive().isLessThanOrEqualTo(TimeUnit.MINUTES.toNanos(1));
        assertThat(refused.nanosToWaitForReset()).isGreaterThan(TimeUnit.MINUTES.toNanos(9));
        // other limits (a configuration change) are another bucket, full at once
        SharedRateBuckets.Probe changed = NODES.get(0).tryConsume("s:burst-ten", 20, 1);
        assertThat(changed.consumed()).isTrue();
        assertThat(changed.remaining()).isEqualTo(19);
    }

    @Test
    void aRefusalAfterABlockWasAskedForWaitsForOneTokenNotForTheBlock() {
        int burst = 100_000;
        int perMinute = 60;
        HazelcastRateBuckets node = NODES.get(0);
        // a busy node: it leases growing blocks
        for (int i = 0; i < 2_000; i++) {
            assertThat(node.tryConsume("s:drained", burst, perMinute).consumed()).isTrue();
        }
        assertThat(node.held("s:drained", burst, perMinute)).as("it leases blocks").isPositive();
        // someone else (the raw shared bucket) takes everything left
        IMap<String, byte[]> map = FABRICS.get(1).hazelcast().getMap(HazelcastConfigs.BUCKETS);
        ProxyManager<String> raw = Bucket4jHazelcast.entryProcessorBasedBuilder(map).build();
        BucketConfiguration config = BucketConfiguration.builder()
                .addLimit(l -> l.capacity(burst).refillGreedy(perMinute, Duration.ofMinutes(1))).build();
        raw.builder().build("s:drained|" + burst + "/" + perMinute, () -> config).tryConsumeAsMuchAsPossible();
        SharedRateBuckets.Probe p;
        do {
            p = node.tryConsume("s:drained", burst, perMinute);
        } while (p.consumed());
        // one token refills in a second; a block of n would take n seconds
        assertThat(p.nanosToWaitForRefill()).isPositive().isLessThanOrEqualTo(TimeUnit.SECONDS.toNanos(1));
        assertThat(p.remaining()).isZero();
    }

    @Test
    void aBusyBucketCostsFarFewerRoundTripsThanTakes() throws Exception {
        // the benchmark's lifted limit: every call still takes from the shared bucket
        int limit = 100_000_000;
        long before = roundTrips();
        AtomicLong takes = new AtomicLong();
        List<Thread> threads = new ArrayList<>();
        for (HazelcastRateBuckets node : NODES) {
            for (int i = 0; i < 4; i++) {
                threads.add(started(() -> {
                    for (int j = 0; j < 5_000; j++) {
                        if (node.tryConsume("s:busy", limit, limit).consumed()) {
                            takes.incrementAndGet();
                        }
                    }
                }));
            }
        }
        for (Thread t : threads) {
            t.join();
        }
        assertThat(takes.get()).isEqualTo(60_000);
        assertThat(roundTrips() - before).as("round trips for 60,000 takes").isLessThan(60_000 / 20);
    }

    @Test
    void aNodeCutOffFromTheClusterServesOnlyWhatItHoldsAndThenFails() {
        try (TestMembers alone = new TestMembers()) {
            Fabric f = alone.start("solo", TestMembers.SECRET, "127.0.0.1:25734", 25734);
            HazelcastRateBuckets node = new HazelcastRateBuckets(f.hazelcast());
            try {
                for (int i = 0; i < 1_000; i++) {
                    assertThat(node.tryConsume("s:cut", 1_000_000, 1_000_000).consumed()).isTrue();
                }
                long held = node.held("s:cut", 1_000_000, 1_000_000);
                assertThat(node.tryConsume("s:small", 10, 1).consumed()).isTrue();
                f.hazelcast().shutdown();
                // a small bucket is never leased: the next take fails, and the rate limiter decides locally
                assertThatThrownBy(() -> node.tryConsume("s:small", 10, 1)).isInstanceOf(RuntimeException.class);
                // tokens already taken from the shared bucket may still be served; not one more
                long served = 0;
                try {
                    while (served <= held) {
                        node.tryConsume("s:cut", 1_000_000, 1_000_000);
                        served++;
                    }
                } catch (RuntimeException expected) {
                    // the lease is spent
                }
                assertThat(served).isLessThanOrEqualTo(held);
            } finally {
                node.deactivate();
            }
        }
    }
}
