package io.toka.security.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.toka.security.AuthenticationException;
import io.toka.security.IssuedToken;
import io.toka.security.KeyInfo;
import io.toka.security.RateLimitDecision;
import io.toka.security.SecurityContext;
import io.toka.security.TokenRequest;
import io.toka.security.spi.LedgerEntry;
import io.toka.security.spi.SecurityStateStore;
import io.toka.security.spi.SharedRateBuckets;
import io.toka.security.spi.SigningKey;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two token authorities ("nodes") on one shared {@link SecurityStateStore}, as the cluster bundle provides: tokens,
 * revocations and rotations of one are honoured by the other, and concurrent rotations leave exactly one new key.
 */
class SharedStateTest {

    @TempDir
    Path dirA;
    @TempDir
    Path dirB;

    private final SharedStore store = new SharedStore();
    private final MutableClock clock = new MutableClock();

    private TokenAuthority node(Path dir) throws Exception {
        return new TokenAuthority(Settings.defaults(dir), clock, new CollectingAuditLog(), false, store);
    }

    private static IssuedToken issue(TokenAuthority a, String subject) throws Exception {
        return a.issue(a.forRoles("root", List.of("admin")),
                new TokenRequest(subject, null, List.of("tool:read"), Duration.ofHours(1)));
    }

    @Test
    void aTokenMintedOnOneNodeIsAcceptedAndRevocableOnTheOther() throws Exception {
        TokenAuthority a = node(dirA);
        TokenAuthority b = node(dirB);
        assertThat(store.keys).hasSize(1); // b found a's key instead of making its own

        IssuedToken token = issue(a, "agent");
        SecurityContext onB = b.authenticate(token.token());
        assertThat(onB.subject()).isEqualTo("agent");
        a.authenticate(token.token()); // cached on a

        // b knows the token from the shared ledger, so it may revoke it; a hears of it at once
        b.revoke(b.forRoles("root", List.of("admin")), token.claims().jti());
        AuthenticationException e = assertThrows(AuthenticationException.class, () -> a.authenticate(token.token()));
        assertThat(e.reason()).isEqualTo("token revoked");
        assertThat(store.revoked).containsKey(token.claims().jti());
    }

    @Test
    void aRevocationCascadesToTokensDelegatedOnAnotherNode() throws Exception {
        TokenAuthority a = node(dirA);
        TokenAuthority b = node(dirB);
        IssuedToken parent = issue(a, "parent");
        IssuedToken child = b.delegate(b.authenticate(parent.token()),
                new io.toka.security.DelegationRequest(null, List.of("tool:read"), null, null, null));

        assertThat(a.revoke(a.forRoles("root", List.of("admin")), parent.claims().jti()).cascade())
                .containsExactly(child.claims().jti());
        assertThrows(AuthenticationException.class, () -> b.authenticate(child.token()));
    }

    @Test
    void theAdminTokenOfOneNodeWorksOnTheOther() throws Exception {
        TokenAuthority a = node(dirA);
        TokenAuthority b = node(dirB);
        String adminA = java.nio.file.Files.readString(a.adminTokenFile()).trim();
        String adminB = java.nio.file.Files.readString(b.adminTokenFile()).trim();
        assertThat(b.authenticate(adminA).isPermitted("anything:at:all")).isTrue();
        assertThat(a.authenticate(adminB).isPermitted("anything:at:all")).isTrue();
    }

    @Test
    void aRotationOnOneNodeSignsOnTheOther() throws Exception {
        TokenAuthority a = node(dirA);
        TokenAuthority b = node(dirB);
        IssuedToken before = issue(b, "before");
        KeyInfo fresh = a.rotate(a.forRoles("root", List.of("admin")));

        assertThat(b.keys(b.forRoles("root", List.of("admin")))).first().isEqualTo(fresh);
        IssuedToken after = issue(b, "after");
        assertThat(com.nimbusds.jwt.SignedJWT.parse(after.token()).getHeader().getKeyID()).isEqualTo(fresh.kid());
        a.authenticate(after.token());
        a.authenticate(before.token()); // the overlap keeps the old key valid everywhere
    }

    @Test
    void nodesRotatingAtOnceLeaveOneNewKey() throws Exception {
        List<TokenAuthority> nodes = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            nodes.add(node(java.nio.file.Files.createTempDirectory(dirA, "n" + i)));
        }
        String first = store.activeKid();
        clock.advance(Duration.ofHours(25)); // the 24 h schedule is due on every node
        ExecutorService pool = Executors.newFixedThreadPool(nodes.size());
        CountDownLatch go = new CountDownLatch(1);
        List<Future<?>> done = new ArrayList<>();
        for (TokenAuthority n : nodes) {
            done.add(pool.submit(() -> {
                go.await();
                n.runMaintenance();
                return null;
            }));
        }
        go.countDown();
        for (Future<?> f : done) {
            f.get(30, TimeUnit.SECONDS);
        }
        pool.shutdown();
        assertThat(store.keys).hasSize(2);
        assertThat(store.activeKid()).isNotEqualTo(first);
        for (TokenAuthority n : nodes) {
            assertThat(n.keys(n.forRoles("root", List.of("admin"))).get(0).kid()).isEqualTo(store.activeKid());
        }
    }

    @Test
    void theRateLimiterUsesSharedBucketsWhileTheyAreThereAndItsOwnOtherwise() {
        RateLimiterImpl a = new RateLimiterImpl(60, 3, false, true, false);
        RateLimiterImpl b = new RateLimiterImpl(60, 3, false, true, false);
        CountingBuckets buckets = new CountingBuckets();
        a.shared = buckets;
        b.shared = buckets;
        assertThat(a.tryAcquire("alice").allowed()).isTrue();
        assertThat(b.tryAcquire("alice").allowed()).isTrue();
        RateLimitDecision third = a.tryAcquire("alice");
        assertThat(third.allowed()).isTrue();
        assertThat(third.remaining()).isZero();
        RateLimitDecision refused = b.tryAcquire("alice");
        assertThat(refused.allowed()).isFalse();
        assertThat(refused.retryAfterSeconds()).isPositive();

        // unreachable shared buckets: the node decides with its own, so requests are not all refused
        buckets.broken = true;
        assertThat(b.tryAcquire("alice").allowed()).isTrue();
        b.shared = null;
        assertThat(b.tryAcquire("bob").allowed()).isTrue();
        assertThat(buckets.tokens).doesNotContainKey("s:bob");
    }

    /** Buckets without refill, shared by reference: enough to see that both limiters draw from one budget. */
    static final class CountingBuckets implements SharedRateBuckets {
        final Map<String, Long> tokens = new ConcurrentHashMap<>();
        volatile boolean broken;

        @Override
        public Probe tryConsume(String key, int capacity, int refillPerMinute) {
            if (broken) {
                throw new IllegalStateException("no cluster");
            }
            long left = tokens.merge(key, (long) capacity - 1, (old, one) -> old > 0 ? old - 1 : -1);
            if (left < 0) {
                tokens.put(key, 0L);
                return new Probe(false, 0, TimeUnit.SECONDS.toNanos(60) / refillPerMinute, TimeUnit.SECONDS.toNanos(60));
            }
            return new Probe(true, left, 0, TimeUnit.SECONDS.toNanos(1));
        }

        @Override
        public void refund(String key, int capacity, int refillPerMinute) {
            tokens.merge(key, 1L, (old, one) -> Math.min(capacity, old + 1));
        }
    }

    /** An in-memory shared store that tells every other subscriber of each change, as the cluster's does. */
    static final class SharedStore implements SecurityStateStore {
        final List<SigningKey> keys = new ArrayList<>();
        final Map<String, Instant> revoked = new ConcurrentHashMap<>();
        final Map<String, LedgerEntry> ledger = new ConcurrentHashMap<>();
        final List<Listener> listeners = new CopyOnWriteArrayList<>();

        synchronized String activeKid() {
            return keys.stream().filter(SigningKey::active).map(SigningKey::kid).findFirst().orElse(null);
        }

        @Override
        public synchronized List<SigningKey> keys() {
            return List.copyOf(keys);
        }

        @Override
        public boolean replaceKeys(String expectedActiveKid, List<SigningKey> next) {
            synchronized (this) {
                if (!Objects.equals(activeKid(), expectedActiveKid)) {
                    return false;
                }
                keys.clear();
                keys.addAll(next);
            }
            listeners.forEach(Listener::keysChanged);
            return true;
        }

        @Override
        public Map<String, Instant> revocations(Instant now) {
            return new HashMap<>(revoked);
        }

        @Override
        public boolean revoke(String jti, Instant until) {
            boolean fresh = revoked.putIfAbsent(jti, until) == null;
            listeners.forEach(l -> l.revoked(Map.of(jti, until)));
            return fresh;
        }

        @Override
        public void record(LedgerEntry entry) {
            ledger.put(entry.jti(), entry);
        }

        @Override
        public Optional<LedgerEntry> find(String jti, Instant now) {
            return Optional.ofNullable(ledger.get(jti)).filter(e -> e.expiresAt().isAfter(now));
        }

        @Override
        public List<LedgerEntry> descendants(String jti, Instant now) {
            List<LedgerEntry> out = new ArrayList<>();
            List<String> todo = new ArrayList<>(List.of(jti));
            while (!todo.isEmpty()) {
                String p = todo.remove(0);
                for (LedgerEntry e : ledger.values()) {
                    if (p.equals(e.parent()) && e.expiresAt().isAfter(now)) {
                        out.add(e);
                        todo.add(e.jti());
                    }
                }
            }
            return out;
        }

        @Override
        public Subscription subscribe(Listener listener) {
            listeners.add(listener);
            return () -> listeners.remove(listener);
        }

        @Override
        public String describe() {
            return "memory";
        }
    }
}
