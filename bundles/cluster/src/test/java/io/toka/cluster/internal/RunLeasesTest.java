package io.toka.cluster.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.toka.orchestration.spi.LeaseLostException;
import io.toka.orchestration.spi.RunLease;
import io.toka.orchestration.spi.RunLeases;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The leases on runs and sessions and the shared run tokens, in a real PostgreSQL ({@code TOKA_PG_URL},
 * {@code TOKA_PG_USER}, {@code TOKA_PG_PASSWORD}; skipped without one unless {@code TOKA_PG_REQUIRED=1}, then it
 * fails), in a schema of its own, as three nodes a, b and c with a 1 s lease. Hostile cases first: a stale epoch is
 * refused for every operation, a takeover waits for an append in progress, a node paused inside an append loses its
 * hold, of several claimers one wins, a token is unreadable in the database and under another secret.
 */
class RunLeasesTest {

    private static final String SCHEMA = "toka_run_leases_unit_test";
    private static final Duration TTL = Duration.ofMillis(1000);
    private static final Duration RENEW = Duration.ofMillis(300);
    private static DataSource ds;
    private static final List<AutoCloseable> OPEN = new ArrayList<>();
    private static PostgresRunLeases a;
    private static PostgresRunLeases b;
    private static PostgresRunLeases c;

    @BeforeAll
    static void start() throws Exception {
        ds = TestSchema.fresh(SCHEMA);
        a = node("a");
        b = node("b");
        c = node("c");
        a.create();
        b.create();
    }

    private static PostgresRunLeases node(String id) {
        PostgresRunLeases l = new PostgresRunLeases(new SmallPool(ds, 4, 500), id, TTL, RENEW);
        OPEN.add(l);
        return l;
    }

    @AfterAll
    static void stop() throws Exception {
        for (AutoCloseable x : OPEN) {
            x.close();
        }
        if (ds != null) {
            try (Connection conn = ds.getConnection(); Statement s = conn.createStatement()) {
                s.execute("DROP SCHEMA IF EXISTS " + SCHEMA + " CASCADE");
            }
        }
    }

    private static String run() {
        return "run:" + UUID.randomUUID();
    }

    private static void awaitExpiry(String key) {
        await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(50))
                .until(() -> a.expired("run:").contains(key));
    }

    // ---------------------------------------------------------------- fencing

    @Test
    void aStaleEpochIsRefusedForAppendsRenewalsReleasesAndExpiries() throws Exception {
        String key = run();
        RunLease old = a.acquire(key);
        assertThat(a.fenced(old, () -> "recorded")).isEqualTo("recorded");
        awaitExpiry(key);
        RunLeases.Claimed taken = b.claim(key).orElseThrow();
        assertThat(taken.lease().epoch()).isEqualTo(2);
        assertThat(taken.previousOwner()).isEqualTo("a");
        assertThat(taken.previousExpiry()).isNotNull();

        AtomicInteger acted = new AtomicInteger();
        assertThatThrownBy(() -> a.fenced(old, acted::incrementAndGet)).isInstanceOf(LeaseLostException.class)
                .hasMessageContaining("node b holds it at epoch 2");
        assertThat(acted).hasValue(0);
        assertThat(a.renew(old)).isFalse();
        a.release(old);
        a.expire(old);
        assertThat(b.holder(key)).contains("b");
        assertThat(b.renew(taken.lease())).isTrue();
        assertThat(b.fenced(taken.lease(), () -> "b records")).isEqualTo("b records");
        // the same epoch claimed in a's name by a forged lease is refused too
        assertThatThrownBy(() -> a.fenced(new RunLease(key, "a", 2), acted::incrementAndGet))
                .isInstanceOf(LeaseLostException.class);
        assertThatThrownBy(() -> a.fenced(new RunLease(key, "b", 2), acted::incrementAndGet))
                .isInstanceOf(LeaseLostException.class).hasMessageContaining("not this node's");
        assertThat(acted).hasValue(0);
        b.release(taken.lease());
        assertThat(b.holder(key)).isEmpty();
    }

    @Test
    void aLiveLeaseIsNeitherAcquiredNorClaimedByAnotherNode() throws Exception {
        String key = run();
        RunLease l = a.acquire(key);
        assertThatThrownBy(() -> b.acquire(key)).isInstanceOf(LeaseLostException.class)
                .hasMessageContaining("already leased");
        assertThat(b.claim(key)).isEmpty();
        for (int i = 0; i < 5; i++) {
            Thread.sleep(RENEW.toMillis());
            assertThat(a.renew(l)).isTrue(); // renewed: never expires
            assertThat(b.claim(key)).isEmpty();
        }
        assertThat(a.expired("run:")).doesNotContain(key);
        a.expire(l); // given up: claimable at once
        RunLeases.Claimed taken = b.claim(key).orElseThrow();
        assertThat(taken.lease().epoch()).isEqualTo(2);
        b.release(taken.lease());
    }

    @Test
    void ofThreeNodesClaimingOneExpiredLeaseAtOnceExactlyOneWins() throws Exception {
        for (int round = 0; round < 5; round++) {
            String key = run();
            a.acquire(key);
            awaitExpiry(key);
            CyclicBarrier start = new CyclicBarrier(3);
            List<CompletableFuture<Optional<RunLeases.Claimed>>> claims = new ArrayList<>();
            for (PostgresRunLeases n : List.of(a, b, c)) {
                claims.add(CompletableFuture.supplyAsync(() -> {
                    try {
                        start.await(5, TimeUnit.SECONDS);
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                    return n.claim(key);
                }));
            }
            List<RunLeases.Claimed> won = new ArrayList<>();
            for (CompletableFuture<Optional<RunLeases.Claimed>> f : claims) {
                f.get(10, TimeUnit.SECONDS).ifPresent(won::add);
            }
            assertThat(won).hasSize(1);
            assertThat(won.get(0).lease().epoch()).isEqualTo(2);
        }
    }

    @Test
    void aTakeoverWaitsForAnAppendInProgressAndTheNewHolderSeesIt() throws Exception {
        // a lease of 2 s, the append started 1.4 s in: the lease expires while the append holds its lock (and PostgreSQL
        // would end that transaction only 2 s after it began)
        PostgresRunLeases d = new PostgresRunLeases(new SmallPool(ds, 2, 500), "d", Duration.ofMillis(2000),
                Duration.ofMillis(600));
        OPEN.add(d);
        String key = run();
        RunLease l = d.acquire(key);
        Thread.sleep(1400);
        CountDownLatch inside = new CountDownLatch(1);
        CountDownLatch finish = new CountDownLatch(1);
        CompletableFuture<String> append = CompletableFuture.supplyAsync(() -> {
            try {
                return d.fenced(l, () -> {
                    inside.countDown();
                    finish.await();
                    return "appended";
                });
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        assertThat(inside.await(5, TimeUnit.SECONDS)).isTrue();
        awaitExpiry(key);
        // b's claim waits for the append's lock and gives up after its lock timeout: no takeover mid-append
        assertThatThrownBy(() -> b.claim(key)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("lock timeout");
        finish.countDown();
        assertThat(append.get(5, TimeUnit.SECONDS)).isEqualTo("appended");
        assertThat(b.claim(key)).isPresent();
    }

    @Test
    void aNodePausedInsideAnAppendLosesItsHoldAndIsToldNotToAct() throws Exception {
        String key = run();
        RunLease l = a.acquire(key);
        long started = System.nanoTime();
        // the action outlasts the lease's lifetime, as a SIGSTOP between the check and the append would: PostgreSQL
        // ends the idle transaction, so the claim goes through and the paused node's commit fails
        assertThatThrownBy(() -> a.fenced(l, () -> {
            Thread.sleep(TTL.toMillis() * 2 + 500);
            assertThat(b.claim(key)).isPresent();
            return "too late";
        })).isInstanceOf(LeaseLostException.class).hasMessageContaining("not acting on it");
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(10));
        assertThat(a.renew(l)).isFalse();
        assertThat(b.holder(key)).contains("b");
    }

    // ---------------------------------------------------------------- placement

    @Test
    void aHandedLeaseIsTheOtherNodesAtTheNextEpochAndTheGiverCannotActOnItAgain() throws Exception {
        String key = run();
        RunLease mine = a.acquire(key);
        List<String> rung = new ArrayList<>();
        a.placeWith(() -> java.util.Set.of("a", "b"), rung::add);
        RunLease theirs = a.handOver(mine, "b");
        assertThat(theirs).isEqualTo(new RunLease(key, "b", 2));
        assertThat(rung).containsExactly("b");
        // the giver's epoch is stale for everything
        AtomicInteger acted = new AtomicInteger();
        assertThatThrownBy(() -> a.fenced(mine, acted::incrementAndGet)).isInstanceOf(LeaseLostException.class);
        assertThat(a.renew(mine)).isFalse();
        assertThatThrownBy(() -> a.handOver(mine, "c")).isInstanceOf(LeaseLostException.class);
        assertThat(acted).hasValue(0);
        // only b sees it handed, with its giver, until b takes it up; nobody can claim it meanwhile
        assertThat(a.handedOver("run:")).extracting(h -> h.lease().key()).doesNotContain(key);
        assertThat(c.handedOver("run:")).extracting(h -> h.lease().key()).doesNotContain(key);
        RunLeases.Claimed handed = b.handedOver("run:").stream().filter(h -> h.lease().key().equals(key))
                .findFirst().orElseThrow();
        assertThat(handed.lease()).isEqualTo(theirs);
        assertThat(handed.previousOwner()).isEqualTo("a");
        assertThat(c.claim(key)).isEmpty();
        assertThat(c.accept(theirs)).as("a lease handed to b is not c's to take up").isFalse();
        assertThat(b.accept(theirs)).isTrue();
        assertThat(b.handedOver("run:")).extracting(h -> h.lease().key()).doesNotContain(key);
        assertThat(b.fenced(theirs, () -> "b records")).isEqualTo("b records");
        assertThat(b.renew(theirs)).isTrue();
        b.release(theirs);
        assertThatThrownBy(() -> a.handOver(new RunLease(run(), "a", 1), "b")).isInstanceOf(LeaseLostException.class);
        assertThatThrownBy(() -> a.handOver(a.acquire(run()), "a")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aHandedLeaseNobodyTakesUpExpiresAndIsClaimedAsAnyOther() throws Exception {
        String key = run();
        RunLease theirs = a.handOver(a.acquire(key), "b");
        awaitExpiry(key);
        RunLeases.Claimed claimed = a.claim(key).orElseThrow();
        assertThat(claimed.lease()).isEqualTo(new RunLease(key, "a", 3));
        assertThat(claimed.previousOwner()).isEqualTo("b");
        assertThat(b.handedOver("run:")).extracting(h -> h.lease().key()).doesNotContain(key);
        assertThat(b.accept(theirs)).as("too late: the lease was claimed").isFalse();
        a.release(claimed.lease());
    }

    @Test
    void theLeastLoadedNodeIsTheOneWithFewestLiveRunLeasesThisNodeOnATie() throws Exception {
        // the pure choice
        assertThat(LeastLoaded.pick("a", java.util.Set.of("a", "b", "c"), java.util.Map.of())).isEqualTo("a");
        assertThat(LeastLoaded.pick("a", java.util.Set.of("a", "b", "c"), java.util.Map.of("a", 2L, "b", 1L)))
                .isEqualTo("c");
        assertThat(LeastLoaded.pick("a", java.util.Set.of("a", "b", "c"),
                java.util.Map.of("a", 2L, "b", 1L, "c", 1L))).isIn("b", "c");
        assertThat(LeastLoaded.pick("a", java.util.Set.of("a", "b"), java.util.Map.of("a", 1L, "b", 1L)))
                .isEqualTo("a");
        // from the table: live run leases count, sessions and expired ones do not; dead nodes are not candidates
        try (Connection conn = ds.getConnection(); Statement s = conn.createStatement()) {
            s.execute("DELETE FROM toka_run_leases");
        }
        PostgresRunLeases x = node("x");
        PostgresRunLeases y = node("y");
        PostgresRunLeases z = node("z");
        java.util.Set<String> live = new java.util.HashSet<>(java.util.Set.of("x", "y"));
        x.placeWith(() -> live, n -> {
        });
        assertThat(x.leastLoaded()).isEqualTo("x");
        RunLease x1 = x.acquire(run());
        y.acquire("session:" + UUID.randomUUID());
        assertThat(x.leastLoaded()).isEqualTo("y");
        RunLease y1 = y.acquire(run());
        assertThat(x.leastLoaded()).isEqualTo("x");
        y.acquire(run());
        z.acquire(run());
        assertThat(x.leastLoaded()).as("z holds fewer, but is not live").isEqualTo("x");
        live.add("z");
        z.expire(z.acquire(run()));
        assertThat(x.leastLoaded()).as("z: one live run, x one, tie goes to x").isEqualTo("x");
        x.acquire(run());
        assertThat(x.leastLoaded()).isEqualTo("z");
        // without placement (agentPlacement = local) or alone: always this node
        assertThat(y.leastLoaded()).isEqualTo("y");
        x.placeWith(() -> java.util.Set.of("x"), n -> {
        });
        assertThat(x.leastLoaded()).isEqualTo("x");
        x.release(x1);
        y.release(y1);
    }

    @Test
    void expiredListsOnlyItsPrefixAndBadKeysAndSettingsAreRefused() throws Exception {
        String session = "session:" + UUID.randomUUID();
        RunLease s = a.acquire(session);
        awaitExpiry2(session);
        assertThat(a.expired("run:")).doesNotContain(session);
        assertThat(a.expired("session:")).contains(session);
        a.release(s);
        assertThat(a.expired("session:")).doesNotContain(session);
        assertThatThrownBy(() -> a.acquire("run:' OR 1=1 --")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not a run or session lease key");
        assertThatThrownBy(() -> a.claim("job:" + UUID.randomUUID())).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new PostgresRunLeases(new SmallPool(ds, 1, 500), "x", Duration.ofMillis(3000),
                Duration.ofMillis(2000))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("at most a third of leaseTtlMillis");
        assertThatThrownBy(() -> new PostgresRunLeases(new SmallPool(ds, 1, 500), "x", Duration.ofMillis(10),
                Duration.ofMillis(2))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("leaseTtlMillis must be");
    }

    private static void awaitExpiry2(String key) {
        await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(50))
                .until(() -> a.expired("session:").contains(key));
    }

    // ---------------------------------------------------------------- shared tokens

    @Test
    void tokensAreKeptEncryptedBoundToTheirIdAndUnreadableUnderAnotherSecret() throws Exception {
        ClusterSecrets secrets = new ClusterSecrets("toka", TestMembers.SECRET);
        SharedTokens mine = new SharedTokens(new SmallPool(ds, 2, 500), new KeyCipher(secrets.runTokenKey()));
        mine.create();
        String id = UUID.randomUUID().toString();
        String token = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZ2VudDp4In0.c2lnbmF0dXJl";
        mine.put(id, token);
        assertThat(mine.get(id)).contains(token);
        try (Connection conn = ds.getConnection(); Statement s = conn.createStatement();
                ResultSet r = s.executeQuery("SELECT sealed FROM toka_run_tokens WHERE id = '" + id + "'")) {
            assertThat(r.next()).isTrue();
            String raw = new String(r.getBytes(1), StandardCharsets.ISO_8859_1);
            assertThat(raw).doesNotContain("eyJ").doesNotContain("agent");
        }
        // another cluster's secret does not read it
        SharedTokens other = new SharedTokens(new SmallPool(ds, 1, 500),
                new KeyCipher(new ClusterSecrets("toka", TestMembers.SECRET + "-other").runTokenKey()));
        assertThat(other.get(id)).isEmpty();
        // a row moved to another id does not decrypt
        String moved = UUID.randomUUID().toString();
        try (Connection conn = ds.getConnection(); Statement s = conn.createStatement()) {
            s.execute("INSERT INTO toka_run_tokens (id, sealed) SELECT '" + moved + "', sealed FROM toka_run_tokens"
                    + " WHERE id = '" + id + "'");
        }
        assertThat(mine.get(moved)).isEmpty();
        assertThatThrownBy(() -> mine.put("../../etc/passwd", token)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> mine.get("x' OR '1'='1")).isInstanceOf(IllegalArgumentException.class);
        mine.remove(id);
        assertThat(mine.get(id)).isEmpty();
        mine.remove(null);
    }
}
