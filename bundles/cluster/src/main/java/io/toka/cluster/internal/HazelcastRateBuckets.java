package io.toka.cluster.internal;

import com.hazelcast.map.IMap;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.distributed.ExpirationAfterWriteStrategy;
import io.github.bucket4j.distributed.proxy.ProxyManager;
import io.github.bucket4j.grid.hazelcast.Bucket4jHazelcast;
import io.toka.security.spi.SharedRateBuckets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * The rate-limit buckets of the whole cluster, in one Hazelcast map through Bucket4j's Hazelcast module: each take is
 * an entry processor run on the member that owns the bucket's partition, so concurrent takes on different nodes draw
 * from one budget. A bucket's key carries its limits ({@code key|burst/perMinute}), so a change of limits starts
 * fresh buckets. A bucket that has refilled completely is dropped from the map after a further 10 seconds.
 */
@Component(service = SharedRateBuckets.class)
public final class HazelcastRateBuckets implements SharedRateBuckets {

    private final ProxyManager<String> buckets;
    private final Map<String, BucketConfiguration> configurations = new ConcurrentHashMap<>();

    @Activate
    public HazelcastRateBuckets(@Reference Fabric fabric) {
        this(fabric.hazelcast().getMap(HazelcastConfigs.BUCKETS));
    }

    HazelcastRateBuckets(IMap<String, byte[]> map) {
        this.buckets = Bucket4jHazelcast.entryProcessorBasedBuilder(map)
                .expirationAfterWrite(ExpirationAfterWriteStrategy.basedOnTimeForRefillingBucketUpToMax(
                        Duration.ofSeconds(10)))
                .build();
    }

    @Override
    public Probe tryConsume(String key, int capacity, int refillPerMinute) {
        ConsumptionProbe p = bucket(key, capacity, refillPerMinute).tryConsumeAndReturnRemaining(1);
        return new Probe(p.isConsumed(), p.getRemainingTokens(), p.getNanosToWaitForRefill(), p.getNanosToWaitForReset());
    }

    @Override
    public void refund(String key, int capacity, int refillPerMinute) {
        bucket(key, capacity, refillPerMinute).addTokens(1);
    }

    private Bucket bucket(String key, int capacity, int refillPerMinute) {
        String limits = capacity + "/" + refillPerMinute;
        BucketConfiguration config = configurations.computeIfAbsent(limits, k -> BucketConfiguration.builder()
                .addLimit(limit -> limit.capacity(capacity).refillGreedy(refillPerMinute, Duration.ofMinutes(1)))
                .build());
        return buckets.builder().build(key + "|" + limits, () -> config);
    }
}
