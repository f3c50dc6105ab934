package io.toka.orchestration.spi;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * Leases on runs and sessions, held by nodes, with an epoch that grows at every change of holder and an expiry that
 * the holder pushes back by renewing. The store is the arbiter (the cluster's PostgreSQL); a lease is never held by
 * two nodes at once at the same epoch, and {@link #fenced} makes an action (the journal append of a step, which
 * precedes acting) conditional on still holding the lease at its epoch.
 */
@ConsumerType
public interface RunLeases {

    /** An expired lease this node claimed. */
    record Claimed(RunLease lease, String previousOwner, Instant previousExpiry) {
    }

    /** An action run while the lease is held. */
    @FunctionalInterface
    interface Action<T> {
        T run() throws InterruptedException;
    }

    /** @return this node's id, as leases name their owner */
    String nodeId();

    /** @return whether leases are shared with other nodes (a cluster); false: this node owns every lease */
    boolean shared();

    /** @return how long a lease lasts without renewal */
    Duration ttl();

    /** @return how often the holder renews */
    Duration renewEvery();

    /**
     * Takes the lease on a new key (epoch 1).
     *
     * @throws LeaseLostException if the key is already leased
     */
    RunLease acquire(String key) throws LeaseLostException;

    /**
     * Takes the lease on a key whose lease expired, or that has none (a run journaled before leases existed), at the
     * next epoch.
     *
     * @return the lease, or empty if another node holds it unexpired (or took it first)
     */
    Optional<Claimed> claim(String key);

    /** @return whether the lease is still this node's at its epoch; it then lasts another {@link #ttl()} */
    boolean renew(RunLease lease);

    /** Gives the lease up for good (the run or session ended): the key is forgotten. */
    void release(RunLease lease);

    /** Gives the lease up now, for another node to claim at once (this node stops without finishing). */
    void expire(RunLease lease);

    /** @return the keys starting with the prefix whose lease has expired, oldest expiry first */
    List<String> expired(String prefix);

    /**
     * @return the node named by the key's lease, expired or not; empty if the key has no lease (its run or session
     *     ended, or it was never leased)
     */
    Optional<String> holder(String key);

    /**
     * Runs the action while the lease is held at its epoch, and keeps it held until the action returns: a takeover
     * waits for it.
     *
     * @throws LeaseLostException if the lease is not (or no longer) this node's at its epoch; if it is lost while
     *     the action runs, the action's effect may be stored but the caller must not act on it
     */
    <T> T fenced(RunLease lease, Action<T> action) throws LeaseLostException, InterruptedException;

    /** Calls the listener when a node leaves the cluster (to look for its leases early); nothing on one node. */
    default void onMemberLeft(Runnable listener) {
    }

    /**
     * Where a new run should execute: the live node with the fewest unexpired run leases, this node when it is among
     * them (or when placement is off, or on one node).
     *
     * @return a node id, as leases name their owner
     * @since 1.1
     */
    default String leastLoaded() {
        return nodeId();
    }

    /**
     * Hands a lease this node holds to another node, at the next epoch, marked as handed over (see
     * {@link #handedOver}); its expiry starts again, so the node has a lease's lifetime to take it up, after which any
     * node may claim it as an expired one. The node is told at once where the cluster can tell it.
     *
     * @return the lease as the other node holds it
     * @throws LeaseLostException if this node no longer holds the lease at its epoch
     * @throws UnsupportedOperationException where leases are not shared
     * @since 1.1
     */
    default RunLease handOver(RunLease lease, String node) throws LeaseLostException {
        throw new UnsupportedOperationException("leases are not shared here: nothing is handed over");
    }

    /**
     * @return the leases with the key prefix that other nodes handed to this node and that it has not taken up yet
     *     ({@link #accept}); each names the node that handed it over as its previous owner, without an expiry
     * @since 1.1
     */
    default List<Claimed> handedOver(String prefix) {
        return List.of();
    }

    /**
     * Takes up a lease handed to this node: it is an ordinary held lease from now on.
     *
     * @return whether it was still this node's at its epoch
     * @since 1.1
     */
    default boolean accept(RunLease lease) {
        return false;
    }

    /** Calls the listener when another node hands a lease to this one; nothing on one node. @since 1.1 */
    default void onHandedOver(Runnable listener) {
    }
}
