package io.toka.orchestration.internal.agent;

import io.toka.event.EventPayload;
import io.toka.orchestration.AgentConfig;
import io.toka.orchestration.AgentStatus;
import io.toka.orchestration.AgentStatus.State;
import io.toka.orchestration.AgentStatus.TaskOutcome;
import io.toka.security.SecurityContext;
import io.toka.security.TokenStateException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One run of an agent: its tasks one after another on a thread of the agent pool, and the controls that act on that
 * thread. Pause takes effect at the next checkpoint (before each model turn and each tool call), where the thread
 * waits until it is resumed; terminate and the timeout interrupt the thread, which the LLM gateway and the tool
 * registry honour, and it stops at the next checkpoint at the latest.
 *
 * <p>Every task is run, even after one fails, so the summary covers each; the run is {@code COMPLETED} only if all
 * of them succeeded, otherwise {@code FAILED} (stricter than the original's 80 % rule: a task that failed is not
 * hidden by others that did not).
 */
final class AgentRun implements Runnable {

    private static final Logger LOG = LoggerFactory.getLogger(AgentRun.class);

    /** Exit codes of {@code agent.terminated}. */
    static final int EXIT_SUCCESS = 0;
    static final int EXIT_FAILURE = 1;
    static final int EXIT_TERMINATED = 2;

    /** Why a run stops before its end. */
    enum Stop {
        TERMINATED, TIMEOUT,
        /** The agent's token is no longer usable: revoked (itself or an ancestor), expired, or outside its window. */
        TOKEN
    }

    /** Thrown at a checkpoint once the run must stop. */
    static final class Stopped extends Exception {
        private static final long serialVersionUID = 1L;
        final transient Stop why;

        Stopped(Stop why) {
            super(why.name(), null, false, false);
            this.why = why;
        }
    }

    /** What a run needs from the service. */
    record Context(io.toka.llm.LlmGateway llm, io.toka.runtime.registry.ToolRegistry tools, Reporter reporter,
            Settings settings, ScheduledExecutorService watchdog) {
    }

    final AgentConfig config;
    final String runId;
    private final String callerSubject;
    private final SecurityContext agent;
    private final ResourceLimits limits;
    private final Context ctx;
    private final Instant createdAt = Instant.now();
    private final List<TaskOutcome> outcomes = new CopyOnWriteArrayList<>();
    private final CountDownLatch done = new CountDownLatch(1);

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    // guarded by lock
    private State state = State.READY;
    private boolean paused;
    private Stop stop;
    private Thread thread;
    private boolean started;
    private boolean finished;
    private int currentTask;
    private double progress;
    private String message;
    private Instant finishedAt;
    private String verdict;
    /** Why the agent's token stopped the run, when {@link Stop#TOKEN}. */
    private String tokenProblem;
    /** The model calls' waits in the LLM gateway's queue, added up. */
    private long queueWaitMs;

    AgentRun(AgentConfig config, String runId, String callerSubject, SecurityContext agent, ResourceLimits limits,
            Context ctx) {
        this.config = config;
        this.runId = runId;
        this.callerSubject = callerSubject;
        this.agent = agent;
        this.limits = limits;
        this.ctx = ctx;
        this.message = "queued; " + limits.describe();
    }

    /** A run that could not start: failed at once, with the reason. */
    static AgentRun refused(AgentConfig config, String runId, String callerSubject, String reason, Context ctx) {
        AgentRun r = new AgentRun(config, runId, callerSubject, null,
                new ResourceLimits(null, "", null, null), ctx);
        r.finish(State.FAILED, "failure", reason, EXIT_FAILURE);
        return r;
    }

    // ---------------------------------------------------------------- the run

    @Override
    public void run() {
        lock.lock();
        try {
            if (finished) {
                return; // terminated while queued
            }
            started = true;
            thread = Thread.currentThread();
            state = paused ? State.PAUSED : State.RUNNING;
        } finally {
            lock.unlock();
        }
        ScheduledFuture<?> watchdog = limits.timeout() == null ? null
                : ctx.watchdog().schedule(this::timedOut, limits.timeout().toNanos(), TimeUnit.NANOSECONDS);
        String name = config.name();
        try {
            LOG.info("Agent {} run {} started for {}: {} task(s); {}", name, runId, callerSubject,
                    config.tasks().size(), limits.describe());
            ctx.reporter().post(new EventPayload.AgentSpawned(callerSubject, name, callerSubject));
            report(0, "started: " + limits.describe());
            runTasks();
        } catch (Stopped s) {
            if (s.why == Stop.TIMEOUT) {
                finish(State.FAILED, "failure", "timeout of " + limits.timeoutText() + " exceeded", EXIT_FAILURE);
            } else if (s.why == Stop.TOKEN) {
                finish(State.FAILED, "failure", stopReason(s.why), EXIT_FAILURE);
            } else {
                finish(State.TERMINATED, "terminated", "terminated on request", EXIT_TERMINATED);
            }
        } catch (RuntimeException | LinkageError e) {
            // a bug or a bundle refreshed under the run: the run must still end, or await() would wait forever
            LOG.error("Agent {} run {} failed unexpectedly", name, runId, e);
            finish(State.FAILED, "failure", "internal error: " + e.getClass().getSimpleName(), EXIT_FAILURE);
        } finally {
            if (watchdog != null) {
                watchdog.cancel(false);
            }
            // an interrupt that raced with the end of the run must not reach the pool's next run
            Thread.interrupted();
        }
    }

    private void runTasks() throws Stopped {
        List<AgentConfig.Task> tasks = config.tasks();
        int n = tasks.size();
        String name = config.name();
        String subject = agent.subject();
        int failed = 0;
        String firstFailure = null;
        for (int i = 1; i <= n; i++) {
            String description = tasks.get(i - 1).description();
            lock.lock();
            try {
                currentTask = i;
            } finally {
                lock.unlock();
            }
            ctx.reporter().post(new EventPayload.TaskScheduled(name, description, subject));
            report((double) (i - 1) / n, "task " + i + "/" + n + ": " + description);
            long t0 = System.nanoTime();
            TaskLoop.Result r;
            try {
                r = new TaskLoop(this, config, agent, ctx).run(i, n, description);
            } catch (Stopped s) {
                long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
                String why = stopReason(s.why);
                outcomes.add(new TaskOutcome(description, false, why, 0, 0, 0, ms));
                if (s.why == Stop.TIMEOUT) {
                    ctx.reporter().post(new EventPayload.TaskTimeout(name, description, limits.timeout().toMillis()));
                }
                ctx.reporter().post(new EventPayload.TaskFailed(name, description, why));
                throw s;
            }
            TaskOutcome o = r.outcome();
            outcomes.add(o);
            if (o.success()) {
                ctx.reporter().post(new EventPayload.TaskCompleted(name, description, o.summary(), o.durationMs()));
            } else {
                failed++;
                if (firstFailure == null) {
                    firstFailure = "task " + i + ": " + o.summary();
                }
                ctx.reporter().post(new EventPayload.TaskFailed(name, description, o.summary()));
            }
            report((double) i / n, "task " + i + "/" + n + (o.success() ? " succeeded: " : " failed: ") + o.summary());
        }
        if (failed == 0) {
            finish(State.COMPLETED, "success", "all " + n + " task(s) succeeded", EXIT_SUCCESS);
        } else {
            finish(State.FAILED, "failure", failed + " of " + n + " task(s) failed; " + firstFailure, EXIT_FAILURE);
        }
    }

    private void report(double p, String msg) {
        String st;
        long waited;
        lock.lock();
        try {
            progress = p;
            message = msg;
            st = state.name();
            waited = queueWaitMs;
        } finally {
            lock.unlock();
        }
        ctx.reporter().progress(config.name(), runId, st, p, msg, waited,
                agent == null ? callerSubject : agent.subject());
    }

    /** Ends the run once; later calls do nothing. */
    private boolean finish(State end, String v, String msg, int exitCode) {
        lock.lock();
        try {
            if (finished) {
                return false;
            }
            finished = true;
            state = end;
            verdict = v;
            message = msg;
            if (end == State.COMPLETED) {
                progress = 1;
            }
            finishedAt = Instant.now();
            thread = null;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        if (end == State.COMPLETED) {
            LOG.info("Agent {} run {} completed: {}", config.name(), runId, msg);
        } else {
            LOG.info("Agent {} run {} ended {}: {}", config.name(), runId, end, msg);
        }
        if (started) {
            ctx.reporter().progress(config.name(), runId, end.name(), progress, msg, queueWaitMs(),
                    agent == null ? callerSubject : agent.subject());
            ctx.reporter().post(new EventPayload.AgentTerminated(config.name(), msg, exitCode));
        }
        done.countDown();
        return true;
    }

    /** Adds a model call's wait in the LLM gateway's queue to the run's; used by TaskLoop. */
    void queueWait(long millis) {
        lock.lock();
        try {
            queueWaitMs += millis;
        } finally {
            lock.unlock();
        }
    }

    private long queueWaitMs() {
        lock.lock();
        try {
            return queueWaitMs;
        } finally {
            lock.unlock();
        }
    }

    // ---------------------------------------------------------------- checkpoints, used by TaskLoop

    /**
     * Waits while paused; throws once the run must stop.
     *
     * @throws Stopped if terminated, timed out, or the thread was interrupted
     */
    void checkpoint() throws Stopped {
        lock.lock();
        try {
            while (paused && stop == null) {
                changed.await();
            }
            if (stop != null) {
                throw new Stopped(stop);
            }
        } catch (InterruptedException e) {
            throw stopped();
        } finally {
            lock.unlock();
        }
        if (Thread.currentThread().isInterrupted()) {
            throw stopped();
        }
        // the token's live state is checked before every model turn and tool call, so a revocation (of the agent's
        // token or of any token it was delegated from) stops the run at its next step
        if (agent != null) {
            try {
                agent.checkLive();
            } catch (TokenStateException e) {
                LOG.info("Agent {} run {}: {}", config.name(), runId, e.getMessage());
                throw tokenStopped(e);
            }
        }
    }

    /** The message a stopped run ends with. */
    private String stopReason(Stop why) {
        return switch (why) {
            case TIMEOUT -> "timeout of " + limits.timeoutText() + " exceeded";
            case TOKEN -> {
                lock.lock();
                try {
                    yield tokenProblem + "; the agent was stopped";
                } finally {
                    lock.unlock();
                }
            }
            default -> "terminated on request";
        };
    }

    /**
     * The stop for a token that is no longer usable, found at a checkpoint or by a tool call: the run must not take
     * another step with it.
     */
    Stopped tokenStopped(TokenStateException e) {
        lock.lock();
        try {
            if (stop == null) {
                stop = Stop.TOKEN;
                tokenProblem = e.getMessage();
            }
            return new Stopped(stop);
        } finally {
            lock.unlock();
        }
    }

    /** Sleeps before a retry; wakes early to stop. */
    void sleep(long millis) throws Stopped {
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        lock.lock();
        try {
            for (long left = end - System.nanoTime(); left > 0 && stop == null; left = end - System.nanoTime()) {
                changed.awaitNanos(left);
            }
            if (stop != null) {
                throw new Stopped(stop);
            }
        } catch (InterruptedException e) {
            throw stopped();
        } finally {
            lock.unlock();
        }
    }

    /** The stop for an interrupted thread: the reason recorded, or a termination (e.g. the service went away). */
    Stopped stopped() {
        Thread.interrupted();
        lock.lock();
        try {
            if (stop == null) {
                stop = Stop.TERMINATED;
            }
            return new Stopped(stop);
        } finally {
            lock.unlock();
        }
    }

    // ---------------------------------------------------------------- control

    AgentStatus pause() {
        lock.lock();
        try {
            requireRunning("pause");
            if (!paused) {
                paused = true;
                state = State.PAUSED;
                message = "paused: stops before its next model turn or tool call";
            }
        } finally {
            lock.unlock();
        }
        ctx.reporter().post(new EventPayload.AgentSuspended(config.name(), "paused on request"));
        return status();
    }

    AgentStatus resume() {
        lock.lock();
        try {
            requireRunning("resume");
            if (paused) {
                paused = false;
                state = started ? State.RUNNING : State.READY;
                message = "resumed";
                changed.signalAll();
            }
        } finally {
            lock.unlock();
        }
        ctx.reporter().post(new EventPayload.AgentResumed(config.name()));
        return status();
    }

    /** Idempotent: terminating a finished run returns its status. */
    AgentStatus terminate() {
        boolean queued;
        lock.lock();
        try {
            if (finished) {
                return status();
            }
            queued = !started;
            if (!queued) {
                if (stop == null) {
                    stop = Stop.TERMINATED;
                }
                changed.signalAll();
                if (thread != null) {
                    thread.interrupt();
                }
            }
        } finally {
            lock.unlock();
        }
        if (queued) {
            finish(State.TERMINATED, "terminated", "terminated on request before it started", EXIT_TERMINATED);
        }
        return status();
    }

    private void timedOut() {
        lock.lock();
        try {
            if (finished) {
                return;
            }
            if (stop == null) {
                stop = Stop.TIMEOUT;
            }
            changed.signalAll();
            if (thread != null) {
                thread.interrupt();
            }
        } finally {
            lock.unlock();
        }
    }

    private void requireRunning(String action) {
        if (finished) {
            throw new IllegalStateException("cannot " + action + " agent '" + config.name() + "': it is not running ("
                    + state + ")");
        }
    }

    boolean isFinished() {
        return done.getCount() == 0;
    }

    /** @return the final status, or the current one if the wait timed out */
    AgentStatus await(Duration timeout) throws InterruptedException {
        done.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
        return status();
    }

    AgentStatus status() {
        lock.lock();
        try {
            return new AgentStatus(config.name(), runId, state, currentTask, config.tasks().size(), progress, message,
                    createdAt, finishedAt, List.copyOf(outcomes), verdict, queueWaitMs);
        } finally {
            lock.unlock();
        }
    }
}
