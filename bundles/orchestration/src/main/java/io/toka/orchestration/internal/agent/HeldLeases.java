package io.toka.orchestration.internal.agent;

import io.toka.orchestration.spi.LeaseLostException;
import io.toka.orchestration.spi.RunLease;
import io.toka.orchestration.spi.RunLeases;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The leases this node holds on its runs and sessions, renewed every {@link RunLeases#renewEvery()}. A lease whose
 * renewal is refused (another node took it over), or that could not be renewed for longer than its lifetime, is
 * lost: its {@link Guard} refuses every further record and its holder is told to stop without recording an end. On
 * one node (no cluster) every lease is held for good and nothing is renewed.
 */
public final class HeldLeases {

    private static final Logger LOG = LoggerFactory.getLogger(HeldLeases.class);

    private final RunLeases leases;
    private final Map<String, Guard> held = new ConcurrentHashMap<>();
    private final ScheduledExecutorService renewer;

    HeldLeases(RunLeases leases) {
        this.leases = leases;
        if (leases.shared()) {
            this.renewer = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "toka-lease-renewer");
                t.setDaemon(true);
                return t;
            });
            long every = leases.renewEvery().toMillis();
            renewer.scheduleWithFixedDelay(this::renewAll, every, every, TimeUnit.MILLISECONDS);
        } else {
            this.renewer = null;
        }
    }

    /** The store of leases. */
    public RunLeases leases() {
        return leases;
    }

    /** Whether leases are shared with other nodes. */
    public boolean shared() {
        return leases.shared();
    }

    void close() {
        if (renewer != null) {
            renewer.shutdownNow();
        }
    }

    /**
     * Takes the lease on a new run or session.
     *
     * @param onLost called (once, on the renewer's thread or a recording thread) when the lease is lost
     */
    public Guard acquire(String key, Runnable onLost) throws LeaseLostException {
        return hold(leases.acquire(key), onLost);
    }

    /** Claims the expired lease of a run or session another node held (or that has none). */
    public Optional<Claim> claim(String key) {
        try {
            return leases.claim(key).map(c -> new Claim(hold(c.lease(), null), c));
        } catch (RuntimeException e) {
            // a lock held by the current holder's append, or the database unreachable: tried again next time
            LOG.info("Could not claim {} now: {}", key, e.getMessage());
            return Optional.empty();
        }
    }

    /**
     * Takes up a lease another node handed to this one (a run placed here): held and renewed from now on.
     *
     * @return the lease, or empty if it is no longer this node's
     */
    public Optional<Claim> takeUp(RunLeases.Claimed handed) {
        try {
            if (!leases.accept(handed.lease())) {
                return Optional.empty();
            }
            return Optional.of(new Claim(hold(handed.lease(), null), handed));
        } catch (RuntimeException e) {
            LOG.info("Could not take up {} now: {}", handed.lease(), e.getMessage());
            return Optional.empty();
        }
    }

    /** A claimed lease and what it was before. */
    public record Claim(Guard guard, RunLeases.Claimed claimed) {
    }

    private Guard hold(RunLease lease, Runnable onLost) {
        Guard g = new Guard(lease, onLost);
        if (leases.shared()) {
            held.put(lease.key(), g);
        }
        return g;
    }

    private void renewAll() {
        long now = System.nanoTime();
        for (Guard g : held.values()) {
            try {
                if (leases.renew(g.lease)) {
                    g.renewedAt = now;
                } else {
                    g.lose("its renewal was refused: another node took it over");
                }
            } catch (RuntimeException e) {
                if (now - g.renewedAt > leases.ttl().toNanos()) {
                    g.lose("it could not be renewed for " + leases.ttl().toSeconds() + " s (" + e.getMessage() + ")");
                } else {
                    LOG.warn("Could not renew the lease {}: {}", g.lease, e.getMessage());
                }
            }
        }
    }

    /** This node's hold on one lease. */
    public final class Guard {
        private final RunLease lease;
        private volatile Runnable onLost;
        private volatile boolean lost;
        private volatile long renewedAt = System.nanoTime();

        private Guard(RunLease lease, Runnable onLost) {
            this.lease = lease;
            this.onLost = onLost;
        }

        public RunLease lease() {
            return lease;
        }

        /** Sets what to do when the lease is lost (for a claimed lease, once its run or session is rebuilt). */
        public void onLost(Runnable r) {
            this.onLost = r;
            if (lost && r != null) {
                r.run();
            }
        }

        public boolean lost() {
            return lost;
        }

        /**
         * Runs the action (a journal append) only while the lease is held at its epoch.
         *
         * @throws LeaseLostException if it is not: the caller must not act on what it recorded
         */
        public <T> T fenced(RunLeases.Action<T> action) throws LeaseLostException, InterruptedException {
            if (lost) {
                throw new LeaseLostException("this node no longer holds the lease " + lease);
            }
            try {
                return leases.fenced(lease, action);
            } catch (LeaseLostException e) {
                lose(e.getMessage());
                throw e;
            }
        }

        /** The run or session ended: the lease is given up for good. */
        public void release() {
            if (held.remove(lease.key(), this) && !lost) {
                try {
                    leases.release(lease);
                } catch (RuntimeException e) {
                    LOG.warn("Could not release the lease {} (it expires): {}", lease, e.getMessage());
                }
            }
        }

        /** This node stops without finishing: another node may claim the lease at once. */
        public void expire() {
            if (held.remove(lease.key(), this) && !lost) {
                try {
                    leases.expire(lease);
                } catch (RuntimeException e) {
                    LOG.warn("Could not give up the lease {} (it expires): {}", lease, e.getMessage());
                }
            }
        }

        /**
         * Hands the lease to another node, which executes the run from now on: this node forgets it (without acting
         * for it again) and the other node renews it once it takes it up.
         *
         * @throws LeaseLostException if this node no longer held it
         */
        public RunLease handOver(String node) throws LeaseLostException {
            if (lost) {
                throw new LeaseLostException("this node no longer holds the lease " + lease);
            }
            RunLease theirs = leases.handOver(lease, node);
            lost = true; // nothing more is recorded or acted on here
            held.remove(lease.key(), this);
            return theirs;
        }

        /** Forgets the lease here without touching the store (a claim that is not used further). */
        void lose(String why) {
            if (lost) {
                return;
            }
            lost = true;
            held.remove(lease.key(), this);
            LOG.warn("Lost the lease {}: {}; this node stops acting for it", lease, why);
            Runnable r = onLost;
            if (r != null) {
                try {
                    r.run();
                } catch (RuntimeException e) {
                    LOG.warn("Stopping after the loss of lease {} failed", lease, e);
                }
            }
        }
    }
}
