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

/** One session: its phases on a session thread, the parallel waves on helper threads. */
final class Session implements Runnable {

    private static final Logger LOG = LoggerFactory.getLogger(Session.class);
    /** How long one wait for an agent lasts; the agent's own timeout bounds the run. */
    private static final Duration AWAIT_SLICE = Duration.ofMinutes(1);

    final String id;
    final CountDownLatch done = new CountDownLatch(1);
    private final AgentService agents;
    private final Map<String, AgentConfig> configs = new ConcurrentHashMap<>();
    private final List<String> critical;
    private final List<String> high;
    private final List<List<String>> waves;
    private final List<String> all = new ArrayList<>();
    private final SecurityContext caller;
    private final Semaphore slots;
    private final ExecutorService threads;
    private final Instant startedAt = Instant.now();
    /** Agent name → its final status in this session (a run, or a "not run" record). */
    private final Map<String, AgentStatus> results = new ConcurrentHashMap<>();

    private volatile String phase = "INITIALIZING";
    private volatile Instant finishedAt;
    private volatile String error;

    Session(String id, AgentService agents, List<AgentConfig> known, List<String> critical, List<String> high,
            List<List<String>> waves, SecurityContext caller, int maxConcurrent, ExecutorService threads) {
        this.id = id;
        this.agents = agents;
        known.forEach(c -> configs.put(c.name(), c));
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

    @Override
    public void run() {
        try {
            phase = "CRITICAL";
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
            phase = "HIGH";
            for (String name : high) {
                runOne(name);
            }
            phase = "PARALLEL";
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
            Thread.currentThread().interrupt();
            error = "the session was stopped (Toka is shutting down)";
            end();
        } catch (ExecutionException | RuntimeException e) {
            LOG.error("Session {} failed unexpectedly", id, e);
            error = "internal error: " + e.getClass().getSimpleName();
            end();
        }
    }

    /** Runs one agent and waits for it; or records it as not run when a required dependency did not complete. */
    private AgentStatus runOne(String name) throws InterruptedException {
        for (String dep : configs.get(name).dependencies().required().keySet()) {
            AgentStatus d = results.get(dep);
            if (all.contains(dep) && (d == null || d.state() != State.COMPLETED)) {
                AgentStatus skipped = notRun(name, "not run: required dependency '" + dep + "' did not complete");
                results.put(name, skipped);
                return skipped;
            }
        }
        AgentStatus s;
        try {
            s = agents.run(name, caller);
            while (s.finishedAt() == null) {
                s = agents.await(name, AWAIT_SLICE);
            }
        } catch (IllegalArgumentException | IllegalStateException e) {
            s = notRun(name, "not run: " + e.getMessage());
        }
        results.put(name, s);
        return s;
    }

    private AgentStatus notRun(String name, String why) {
        Instant now = Instant.now();
        AgentConfig c = configs.get(name);
        return new AgentStatus(name, null, State.FAILED, 0, c == null ? 0 : c.tasks().size(), 0, why, now, now,
                List.of(), "failure");
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
        phase = error == null ? "COMPLETED" : "FAILED";
        finishedAt = Instant.now();
        LOG.info("Session {} {}{}", id, phase, error == null ? "" : ": " + error);
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
                s = agents.status(n).filter(x -> !x.startedAt().isBefore(startedAt)).orElse(null);
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
                List.copyOf(summary));
    }
}
