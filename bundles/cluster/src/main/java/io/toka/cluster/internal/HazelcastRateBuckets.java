package io.toka.cluster.internal;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.distributed.AsyncBucketProxy;
import io.github.bucket4j.distributed.BucketProxy;
import io.github.bucket4j.distributed.ExpirationAfterWriteStrategy;
import io.github.bucket4j.distributed.proxy.AsyncProxyManager;
import io.github.bucket4j.distributed.proxy.ProxyManager;
import io.github.bucket4j.grid.hazelcast.Bucket4jHazelcast;
import io.toka.security.spi.SharedRateBuckets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntSupplier;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The rate-limit buckets of the whole cluster, in one Hazelcast map through Bucket4j's Hazelcast module: a bucket is
 * changed only by an entry processor run on the member that owns its partition, so concurrent takes on different
 * nodes draw from one budget. A bucket's key carries its limits ({@code key|burst/perMinute}), so a change of limits
 * starts fresh buckets at once. A bucket that has refilled completely is dropped from the map after a further 10
 * seconds.
 *
 * <p><b>Leases.</b> A round trip to the owning member costs far more than a take, so a node that takes often from a
 * bucket with plenty left takes a <em>block</em> of tokens in one round trip and serves the following takes from it
 * locally. The guard: a token served locally has always been consumed from the shared bucket first, so the tokens
 * served by all nodes together never exceed what the shared bucket gave out ({@code burst + refill} over any period
 * starting from a full bucket). A block is leased only while the bucket holds at least {@value #SHARE} blocks per
 * member, so a small or nearly empty bucket is taken from one token per round trip, exactly as without leases, and no
 * node sits on tokens another node's caller needs; the block doubles while the node uses up its blocks (up to
 * {@value #MAX_BLOCK}) and halves when one expires unused. Tokens not served within {@link #LEASE} go back to the
 * shared bucket. The next block is fetched in the background when a quarter of the current one is left, so a
 * request thread of a busy subject rarely waits for Hazelcast at all; when it must, one fetch per node and bucket is
 * in flight and the other threads wait for it instead of issuing their own.
 */
@Component(service = SharedRateBuckets.class)
public final class HazelcastRateBuckets implements SharedRateBuckets {

    /** How long leased tokens may be served before they go back to the shared bucket. */
    static final Duration LEASE = Duration.ofMillis(500);
    /** The largest block a node leases. */
    static final int MAX_BLOCK = 256;
    /** A block is at most the bucket's remaining tokens divided by this and by the number of members. */
    static final int SHARE = 64;

    private static final long LEASE_NANOS = LEASE.toNanos();
    private static final long IDLE_NANOS = TimeUnit.SECONDS.toNanos(10);
    private static final Logger LOG = LoggerFactory.getLogger(HazelcastRateBuckets.class);

    private final ProxyManager<String> buckets;
    private final AsyncProxyManager<String> async;
    private final IntSupplier members;
    private final Map<String, BucketConfiguration> configurations = new ConcurrentHashMap<>();
    private final Map<String, Lease> leases = new ConcurrentHashMap<>();
    private final ScheduledExecutorService sweeper;
    /** Round trips to the shared buckets (takes, block fetches, returns, refunds), for tests and diagnosis. */
    private final LongAdder roundTrips = new LongAdder();
    /** When the last failure to give tokens back was logged (one line a minute at most). */
    private volatile long returnFailureLogged = System.nanoTime() - TimeUnit.MINUTES.toNanos(2);

    @Activate
    public HazelcastRateBuckets(@Reference Fabric fabric) {
        this(fabric.hazelcast());
    }

    HazelcastRateBuckets(HazelcastInstance hazelcast) {
        IMap<String, byte[]> map = hazelcast.getMap(HazelcastConfigs.BUCKETS);
        this.buckets = Bucket4jHazelcast.entryProcessorBasedBuilder(map)
                .expirationAfterWrite(ExpirationAfterWriteStrategy.basedOnTimeForRefillingBucketUpToMax(
                        Duration.ofSeconds(10)))
                .build();
        this.async = buckets.asAsync();
        this.members = () -> Math.max(1, hazelcast.getCluster().getMembers().size());
        this.sweeper = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "toka-ratelimit-leases");
            t.setDaemon(true);
            return t;
        });
        long period = LEASE_NANOS / 5;
        sweeper.scheduleWithFixedDelay(this::sweep, period, period, TimeUnit.NANOSECONDS);
    }

    /** Stops the sweeper and gives every leased token back (best effort: a token not given back is only lost). */
    @Deactivate
    void deactivate() {
        sweeper.shutdownNow();
        for (Lease lease : leases.values()) {
            long back;
            synchronized (lease) {
                back = lease.held + lease.toReturn;
                lease.held = 0;
                lease.toReturn = 0;
                lease.removed = true;
            }
            giveBack(lease, back);
        }
        leases.clear();
    }

    @Override
    public Probe tryConsume(String key, int capacity, int refillPerMinute) {
        String id = key + "|" + capacity + "/" + refillPerMinute;
        while (true) {
            Lease lease = leases.computeIfAbsent(id, k -> new Lease(k, capacity, refillPerMinute));
            Probe served = null;
            CompletableFuture<Fetched> pending;
            CompletableFuture<Fetched> started = null;
            int block;
            synchronized (lease) {
                if (lease.removed) {
                    continue;
                }
                long now = System.nanoTime();
                lease.expire(now);
                block = lease.block(members.getAsInt());
                if (lease.held > 0) {
                    lease.held--;
                    lease.lastTake = now;
                    served = lease.served();
                }
                // a fetch when the lease is empty (the caller waits for it), or when a quarter of a block is left
                // (in the background)
                if (lease.fetching == null && block > 1 && lease.held <= block / 4) {
                    lease.fetching = new CompletableFuture<>();
                    started = lease.fetching;
                }
                pending = lease.fetching;
            }
            if (started != null) {
                fetch(lease, started, block);
            }
            if (served != null) {
                return served;
            }
            if (pending == null) {
                return exact(lease);
            }
            Fetched outcome;
            try {
                outcome = pending.join();
            } catch (CompletionException e) {
                throw e.getCause() instanceof RuntimeException re ? re : e;
            }
            if (outcome.refusal() != null) {
                return outcome.refusal();
            }
            // tokens arrived (or the bucket had fewer than a block left, and the next try takes one): try again
        }
    }

    /** One token in one round trip, as without leases. */
    private Probe exact(Lease lease) {
        roundTrips.increment();
        ConsumptionProbe p = lease.bucket.tryConsumeAndReturnRemaining(1);
        synchronized (lease) {
            long now = System.nanoTime();
            lease.remaining = p.getRemainingTokens();
            // a node that takes again within half a lease starts leasing blocks of two, if the bucket has plenty
            if (p.isConsumed() && now - lease.lastTake < LEASE_NANOS / 2) {
                lease.nextBlock = 2;
            }
            lease.lastTake = now;
        }
        return new Probe(p.isConsumed(), p.getRemainingTokens(), p.getNanosToWaitForRefill(),
                p.getNanosToWaitForReset());
    }

    /** Takes a block in the background and completes {@code done} when it is there (or refused, or failed). */
    private void fetch(Lease lease, CompletableFuture<Fetched> done, int block) {
        roundTrips.increment();
        CompletableFuture<ConsumptionProbe> call;
        try {
            call = lease.asyncBucket.tryConsumeAndReturnRemaining(block);
        } catch (RuntimeException e) {
            call = CompletableFuture.failedFuture(e);
        }
        call.whenComplete((p, failure) -> {
            Fetched outcome = null;
            synchronized (lease) {
                if (lease.fetching == done) {
                    lease.fetching = null;
                }
                if (failure == null) {
                    outcome = lease.fetched(p, block, System.nanoTime());
                }
            }
            if (failure != null) {
                done.completeExceptionally(failure);
            } else {
                done.complete(outcome);
            }
        });
    }

    @Override
    public void refund(String key, int capacity, int refillPerMinute) {
        roundTrips.increment();
        bucket(key + "|" + capacity + "/" + refillPerMinute, capacity, refillPerMinute).addTokens(1);
    }

    /** Gives back the tokens of expired leases, and forgets leases idle for a while. */
    void sweep() {
        long now = System.nanoTime();
        for (Lease lease : leases.values()) {
            long back;
            synchronized (lease) {
                lease.expire(now);
                back = lease.toReturn;
                lease.toReturn = 0;
                if (lease.held == 0 && lease.fetching == null && now - lease.lastTake > IDLE_NANOS) {
                    lease.removed = true;
                    leases.remove(lease.id, lease);
                }
            }
            giveBack(lease, back);
        }
    }

    private void giveBack(Lease lease, long tokens) {
        if (tokens <= 0) {
            return;
        }
        roundTrips.increment();
        try {
            lease.asyncBucket.addTokens(tokens).whenComplete((v, failure) -> {
                if (failure != null) {
                    returnFailed(failure);
                }
            });
        } catch (RuntimeException e) {
            returnFailed(e);
        }
    }

    private void returnFailed(Throwable failure) {
        long now = System.nanoTime();
        if (now - returnFailureLogged > TimeUnit.MINUTES.toNanos(1)) {
            returnFailureLogged = now;
            LOG.warn("Leased rate-limit tokens could not be given back to the cluster's buckets ({}); they are lost "
                    + "until the buckets refill", failure.toString());
        }
    }

    long roundTrips() {
        return roundTrips.sum();
    }

    /** Tokens this node holds for the bucket, leased and not served yet. */
    long held(String key, int capacity, int refillPerMinute) {
        Lease lease = leases.get(key + "|" + capacity + "/" + refillPerMinute);
        if (lease == null) {
            return 0;
        }
        synchronized (lease) {
            return lease.held + lease.toReturn;
        }
    }

    private BucketConfiguration configuration(int capacity, int refillPerMinute) {
        return configurations.computeIfAbsent(capacity + "/" + refillPerMinute, k -> BucketConfiguration.builder()
                .addLimit(limit -> limit.capacity(capacity).refillGreedy(refillPerMinute, Duration.ofMinutes(1)))
                .build());
    }

    private BucketProxy bucket(String id, int capacity, int refillPerMinute) {
        BucketConfiguration config = configuration(capacity, refillPerMinute);
        return buckets.builder().build(id, () -> config);
    }

    private AsyncBucketProxy asyncBucket(String id, int capacity, int refillPerMinute) {
        BucketConfiguration config = configuration(capacity, refillPerMinute);
        return async.builder().build(id, () -> CompletableFuture.completedFuture(config));
    }

    /** What a block fetch gave: nothing to report (tokens added, or try one token), or a refusal for every waiter. */
    private record Fetched(Probe refusal) {
    }

    /** This node's lease of one shared bucket; guarded by its own monitor. */
    private final class Lease {
        final String id;
        final long capacity;
        /** Nanoseconds per refilled token. */
        final double period;
        final BucketProxy bucket;
        final AsyncBucketProxy asyncBucket;
        /** Tokens consumed from the shared bucket and not served yet. */
        long held;
        /** Tokens of an expired lease, to give back. */
        long toReturn;
        /** When {@link #held} goes back. */
        long expiresAt;
        /** The shared bucket's remaining tokens at the last round trip. */
        long remaining;
        /** The block the node would like next (before the cap by {@link #remaining}). */
        int nextBlock = 1;
        long lastTake = System.nanoTime() - IDLE_NANOS;
        CompletableFuture<Fetched> fetching;
        boolean removed;

        Lease(String id, int capacity, int refillPerMinute) {
            this.id = id;
            this.capacity = capacity;
            this.period = 60e9 / refillPerMinute;
            this.bucket = bucket(id, capacity, refillPerMinute);
            this.asyncBucket = asyncBucket(id, capacity, refillPerMinute);
        }

        /** The block to fetch now: 1 means a single token in the caller's round trip. */
        int block(int memberCount) {
            long cap = remaining / ((long) SHARE * memberCount);
            return (int) Math.max(1, Math.min(nextBlock, Math.min(cap, MAX_BLOCK)));
        }

        void expire(long now) {
            if (held > 0 && now - expiresAt >= 0) {
                toReturn += held;
                held = 0;
                nextBlock = Math.max(1, nextBlock / 2);
            }
        }

        /** The probe of a take served from the lease: the shared bucket's last count plus what is held here. */
        Probe served() {
            long left = Math.min(capacity, remaining + held);
            double reset = Math.max(0, (capacity - left) * period);
            return new Probe(true, left, 0, reset >= Long.MAX_VALUE ? Long.MAX_VALUE : (long) reset);
        }

        Fetched fetched(ConsumptionProbe p, int block, long now) {
            remaining = p.getRemainingTokens();
            if (p.isConsumed()) {
                held += block;
                expiresAt = now + LEASE_NANOS;
                // the previous block was used up within its lease (an unused one would have halved nextBlock)
                nextBlock = Math.min(MAX_BLOCK, Math.max(nextBlock, block * 2));
                return new Fetched(null);
            }
            nextBlock = 1;
            if (p.getRemainingTokens() > 0) {
                return new Fetched(null);
            }
            // the wait is for the whole block; greedy refill is linear, so one token comes (block - 1) periods sooner
            long one = Math.max(1, p.getNanosToWaitForRefill() - (long) ((block - 1) * period));
            return new Fetched(new Probe(false, 0, one, p.getNanosToWaitForReset()));
        }
    }
}
