package io.toka.orchestration.internal.agent;

import io.toka.orchestration.spi.LeaseLostException;
import io.toka.orchestration.spi.RunLease;
import io.toka.orchestration.spi.RunLeases;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** One node, no cluster: this node owns every lease, forever; nothing is stored and nothing is fenced. */
final class LocalLeases implements RunLeases {

    static final LocalLeases INSTANCE = new LocalLeases();

    private LocalLeases() {
    }

    @Override
    public String nodeId() {
        return "local";
    }

    @Override
    public boolean shared() {
        return false;
    }

    @Override
    public Duration ttl() {
        return Duration.ofDays(365_000);
    }

    @Override
    public Duration renewEvery() {
        return Duration.ofDays(365_000);
    }

    @Override
    public RunLease acquire(String key) {
        return new RunLease(key, nodeId(), 1);
    }

    @Override
    public Optional<Claimed> claim(String key) {
        return Optional.of(new Claimed(new RunLease(key, nodeId(), 1), nodeId(), null));
    }

    @Override
    public boolean renew(RunLease lease) {
        return true;
    }

    @Override
    public void release(RunLease lease) {
    }

    @Override
    public void expire(RunLease lease) {
    }

    @Override
    public List<String> expired(String prefix) {
        return List.of();
    }

    @Override
    public Optional<String> holder(String key) {
        return Optional.empty();
    }

    @Override
    public <T> T fenced(RunLease lease, Action<T> action) throws LeaseLostException, InterruptedException {
        return action.run();
    }
}
