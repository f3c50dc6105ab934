package io.toka.orchestration.internal.agent;

import io.toka.event.Event;
import io.toka.event.EventPayload;
import io.toka.orchestration.AgentConfig;
import io.toka.orchestration.AgentStatus;
import io.toka.orchestration.AgentStatus.State;
import io.toka.orchestration.spi.LeaseLostException;
import io.toka.orchestration.spi.RunLeases;
import io.toka.security.SecurityContext;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * In a cluster, a session's agents on the least-loaded nodes ({@link RunLeases#leastLoaded()}: the live node with the
 * fewest run leases, the session's own node on a tie).
 *
 * <ul>
 *   <li><b>Placing</b> a run elsewhere: the session's node starts it as it would start it here (authorization, the
 *       run's narrowed token kept in the shared store, its lease, {@code agent.run.started}), records
 *       {@code agent.run.placed} under that lease, and hands the lease to the chosen node. Nothing of it executes
 *       here.</li>
 *   <li><b>Taking up</b> a handed run: the chosen node accepts the lease and starts the run from its journal with the
 *       run's own token, as a takeover would but from the beginning. A node that cannot (it dies, or already runs that
 *       agent) lets the lease expire; the session's node then claims it, as any run of its session.</li>
 *   <li><b>Following</b> a run that executes on another node: the session reads its end (and its tasks' outcomes)
 *       from the shared event log.</li>
 * </ul>
 */
final class Placement {

    private static final Logger LOG = LoggerFactory.getLogger(Placement.class);
    /** How often the session's node looks in the log for the end of a run executing elsewhere. */
    private static final long POLL_MILLIS = 200;

    /** A run was started here for a session and handed to another node to execute. */
    record Placed(String agent, String run, String session, String from, String to) implements RunEvents.RunEvent {
        @Override
        public String kind() {
            return "agent.run.placed";
        }
    }

    private final AgentServiceImpl agents;
    /** One placement at a time on this node, so that each sees the runs placed before it. */
    private final Object placing = new Object();

    Placement(AgentServiceImpl agents) {
        this.agents = agents;
    }

    /** Whether runs may execute on other nodes: leases shared, runs durable. */
    boolean active() {
        return agents.held.shared() && agents.durableHere();
    }

    /**
     * Starts the agent's run for the session on the least-loaded node: elsewhere by a hand-over, or here by
     * {@code here}, which takes the run's lease before the next placement on this node counts the leases.
     *
     * @param here starts the run on this node
     * @return the run's status
     */
    AgentStatus place(AgentConfig config, SecurityContext caller, String session,
            java.util.function.Supplier<AgentStatus> here) {
        RunLeases leases = agents.held.leases();
        synchronized (placing) {
            String target;
            try {
                target = leases.leastLoaded();
            } catch (RuntimeException e) {
                LOG.warn("Cannot tell the least-loaded node ({}); agent {} of session {} runs here", e.getMessage(),
                        config.name(), session);
                return here.get();
            }
            if (target.equals(leases.nodeId())) {
                return here.get();
            }
            AgentRun r = agents.prepareElsewhere(config, caller, session);
            if (r.isFinished()) {
                return r.status(); // refused: its token, its lease or its start could not be had
            }
            HeldLeases.Guard guard = r.journal().guard();
            try {
                r.journal().commit(new Placed(config.name(), r.runId, session, leases.nodeId(), target));
                guard.handOver(target);
            } catch (RunJournal.NotRecorded | LeaseLostException | RuntimeException e) {
                // the run is recorded and its token kept: once its lease expires, this node (the session's) claims
                // and resumes it as any run of its session
                LOG.warn("Agent {} run {} of session {} could not be handed to node {} ({}); it starts on the node "
                        + "that claims its lease", config.name(), r.runId, session, target, e.getMessage());
                guard.expire();
                return placed(r, "placed: waiting for a node to take it up");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                guard.expire();
                return placed(r, "placed: waiting for a node to take it up");
            }
            LOG.info("Agent {} run {} of session {} placed on node {}", config.name(), r.runId, session, target);
            return placed(r, "placed on node " + target);
        }
    }

    private static AgentStatus placed(AgentRun r, String message) {
        AgentStatus s = r.status();
        return new AgentStatus(s.agent(), s.runId(), State.READY, 0, s.totalTasks(), 0, message, s.startedAt(), null,
                List.of(), null, 0, null, s.parent(), true);
    }

    /**
     * The agent's latest run in the session as the shared log shows it (a run placed on, or executing on, another
     * node; or one that ended while no node held the session), or empty if it never started.
     */
    Optional<AgentStatus> fromLog(String agent, String session) {
        RunLog log = new RunLog(agents.store);
        Event[] started = new Event[1];
        RunEvents.Started[] st = new RunEvents.Started[1];
        log.scan("agent.run.started", agent, 0, e -> RunEvents.read(e).ifPresent(p -> {
            if (p instanceof RunEvents.Started s && session.equals(s.session())) {
                started[0] = e;
                st[0] = s;
            }
        }));
        if (st[0] == null) {
            return Optional.empty();
        }
        return Optional.of(statusOf(log, started[0], st[0]));
    }

    /** The run's status from its journal: its end and tasks' outcomes if it ended, else where it executes. */
    private AgentStatus statusOf(RunLog log, Event startedEvent, RunEvents.Started st) {
        List<AgentStatus.TaskOutcome> outcomes = new ArrayList<>();
        RunEvents.Ended[] ended = new RunEvents.Ended[1];
        Instant[] endedAt = new Instant[1];
        String[] where = {null};
        log.scan(null, st.agent(), startedEvent.seq(), e -> RunEvents.read(e).ifPresent(p -> {
            if (!st.run().equals(p.run())) {
                return;
            }
            if (p instanceof RunEvents.TaskEnded t) {
                outcomes.add(new AgentStatus.TaskOutcome(t.task(), t.success(), t.summary(), t.steps(), t.toolCalls(),
                        t.attempts(), t.durationMs()));
            } else if (p instanceof RunEvents.Ended end) {
                ended[0] = end;
                endedAt[0] = e.timestamp();
            } else if (p instanceof Placed pl) {
                where[0] = "placed on node " + pl.to();
            }
        }));
        int total = st.config() == null ? 0 : st.config().tasks().size();
        if (ended[0] != null) {
            return new AgentStatus(st.agent(), st.run(), State.valueOf(ended[0].state()), 0, outcomes.size(), 1,
                    ended[0].message(), startedEvent.timestamp(), endedAt[0], List.copyOf(outcomes),
                    ended[0].verdict(), 0, null, st.parentAgent(), true);
        }
        String message = holder(st.run()).map(n -> "runs on node " + n).orElse(where[0] == null ? "running"
                : where[0]);
        return new AgentStatus(st.agent(), st.run(), State.RUNNING, 0, total, total == 0 ? 0
                : (double) outcomes.size() / total, message, startedEvent.timestamp(), null, List.copyOf(outcomes),
                null, 0, null, st.parentAgent(), true);
    }

    private Optional<String> holder(String run) {
        try {
            return agents.held.leases().holder("run:" + run);
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    /**
     * Waits up to the timeout for a run of the session that executes elsewhere (or here, once this node took it
     * over) to end.
     *
     * @return its status at the end of the wait
     */
    AgentStatus await(AgentStatus s, String session, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        AgentStatus last = s;
        while (true) {
            AgentRun here = agents.runs.get(s.agent());
            if (here != null && here.runId.equals(s.runId())) {
                return here.await(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
            }
            Optional<AgentStatus> now = fromLog(s.agent(), session).filter(x -> x.runId().equals(s.runId()));
            if (now.isPresent()) {
                last = now.get();
                if (last.finishedAt() != null) {
                    return last;
                }
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return last;
            }
            Thread.sleep(Math.min(POLL_MILLIS, Math.max(1, left / 1_000_000)));
        }
    }

    /** Takes up the runs other nodes handed to this one, and starts them here. */
    void takeUp() {
        RunLeases leases = agents.held.leases();
        List<RunLeases.Claimed> handed = leases.handedOver("run:");
        if (handed.isEmpty() || agents.stopping()) {
            return;
        }
        Map<String, RunLog.Journal> open = new LinkedHashMap<>();
        new RunLog(agents.store).unfinished().forEach(j -> open.put(j.run(), j));
        List<RunLog.Journal> journals = new ArrayList<>();
        Map<String, HeldLeases.Claim> claims = new LinkedHashMap<>();
        for (RunLeases.Claimed h : handed) {
            String run = h.lease().key().substring("run:".length());
            Optional<HeldLeases.Claim> c = agents.held.takeUp(h);
            if (c.isEmpty()) {
                continue;
            }
            RunLog.Journal j = open.get(run);
            if (j == null) {
                c.get().guard().release(); // it ended meanwhile (or never started): nothing to run
                continue;
            }
            claims.put(run, c.get());
            journals.add(j);
        }
        if (!journals.isEmpty()) {
            new Recovery(agents).resume(journals, claims, false);
        }
    }

    /** Whether a journal is that of a run placed here that has done nothing yet (it starts from the beginning). */
    static boolean freshlyPlaced(RunLog.Journal j) {
        return !j.entries().isEmpty() && j.entries().stream().allMatch(e -> e.payload() instanceof Placed);
    }

    /** The node a fresh placed run came from, for its status. */
    static String placedBy(RunLog.Journal j) {
        EventPayload p = j.entries().get(j.entries().size() - 1).payload();
        return p instanceof Placed pl ? pl.from() : "?";
    }
}
