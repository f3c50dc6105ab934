package io.toka.orchestration.internal.agent;

import io.toka.event.EventPayload;
import io.toka.orchestration.spi.RunLeases;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * In a cluster: every {@link RunLeases#renewEvery()} (and at once when a member leaves), claims the expired leases of
 * unfinished runs, and resumes those runs here from the shared event log, as {@link Recovery} resumes them after a
 * restart (the same rule for tool calls in flight; finished calls' results come from the journal). A run of a
 * session is claimed only by the node that holds the session's lease (or once the session has none), so that a
 * session and its runs stay on one node.
 */
final class Takeover {

    private static final Logger LOG = LoggerFactory.getLogger(Takeover.class);

    /**
     * A run came to this node because the lease of the node that ran it expired.
     *
     * @param delayMillis from the previous holder's last renewal (its lease's expiry less its lifetime) to the claim
     */
    record TakenOver(String agent, String run, String from, String by, long epoch, long delayMillis)
            implements EventPayload {
        @Override
        public String kind() {
            return "agent.run.taken_over";
        }
    }

    private final AgentServiceImpl agents;
    private final AtomicBoolean queued = new AtomicBoolean();
    private volatile ScheduledExecutorService timer;

    Takeover(AgentServiceImpl agents) {
        this.agents = agents;
    }

    synchronized void start() {
        if (timer != null || !agents.held.shared()) {
            return;
        }
        timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "toka-run-takeover");
            t.setDaemon(true);
            return t;
        });
        long every = agents.held.leases().renewEvery().toMillis();
        timer.scheduleWithFixedDelay(this::tick, every, every, TimeUnit.MILLISECONDS);
        agents.held.leases().onMemberLeft(this::soon);
        agents.held.leases().onHandedOver(this::soon);
    }

    void stop() {
        ScheduledExecutorService t = timer;
        if (t != null) {
            t.shutdownNow();
        }
    }

    /** Looks for expired leases and runs handed to this node now (a member left, or a run was placed here). */
    void soon() {
        ScheduledExecutorService t = timer;
        if (t != null && queued.compareAndSet(false, true)) {
            t.execute(() -> {
                queued.set(false);
                tick();
            });
        }
    }

    /** Takes up the runs placed here, then claims the expired leases of runs and resumes those runs here. */
    synchronized void tick() {
        if (agents.stopping()) {
            return;
        }
        try {
            agents.placement.takeUp();
        } catch (RuntimeException e) {
            LOG.warn("Taking up the runs placed on this node failed: {}", e.toString());
        }
        try {
            RunLeases leases = agents.held.leases();
            List<String> keys = leases.expired("run:");
            if (keys.isEmpty()) {
                return;
            }
            Map<String, RunLog.Journal> open = new LinkedHashMap<>();
            new RunLog(agents.store).unfinished().forEach(j -> open.put(j.run(), j));
            List<RunLog.Journal> journals = new ArrayList<>();
            Map<String, HeldLeases.Claim> claims = new LinkedHashMap<>();
            for (String key : keys) {
                RunLog.Journal j = open.get(key.substring("run:".length()));
                if (j == null) {
                    // the run ended (or never started) and its node died before giving the lease up
                    leases.claim(key).ifPresent(c -> leases.release(c.lease()));
                    continue;
                }
                claimable(agents, j).ifPresent(c -> {
                    claims.put(j.run(), c);
                    journals.add(j);
                });
            }
            if (!journals.isEmpty()) {
                new Recovery(agents).resume(journals, claims, false);
            }
        } catch (RuntimeException e) {
            LOG.warn("Looking for runs to take over failed: {}", e.toString());
        }
    }

    /**
     * Claims the session's unfinished runs and resumes them here, waiting up to {@code wait} for leases that have not
     * expired yet (they were renewed with the session's, so they expire about when it did). Runs that the session's
     * previous node placed on another node stay there while that node holds them: the session follows them.
     *
     * @param from the node that held the session before
     */
    void runsOf(String session, String from, Duration wait) throws InterruptedException {
        long deadline = System.nanoTime() + wait.toNanos();
        while (!agents.stopping()) {
            List<RunLog.Journal> pending = new ArrayList<>();
            for (RunLog.Journal j : new RunLog(agents.store).unfinished()) {
                if (!session.equals(j.started().session())) {
                    continue;
                }
                AgentRun here = agents.runs.get(j.started().agent());
                if (here != null && here.runId.equals(j.run()) && !here.isFinished()) {
                    continue; // already resumed here
                }
                if (placedElsewhere(j, from)) {
                    continue;
                }
                pending.add(j);
            }
            if (pending.isEmpty()) {
                return;
            }
            List<RunLog.Journal> journals = new ArrayList<>();
            Map<String, HeldLeases.Claim> claims = new LinkedHashMap<>();
            for (RunLog.Journal j : pending) {
                agents.held.claim("run:" + j.run()).ifPresent(c -> {
                    claims.put(j.run(), c);
                    journals.add(j);
                });
            }
            if (!journals.isEmpty()) {
                synchronized (this) {
                    new Recovery(agents).resume(journals, claims, false);
                }
            }
            if (journals.size() == pending.size()) {
                return;
            }
            if (System.nanoTime() > deadline) {
                LOG.warn("Session {}: {} of its runs could not be claimed within {} s; the session goes on without "
                        + "them", session, pending.size() - journals.size(), wait.toSeconds());
                return;
            }
            Thread.sleep(Math.max(50, agents.held.leases().renewEvery().toMillis() / 4));
        }
    }

    /**
     * Whether the run executes on a third node (placed there): its lease is held by neither this node nor the
     * session's previous one. If that node dies, its lease expires and this node, now the session's, claims it.
     */
    private boolean placedElsewhere(RunLog.Journal j, String from) {
        Optional<String> holder;
        try {
            holder = agents.held.leases().holder("run:" + j.run());
        } catch (RuntimeException e) {
            return false;
        }
        return holder.isPresent() && !holder.get().equals(from) && !holder.get().equals(agents.held.leases().nodeId());
    }

    /** The run's lease, claimed, unless the run belongs to a session another node holds (that node resumes it). */
    static Optional<HeldLeases.Claim> claimable(AgentServiceImpl agents, RunLog.Journal j) {
        String session = j.started().session();
        RunLeases leases = agents.held.leases();
        if (session != null) {
            Optional<String> holder = leases.holder("session:" + session);
            if (holder.isPresent() && !holder.get().equals(leases.nodeId())) {
                return Optional.empty();
            }
        }
        return agents.held.claim("run:" + j.run());
    }

    /** Logs a takeover, records it with the run's next step, and says so in the run's status. */
    static void announce(AgentServiceImpl agents, AgentRun r, HeldLeases.Claim claim) {
        RunLeases.Claimed c = claim.claimed();
        if (c.previousExpiry() == null) {
            return; // the run had no lease (journaled before leases existed): resumed as after a restart
        }
        RunLeases leases = agents.held.leases();
        long delay = Math.max(0, Duration.between(c.previousExpiry().minus(leases.ttl()), Instant.now()).toMillis());
        String how = "taken over by node " + leases.nodeId() + " (lease epoch " + c.lease().epoch() + ") from node "
                + c.previousOwner() + ", " + delay + " ms after that node's last renewal";
        LOG.info("Agent {} run {} {}", r.config.name(), r.runId, how);
        r.takenOver(how);
        r.journal().post(new TakenOver(r.config.name(), r.runId, c.previousOwner(), leases.nodeId(),
                c.lease().epoch(), delay));
    }
}
