package io.toka.orchestration.internal.session;

import io.toka.orchestration.AgentConfig;
import io.toka.orchestration.AgentService;
import io.toka.orchestration.AgentStatus;
import io.toka.orchestration.AgentStatus.State;
import io.toka.orchestration.SessionStatus;
import io.toka.security.SecurityContext;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One session: its phases on a session thread, the parallel waves on helper threads. A durable session records its
 * phases and each agent's final status ({@link SessionJournal}) before it moves on; rebuilt after a restart, it
 * walks its phases again, taking the agents that finished from the log and the runs of its agents that were resumed
 * from the agent runtime, and starting only the agents that had not started.
 */
final class Session implements Runnable {

    private static final Logger LOG = LoggerFactory.getLogger(Session.class);
    /** How long one wait for an agent lasts; the agent's own timeout bounds the run. */
    private static final Duration AWAIT_SLICE = Duration.ofMinutes(1);

    final String id;
    final CountDownLatch done = new CountDownLatch(1);
    private final AgentService agents;
    private final Map<String, AgentConfig> configs = new ConcurrentHashMap<>();
    /** Agent → the agents it requires (within the session or not). */
    private final Map<String, List<String>> requires = new ConcurrentHashMap<>();
    private final List<String> critical;
    private final List<String> high;
    private final List<List<String>> waves;
    private final List<String> all = new ArrayList<>();
    private final SecurityContext caller;
    private final Semaphore slots;
    private final ExecutorService threads;
    private final Instant startedAt;
    private final Instant resumedAt;
    private final SessionJournal journal;
    private final io.toka.orchestration.internal.agent.SessionRuns runs;
    private final Runnable onEnd;
    /** Agent name → its final status in this session (a run, or a "not run" record). */
    private final Map<String, AgentStatus> results = new ConcurrentHashMap<>();
    /** Agent name → its run's latest status while the session waits for it (here, or on another node). */
    private final Map<String, AgentStatus> running = new ConcurrentHashMap<>();

    private volatile String phase = "INITIALIZING";
    private volatile Thread thread;
    /** Why this node gave the session up (another node took it over), or null. */
    private volatile String abandoned;
    private volatile Instant finishedAt;
    private volatile String error;

    Session(String id, AgentService agents, List<AgentConfig> known, List<String> critical, List<String> high,
            List<List<String>> waves, SecurityContext caller, int maxConcurrent, ExecutorService threads) {
        this(id, agents, known, requiresOf(known), critical, high, waves, caller, maxConcurrent, threads,
                SessionJournal.OFF, null, Map.of(), Instant.now(), null, () -> {
                });
    }

    /**
     * @param requires agent → its required dependencies
     * @param restored the agents already done (a session rebuilt after a restart), else empty
     * @param resumedAt when it was rebuilt, or null
     * @param onEnd called once it has ended (forgets its kept token)
     */
    Session(String id, AgentService agents, List<AgentConfig> known, Map<String, List<String>> requires,
            List<String> critical, List<String> high, List<List<String>> waves, SecurityContext caller,
            int maxConcurrent, ExecutorService threads, SessionJournal journal,
            io.toka.orchestration.internal.agent.SessionRuns runs, Map<String, AgentStatus> restored,
            Instant startedAt, Instant resumedAt, Runnable onEnd) {
        this.id = id;
        this.agents = agents;
        known.forEach(c -> configs.put(c.name(), c));
        this.requires.putAll(requires);
        this.journal = journal;
        this.runs = runs;
        this.results.putAll(restored);
        this.startedAt = startedAt;
        this.resumedAt = resumedAt;
        this.onEnd = onEnd;
        this.critical = critical;
        this.high = high;
        this.waves = waves;
        all.addAll(critical);
        all.addAll(high);
        waves.forEach(all::addAll);
        this.caller = caller;
        this.slots = new Semaphore(maxConcurrent);
        this.threads = threads;
    }

    static Map<String, List<String>> requiresOf(List<AgentConfig> known) {
        Map<String, List<String>> out = new java.util.HashMap<>();
        for (AgentConfig c : known) {
            out.put(c.name(), List.copyOf(c.dependencies().required().keySet()));
        }
        return out;
    }

    /** The session's record of how it started. */
    SessionJournal.Started started() {
        Map<String, List<String>> req = new java.util.HashMap<>();
        for (String n : all) {
            req.put(n, requires.getOrDefault(n, List.of()));
        }
        return new SessionJournal.Started(id, caller.subject(), List.copyOf(all), critical, high, waves, req);
    }

    private void phase(String p) throws InterruptedException {
        phase = p;
        if (journal.durable()) {
            journal.post(new SessionJournal.Phase(id, p));
        }
    }

    /** This node lost the session's lease: the session stops here at once, recording nothing more. */
    void abandon(String why) {
        abandoned = "given up here: " + why;
        LOG.warn("Session {} is given up on this node: {}", id, why);
        Thread t = thread;
        if (t != null) {
            t.interrupt();
        }
    }

    @Override
    public void run() {
        thread = Thread.currentThread();
        try {
            if (abandoned != null) {
                throw new InterruptedException(abandoned);
            }
            if (resumedAt != null) {
                LOG.info("Session {} resumed after a restart: {} of {} agent(s) already done", id, results.size(),
                        all.size());
            }
            phase("CRITICAL");
            for (String name : critical) {
                AgentStatus s = runOne(name);
                if (s.state() != State.COMPLETED) {
                    for (String other : all) {
                        results.computeIfAbsent(other, n -> notRun(n, "not run: critical agent '" + name
                                + "' did not complete"));
                    }
                    end();
                    return;
                }
            }
            phase("HIGH");
            for (String name : high) {
                runOne(name);
            }
            phase("PARALLEL");
            for (List<String> wave : waves) {
                List<Future<AgentStatus>> running = new ArrayList<>();
                for (String name : wave) {
                    running.add(threads.submit(() -> {
                        slots.acquire();
                        try {
                            return runOne(name);
                        } finally {
                            slots.release();
                        }
                    }));
                }
                for (Future<AgentStatus> f : running) {
                    f.get();
                }
            }
            end();
        } catch (InterruptedException e) {
            stopped();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof InterruptedException) {
                stopped();
            } else {
                LOG.error("Session {} failed unexpectedly", id, e);
                error = "internal error: " + e.getClass().getSimpleName();
                end();
            }
        } catch (RuntimeException e) {
            LOG.error("Session {} failed unexpectedly", id, e);
            error = "internal error: " + e.getClass().getSimpleName();
            end();
        }
    }

    /** Runs one agent and waits for it; or records it as not run when a required dependency did not complete. */
    private AgentStatus runOne(String name) throws InterruptedException {
        AgentStatus already = results.get(name);
        if (already != null) {
            return already; // done before a restart
        }
        for (String dep : requires.getOrDefault(name, List.of())) {
            AgentStatus d = results.get(dep);
            if (all.contains(dep) && (d == null || d.state() != State.COMPLETED)) {
                AgentStatus skipped = notRun(name, "not run: required dependency '" + dep + "' did not complete");
                results.put(name, skipped);
                return skipped;
            }
        }
        AgentStatus s;
        try {
            s = runs != null ? runs.runInSession(name, caller, id) : agents.run(name, caller);
            while (s.finishedAt() == null) {
                running.put(name, s);
                s = runs != null ? runs.awaitInSession(s, id, AWAIT_SLICE) : agents.await(name, AWAIT_SLICE);
            }
        } catch (IllegalArgumentException | IllegalStateException e) {
            s = notRun(name, "not run: " + e.getMessage());
        } catch (io.toka.security.AccessDeniedException e) {
            s = notRun(name, "not run: " + e.getMessage());
        }
        if (journal.durable()) {
            journal.commit(SessionJournal.AgentDone.of(id, s));
        }
        results.put(name, s);
        running.remove(name);
        return s;
    }

    private AgentStatus notRun(String name, String why) {
        Instant now = Instant.now();
        AgentConfig c = configs.get(name);
        return new AgentStatus(name, null, State.FAILED, 0, c == null ? 0 : c.tasks().size(), 0, why, now, now,
                List.of(), "failure");
    }

    /** A rebuilt session that cannot go on: it ends failed with the reason, recorded, without running anything. */
    void fail(String why) {
        for (String n : all) {
            results.computeIfAbsent(n, x -> notRun(x, "not run: " + why));
        }
        error = why;
        end();
    }

    /**
     * The session service stops (Toka is shutting down): a durable session stops without recording an end, so that
     * it resumes at the next start; one that is not durable ends failed.
     */
    private void stopped() {
        Thread.currentThread().interrupt();
        if (journal.durable()) {
            error = abandoned != null ? abandoned
                    : "stopped: Toka is shutting down; the session resumes when it starts again";
            finishedAt = Instant.now();
            LOG.info("Session {} stopped in phase {}; it resumes at the next start", id, phase);
            done.countDown();
            return;
        }
        error = "the session was stopped (Toka is shutting down)";
        end();
    }

    private void end() {
        List<String> failed = new ArrayList<>();
        for (String n : all) {
            AgentStatus s = results.get(n);
            if (s == null || s.state() != State.COMPLETED) {
                failed.add(n + " (" + (s == null ? "not run" : s.state() + ": " + s.message()) + ")");
            }
        }
        if (error == null && !failed.isEmpty()) {
            error = failed.size() + " of " + all.size() + " agent(s) did not complete: " + String.join("; ", failed);
        }
        if (journal.lost() || abandoned != null) {
            stopped(); // another node has the session now: nothing more is recorded here, its end included
            return;
        }
        phase = error == null ? "COMPLETED" : "FAILED";
        finishedAt = Instant.now();
        LOG.info("Session {} {}{}", id, phase, error == null ? "" : ": " + error);
        if (journal.durable()) {
            try {
                journal.commit(new SessionJournal.Ended(id, phase, error));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (journal.lost()) {
            done.countDown(); // lost while ending: the node that has it now ends it (its token stays kept)
            return;
        }
        onEnd.run();
        done.countDown();
    }

    boolean isFinished() {
        return done.getCount() == 0;
    }

    Instant startedAt() {
        return startedAt;
    }

    SessionStatus status() {
        List<AgentStatus> summary = new ArrayList<>();
        int finished = 0;
        for (String n : all) {
            AgentStatus s = results.get(n);
            if (s == null) {
                AgentStatus waitedFor = running.get(n);
                s = agents.status(n).filter(x -> waitedFor == null ? !x.startedAt().isBefore(startedAt)
                        : x.runId().equals(waitedFor.runId())).orElse(waitedFor);
            }
            if (s != null) {
                summary.add(s);
                if (s.finishedAt() != null) {
                    finished++;
                }
            }
        }
        double progress = all.isEmpty() ? 1 : (double) finished / all.size();
        return new SessionStatus(id, phase, progress, List.copyOf(all), startedAt, finishedAt, error,
                List.copyOf(summary), resumedAt);
    }
}
