package io.toka.orchestration.internal.agent;

import io.toka.event.EventPayload;
import io.toka.kernel.Kernel;
import io.toka.kernel.QueuedTask;
import io.toka.orchestration.AgentConfig;
import io.toka.orchestration.AgentStatus.State;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rebuilds the runs that had not ended when Toka stopped (a kill -9 included), from their journals in the event
 * store, and resumes them: same run id, state {@code resumedAt} set, each task's outcome and the current task's
 * conversation from the log (see {@link AgentRun#replay} and {@link TaskLoop}).
 *
 * <ul>
 *   <li>A run whose own token is gone from the vault, or is no longer valid (revoked, expired while Toka was down),
 *       ends {@code FAILED} with that reason, recorded. Its children are rebuilt and fail the same way if their
 *       tokens were delegated from it (a revocation cascades).</li>
 *   <li>A paused run is rebuilt paused: it waits for a resume.</li>
 *   <li>A resumed run waits (up to {@code resumeToolWaitSeconds}) for the tools its current task was offered to be
 *       registered again, so that a tool bundle that starts a moment later is not taken for a missing tool.</li>
 *   <li>The agents' task queues are the kernel's (rebuilt by the kernel): an idle durable agent with queued tasks
 *       gets a run for them; the queue of an agent that is not durable is dropped, as its tasks' tokens were not
 *       kept.</li>
 *   <li>With durability switched off, unfinished journals are closed as failed: "not resumed".</li>
 * </ul>
 */
final class Recovery {

    private static final Logger LOG = LoggerFactory.getLogger(Recovery.class);

    /** What a recovery did, for the log and tests. */
    record Report(List<String> resumed, Map<String, String> failed, List<String> queuesStarted,
            Map<String, String> queuesDropped) {
    }

    private final AgentServiceImpl agents;

    Recovery(AgentServiceImpl agents) {
        this.agents = agents;
    }

    /**
     * At start: rebuilds and resumes every unfinished run (in a cluster, those whose leases this node could claim:
     * expired, or never leased), then the agents' queues.
     */
    Report run() {
        List<RunLog.Journal> journals = new RunLog(agents.store).unfinished();
        Map<String, HeldLeases.Claim> claims = null;
        if (agents.held.shared()) {
            claims = new LinkedHashMap<>();
            List<RunLog.Journal> mine = new ArrayList<>();
            for (RunLog.Journal j : journals) {
                Optional<HeldLeases.Claim> c = Takeover.claimable(agents, j);
                if (c.isPresent()) {
                    claims.put(j.run(), c.get());
                    mine.add(j);
                }
            }
            journals = mine;
        }
        return resume(journals, claims, true);
    }

    /**
     * Rebuilds and resumes the given unfinished runs.
     *
     * @param claims the claimed lease of each run (a cluster), or null on one node
     * @param atStart whether this is the node's start (its agents' queues are started too)
     */
    Report resume(List<RunLog.Journal> journals, Map<String, HeldLeases.Claim> claims, boolean atStart) {
        List<String> resumed = new ArrayList<>();
        Map<String, String> failed = new LinkedHashMap<>();
        List<String> queuesStarted = new ArrayList<>();
        Map<String, String> queuesDropped = new LinkedHashMap<>();
        Map<String, AgentRun> rebuilt = new LinkedHashMap<>();
        for (RunLog.Journal j : journals) {
            HeldLeases.Claim claim = claims == null ? null : claims.get(j.run());
            if (agents.stopping()) {
                if (claim != null) {
                    claim.guard().expire();
                }
                continue;
            }
            RunEvents.Started st = j.started();
            String why = null;
            TaskLoop.TaskToken own = null;
            if (!agents.durableHere()) {
                why = "not resumed after the restart: durable runs are switched off";
            } else if (st.ownToken()) {
                Optional<String> raw = agents.vault.get(st.run());
                if (raw.isEmpty()) {
                    why = "cannot resume after the restart: the run's token was not kept";
                } else {
                    try {
                        own = agents.delegation.reauthenticate(raw.get(), true);
                    } catch (Delegation.Refused e) {
                        why = "cannot resume after the restart: the agent's token is no longer valid: "
                                + e.getMessage();
                    }
                }
            }
            ResourceLimits limits = null;
            if (why == null) {
                try {
                    limits = ResourceLimits.of(st.config().security());
                } catch (IllegalArgumentException e) {
                    why = "cannot resume after the restart: " + e.getMessage();
                }
            }
            if (why != null) {
                fail(j, why, claim);
                failed.put(st.run(), why);
                continue;
            }
            AgentConfig config = st.config();
            RunJournal journal = new RunJournal(() -> agents.kernel, true, agents.settings.recordTimeout(),
                    agents.hooks());
            AgentRun r = new AgentRun(config, st.run(), st.caller(), own, limits, agents.context, journal,
                    st.parentAgent(), st.parentRun(), st.session(), j.startedEvent().timestamp());
            if (claim != null) {
                journal.guardWith(claim.guard());
            }
            Instant last = j.entries().isEmpty() ? j.startedEvent().timestamp()
                    : j.entries().get(j.entries().size() - 1).event().timestamp();
            r.replay(j.entries(), last);
            if (claim != null && Placement.freshlyPlaced(j)) {
                r.placedHere("placed here by node " + Placement.placedBy(j));
            }
            AgentRun previous = agents.runs.get(config.name());
            if (previous != null && !previous.isFinished()) {
                LOG.warn("Agent {} already runs ({}); its unfinished run {} is not resumed{}", config.name(),
                        previous.runId, st.run(), claim == null ? "" : " here: its lease is given up for another node");
                if (claim != null) {
                    claim.guard().expire();
                }
                continue;
            }
            if (claim != null) {
                claim.guard().onLost(() -> r.abandon("this node lost the run's lease"));
                Takeover.announce(agents, r, claim);
            }
            agents.runs.put(config.name(), r);
            rebuilt.put(st.run(), r);
        }
        for (AgentRun r : rebuilt.values()) {
            if (r.parentRun != null && rebuilt.containsKey(r.parentRun)) {
                rebuilt.get(r.parentRun).adopt(r);
            } else if (r.parentRun != null) {
                AgentRun parent = agents.runs.get(r.parentAgent);
                if (parent != null && parent.runId.equals(r.parentRun)) {
                    parent.adopt(r);
                }
            }
        }
        if (atStart) {
            awaitTools(rebuilt.values());
        } else {
            // taken over from another node while this one runs: a tool missing here is deployed on that node only
            // (or is gone), and waiting would only delay the takeover; the run is told it is unavailable if it asks
            Set<String> missing = new HashSet<>();
            rebuilt.values().forEach(r -> r.currentTask().ifPresent(t -> missing.addAll(t.tools)));
            missing.removeAll(agents.tools.names());
            if (!missing.isEmpty()) {
                LOG.warn("Resuming taken-over agent runs without the tools {}: not deployed on this node", missing);
            }
        }
        for (AgentRun r : rebuilt.values()) {
            if (agents.stopping()) {
                break;
            }
            agents.execute(r);
            resumed.add(r.runId);
        }
        if (atStart) {
            restartQueues(queuesStarted, queuesDropped);
        }
        if (!journals.isEmpty() || !queuesStarted.isEmpty() || !queuesDropped.isEmpty()) {
            LOG.info("Agent runs after the restart: {} resumed, {} failed, {} queue(s) started, {} dropped",
                    resumed.size(), failed.size(), queuesStarted.size(), queuesDropped.size());
        }
        return new Report(resumed, failed, queuesStarted, queuesDropped);
    }

    /** Closes an unfinished journal as failed, and shows the run so in the agent's status. */
    private void fail(RunLog.Journal j, String why, HeldLeases.Claim claim) {
        RunEvents.Started st = j.started();
        LOG.warn("Agent {} run {} {}", st.agent(), st.run(), why);
        Kernel k = agents.kernel;
        if (k != null) {
            RunEvents.Ended end = new RunEvents.Ended(st.agent(), st.run(), State.FAILED.name(), "failure", why);
            try {
                boolean stored = claim == null ? k.postAndAwait(end, agents.settings.recordTimeout())
                        : claim.guard().fenced(() -> k.postAndAwait(end, agents.settings.recordTimeout()));
                if (!stored) {
                    LOG.warn("The end of run {} was not recorded; it is looked at again at the next start", st.run());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (io.toka.orchestration.spi.LeaseLostException e) {
                LOG.warn("The end of run {} was not recorded here: {}", st.run(), e.getMessage());
                return;
            }
            k.post(new EventPayload.AgentTerminated(st.agent(), why, AgentRun.EXIT_FAILURE));
        }
        if (claim != null) {
            claim.guard().release();
        }
        agents.vault.remove(st.run());
        for (RunLog.Entry e : j.entries()) {
            if (e.payload() instanceof RunEvents.TaskStarted t && t.taskId() != null) {
                agents.taskDone(t.taskId());
            }
        }
        AgentRun previous = agents.runs.get(st.agent());
        if (previous == null || previous.isFinished()) {
            agents.runs.put(st.agent(), AgentRun.refused(st.config(), st.run(), st.caller(), why, agents.context));
        }
    }

    /** Waits, up to the configured time, until every tool the runs' current tasks were offered is registered. */
    private void awaitTools(java.util.Collection<AgentRun> runs) {
        Set<String> wanted = new HashSet<>();
        for (AgentRun r : runs) {
            r.currentTask().ifPresent(t -> wanted.addAll(t.tools));
        }
        if (wanted.isEmpty()) {
            return;
        }
        long end = System.nanoTime() + agents.settings.resumeToolWait().toNanos();
        while (!agents.stopping()) {
            Set<String> missing = new HashSet<>(wanted);
            missing.removeAll(agents.tools.names());
            if (missing.isEmpty()) {
                return;
            }
            if (System.nanoTime() > end) {
                LOG.warn("Resuming agent runs without the tools {}: not registered after {} s", missing,
                        agents.settings.resumeToolWait().toSeconds());
                return;
            }
            try {
                Thread.sleep(Duration.ofMillis(100).toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** Idle agents with queued tasks get a run; the queues of agents that are not durable are dropped. */
    private void restartQueues(List<String> started, Map<String, String> dropped) {
        Kernel k = agents.kernel;
        if (k == null) {
            return;
        }
        for (AgentConfig c : agents.catalog.all()) {
            if (agents.stopping()) {
                return;
            }
            List<QueuedTask> queued = k.queued(c.name());
            if (queued.isEmpty()) {
                continue;
            }
            AgentRun r = agents.runs.get(c.name());
            if (r != null && !r.isFinished()) {
                continue; // a resumed run takes them after its current task
            }
            if (!agents.durable(c)) {
                String why = "not durable: the tokens of its " + queued.size() + " queued task(s) were not kept "
                        + "across the restart";
                agents.dropQueue(c.name(), why);
                dropped.put(c.name(), why);
                continue;
            }
            agents.kick(c.name(), queued.get(0).subject());
            started.add(c.name());
        }
    }
}
