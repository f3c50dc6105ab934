package io.toka.orchestration.internal.agent;

import io.toka.event.Event;
import io.toka.event.EventPayload;
import io.toka.kernel.QueuedTask;
import io.toka.orchestration.AgentConfig;
import io.toka.orchestration.AgentStatus;
import io.toka.orchestration.AgentStatus.State;
import io.toka.orchestration.AgentStatus.TaskOutcome;
import io.toka.security.TokenStateException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
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
 * thread. The tasks are the configuration's default tasks and the tasks queued for the agent in the kernel: after
 * each task the run takes the agent's oldest queued task before its next default task, and a run started for a
 * queued task goes on until the agent's queue is empty. A default task runs with the run's own token; a queued task
 * with the token delegated from whoever scheduled it.
 *
 * <p>Pause takes effect at the next checkpoint (before each model turn and each tool call), where the thread waits
 * until it is resumed; terminate and the timeout interrupt the thread, which the LLM gateway and the tool registry
 * honour, and it stops at the next checkpoint at the latest. Terminating a run terminates the runs it spawned.
 *
 * <p>A durable run records each step in its {@link RunJournal} before acting on it (see {@link TaskLoop}), and is
 * rebuilt from that journal after a restart ({@link #replay}): same run id, its tasks' outcomes, its current task's
 * conversation, its pause. A service that stops (deactivation) stops durable runs quietly, leaving their journals
 * open so that they resume.
 *
 * <p>Every task is run, even after one fails, so the summary covers each; the run is {@code COMPLETED} only if all
 * of them succeeded, otherwise {@code FAILED}.
 */
final class AgentRun implements Runnable {

    private static final Logger LOG = LoggerFactory.getLogger(AgentRun.class);

    /** Exit codes of {@code agent.terminated}. */
    static final int EXIT_SUCCESS = 0;
    static final int EXIT_FAILURE = 1;
    static final int EXIT_TERMINATED = 2;

    /** Why a run (or a task) stops before its end. */
    enum Stop {
        TERMINATED, TIMEOUT,
        /** The run's own token is no longer usable: revoked (itself or an ancestor), expired, or outside its window. */
        TOKEN,
        /** A queued task's token is no longer usable: that task fails, the run goes on. */
        TASK_TOKEN,
        /** The agent service stops: a durable run stops quietly and resumes at the next start. */
        SHUTDOWN
    }

    /** Thrown at a checkpoint once the run (or, for {@link Stop#TASK_TOKEN}, the task) must stop. */
    static final class Stopped extends Exception {
        private static final long serialVersionUID = 1L;
        final transient Stop why;

        Stopped(Stop why) {
            this(why, why.name());
        }

        Stopped(Stop why, String detail) {
            super(detail, null, false, false);
            this.why = why;
        }
    }

    /** What a run needs from the agent service. */
    interface Host {
        /** Takes the agent's oldest queued task for the run, recording that the run took it; empty if none. */
        Optional<QueuedTask> takeTask(String agent, String runId);

        /** How many tasks are queued for the agent. */
        int queued(String agent);

        /**
         * The token a queued task runs with.
         *
         * @throws TokenUnavailable naming why there is none (revoked, expired, not kept)
         */
        TaskLoop.TaskToken taskToken(String taskId) throws TokenUnavailable;

        /** A task ended: forget what was kept for it. */
        void taskDone(String taskId);

        /** The run ended (or stopped quietly): forget what was kept for it. */
        void runEnded(AgentRun run, boolean quietly);

        /** Whether agents may spawn children here. */
        boolean canSpawn();

        /**
         * Spawns a child of the run through the kernel, with the task's token.
         *
         * @return why it was refused, or empty if it was spawned
         */
        Optional<String> spawn(AgentRun parent, TaskLoop.TaskToken token, String child);
    }

    /** A task's token cannot be had. */
    static final class TokenUnavailable extends Exception {
        private static final long serialVersionUID = 1L;

        TokenUnavailable(String message) {
            super(message, null, false, false);
        }
    }

    /** What a run needs from the service. */
    record Context(io.toka.llm.LlmGateway llm, io.toka.runtime.registry.ToolRegistry tools, Reporter reporter,
            Settings settings, ScheduledExecutorService watchdog, Host host) {

        /** The host when it can spawn children, else null. */
        Host spawner() {
            return host != null && host.canSpawn() ? host : null;
        }
    }

    final AgentConfig config;
    final String runId;
    final String callerSubject;
    /** The token the default tasks run with; null for a run started for queued tasks only. */
    final TaskLoop.TaskToken runToken;
    final String parentAgent;
    final String parentRun;
    final String session;
    private final ResourceLimits limits;
    private final Context ctx;
    private final RunJournal journal;
    private final Instant createdAt;
    private final List<TaskOutcome> outcomes = new CopyOnWriteArrayList<>();
    private final List<String> failures = new CopyOnWriteArrayList<>();
    private final List<AgentRun> children = new CopyOnWriteArrayList<>();
    private final CountDownLatch done = new CountDownLatch(1);

    // ---- the run's progress through its tasks (changed by the run thread, or by replay before it starts)
    private int defaultsStarted;
    private int nextIndex = 1;
    private TaskLoop current;
    /** The token the current task runs with (for the kernel's check that a spawn comes from this run). */
    private volatile TaskLoop.TaskToken currentToken;
    /** Queued tasks the kernel handed to this run that have not started (a crash between the two). */
    private final Deque<QueuedTask> taken = new ArrayDeque<>();
    /** Whether the run's start is recorded (its journal is open until its end is recorded). */
    private volatile boolean journalOpen;
    /** Set when rebuilt from a journal: what the run does first, for its {@code agent.run.recovered} record. */
    private String recovery;
    /** How the run came to this node when another node's lease on it expired, or null. */
    private volatile String takenOver;
    /** Why the run was given up here without an end (its lease was lost), or null. */
    private volatile String abandoned;
    /** Run time before the restart, counted against the timeout. */
    private long elapsedBeforeMs;

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
    private Instant resumedAt;
    /** Why the run's token stopped the run, when {@link Stop#TOKEN}. */
    private String tokenProblem;
    /** The model calls' waits in the LLM gateway's queue, added up. */
    private long queueWaitMs;

    AgentRun(AgentConfig config, String runId, String callerSubject, TaskLoop.TaskToken runToken,
            ResourceLimits limits, Context ctx, RunJournal journal, String parentAgent, String parentRun,
            String session, Instant createdAt) {
        this.config = config;
        this.runId = runId;
        this.callerSubject = callerSubject;
        this.runToken = runToken;
        this.limits = limits;
        this.ctx = ctx;
        this.journal = journal;
        this.parentAgent = parentAgent;
        this.parentRun = parentRun;
        this.session = session;
        this.createdAt = createdAt;
        this.message = "queued; " + limits.describe();
    }

    /** A run that could not start: failed at once, with the reason. */
    static AgentRun refused(AgentConfig config, String runId, String callerSubject, String reason, Context ctx) {
        AgentRun r = new AgentRun(config, runId, callerSubject, null, new ResourceLimits(null, "", null, null), ctx,
                RunJournal.OFF, null, null, null, Instant.now());
        r.finish(State.FAILED, "failure", reason, EXIT_FAILURE);
        return r;
    }

    RunJournal journal() {
        return journal;
    }

    /**
     * Records the run's start ({@code agent.run.started}, with its configuration as it is now), before the run is
     * accepted: a run the caller was told about is in the log.
     */
    void open() throws RunJournal.NotRecorded, InterruptedException {
        journal.commit(new RunEvents.Started(config.name(), runId, subject(), callerSubject, parentAgent, parentRun,
                session, runToken != null, config));
        journalOpen = journal.durable();
    }

    /** The subject the run acts as. */
    String subject() {
        return runToken != null ? runToken.context().subject() : "agent:" + config.name();
    }

    // ---------------------------------------------------------------- replay

    /**
     * Rebuilds the run's state from its journal (everything after {@code agent.run.started}), before it runs again.
     *
     * @param entries the recorded steps, in order, with the kernel's {@code task.taken} for this run
     * @param lastRecorded when the run last recorded anything: the time before it counts against the timeout
     */
    void replay(List<RunLog.Entry> entries, Instant lastRecorded) {
        for (RunLog.Entry e : entries) {
            EventPayload p = e.payload();
            if (p instanceof EventPayload.TaskTaken t) {
                taken.addLast(new QueuedTask(t.taskId(), t.agent(), t.task(), null, e.event().timestamp()));
            } else if (p instanceof RunEvents.TaskStarted s) {
                startTask(s, e.event());
            } else if (p instanceof RunEvents.TaskEnded t) {
                if (current != null) {
                    current.apply(t, e.event());
                    taskEnded(current, current.outcome());
                }
            } else if (p instanceof RunEvents.Paused) {
                paused = true;
            } else if (p instanceof RunEvents.Continued) {
                paused = false;
            } else if (p instanceof RunEvents.Recovered || p instanceof Placement.Placed) {
                // an earlier resume, or the hand-over to the node that runs it: nothing to rebuild
            } else if (p instanceof RunEvents.RunEvent r && current != null) {
                current.apply(r, e.event());
            }
        }
        elapsedBeforeMs = Math.max(0, Duration.between(createdAt, lastRecorded).toMillis());
        journalOpen = true;
        recovery = current != null ? current.resumePoint()
                : taken.isEmpty() ? "between tasks: " + outcomes.size() + " task(s) done"
                        : "queued task " + taken.peekFirst().id() + " was taken and is started now";
        lock.lock();
        try {
            resumedAt = Instant.now();
            state = paused ? State.PAUSED : State.READY;
            message = "resumed after a restart (" + recovery + ")" + (paused ? "; paused" : "");
            currentTask = current == null ? 0 : current.index;
            progress = progressOf();
        } finally {
            lock.unlock();
        }
    }

    /** Applies a recorded {@code task_started}: the task's loop starts from its prompt. */
    private TaskLoop startTask(RunEvents.TaskStarted s, Event event) {
        current = new TaskLoop(this, config, ctx, s.index(), s.task(), s.taskId(), s.prompt(),
                s.tools() == null ? List.of() : s.tools(), event == null ? Instant.now() : event.timestamp());
        nextIndex = Math.max(nextIndex, s.index() + 1);
        if (s.taskId() == null) {
            defaultsStarted++;
        } else {
            taken.removeIf(t -> t.id().equals(s.taskId()));
        }
        return current;
    }

    /** A task's outcome is known (live, or replayed). */
    private void taskEnded(TaskLoop loop, TaskOutcome o) {
        outcomes.add(o);
        if (!o.success()) {
            failures.add("task " + loop.index + ": " + o.summary());
        }
        current = null;
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
        ScheduledFuture<?> watchdog = null;
        if (limits.timeout() != null) {
            long left = Math.max(0, limits.timeout().toMillis() - elapsedBeforeMs);
            watchdog = ctx.watchdog().schedule(this::timedOut, left, TimeUnit.MILLISECONDS);
        }
        String name = config.name();
        try {
            if (recovery != null) {
                if (takenOver != null) {
                    recovery = takenOver + "; " + recovery;
                }
                LOG.info("Agent {} run {} resumed after a restart: {}", name, runId, recovery);
                journal.commit(new RunEvents.Recovered(name, runId, recovery));
                report(progressOf(), "resumed after a restart (" + recovery + ")");
            } else {
                LOG.info("Agent {} run {} started for {}: {} task(s); {}", name, runId, callerSubject,
                        runToken == null ? 0 : config.tasks().size(), limits.describe());
                if (parentRun == null) {
                    ctx.reporter().post(new EventPayload.AgentSpawned(callerSubject, name, callerSubject));
                }
                report(0, "started: " + limits.describe());
            }
            runTasks();
        } catch (Stopped s) {
            switch (s.why) {
                case TIMEOUT -> {
                    finish(State.FAILED, "failure", "timeout of " + limits.timeoutText() + " exceeded", EXIT_FAILURE);
                    children.forEach(AgentRun::terminate);
                }
                case TOKEN -> finish(State.FAILED, "failure", stopReason(s.why), EXIT_FAILURE);
                case SHUTDOWN -> stopQuietly(abandoned != null ? abandoned
                        : "stopped: the agent service stopped; the run resumes when it starts");
                default -> finish(State.TERMINATED, "terminated", "terminated on request", EXIT_TERMINATED);
            }
        } catch (RunJournal.NotRecorded e) {
            LOG.error("Agent {} run {} stopped: {}", name, runId, e.getMessage());
            stopQuietly(abandoned != null ? abandoned : "stopped: a step could not be recorded (" + e.getMessage()
                    + "); the run resumes after a restart");
        } catch (InterruptedException e) {
            Stopped s = stopped();
            if (s.why == Stop.SHUTDOWN) {
                stopQuietly(abandoned != null ? abandoned
                        : "stopped: the agent service stopped; the run resumes when it starts");
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

    /** The next task: one the kernel already handed over, the oldest queued one, or the next default one. */
    private record Next(String description, String taskId) {
    }

    private Next next() {
        if (!taken.isEmpty()) {
            QueuedTask t = taken.peekFirst();
            return new Next(t.task(), t.id());
        }
        if (ctx.host() != null) {
            Optional<QueuedTask> q = ctx.host().takeTask(config.name(), runId);
            if (q.isPresent()) {
                taken.addLast(q.get());
                return new Next(q.get().task(), q.get().id());
            }
        }
        List<AgentConfig.Task> defaults = runToken == null ? List.of() : config.tasks();
        if (defaultsStarted < defaults.size()) {
            return new Next(defaults.get(defaultsStarted).description(), null);
        }
        return null;
    }

    private void runTasks() throws Stopped, RunJournal.NotRecorded, InterruptedException {
        String name = config.name();
        while (true) {
            TaskLoop loop = current;
            TaskLoop.TaskToken token;
            if (loop == null) {
                checkpoint(runToken);
                Next n = next();
                if (n == null) {
                    break;
                }
                token = null;
                String refusal = null;
                if (n.taskId() == null) {
                    token = runToken;
                } else {
                    try {
                        token = ctx.host().taskToken(n.taskId());
                    } catch (TokenUnavailable e) {
                        refusal = e.getMessage();
                    }
                }
                int index = nextIndex;
                String prompt = TaskLoop.prompt(config, ctx, index, total(), n.description(),
                        token == null ? null : token.context());
                List<String> tools = token == null ? List.of() : TaskLoop.offered(ctx, token.context()).stream()
                        .map(io.toka.llm.LlmTool::name).filter(ctx.tools().names()::contains).toList();
                RunEvents.TaskStarted s = new RunEvents.TaskStarted(name, runId, index, n.description(), n.taskId(),
                        prompt, tools, token == null ? subject() : token.context().subject());
                journal.commit(s);
                loop = startTask(s, null);
                lock.lock();
                try {
                    currentTask = index;
                } finally {
                    lock.unlock();
                }
                ctx.reporter().post(new EventPayload.TaskScheduled(name, n.description(), s.subject()));
                report(progressOf(), "task " + index + "/" + total() + ": " + n.description());
                if (refusal != null) {
                    endTask(loop, new TaskOutcome(n.description(), false, refusal, 0, 0, 0, 0));
                    continue;
                }
            } else {
                lock.lock();
                try {
                    currentTask = loop.index;
                } finally {
                    lock.unlock();
                }
                try {
                    token = loop.taskId == null ? runToken : ctx.host().taskToken(loop.taskId);
                } catch (TokenUnavailable e) {
                    endTask(loop, new TaskOutcome(loop.description, false, e.getMessage(), 0, 0, 0, 0));
                    continue;
                }
                if (token == null) {
                    endTask(loop, new TaskOutcome(loop.description, false,
                            "the run's token was not kept, so the task cannot go on", 0, 0, 0, 0));
                    continue;
                }
            }
            TaskOutcome o;
            long t0 = System.nanoTime();
            currentToken = token;
            try {
                o = loop.run(token).outcome();
            } catch (Stopped s) {
                if (s.why == Stop.TASK_TOKEN) {
                    endTask(loop, new TaskOutcome(loop.description, false, s.getMessage()
                            + "; the task was stopped", 0, 0, 0, ms(t0)));
                    continue;
                }
                if (s.why != Stop.SHUTDOWN) {
                    String why = stopReason(s.why);
                    outcomes.add(new TaskOutcome(loop.description, false, why, 0, 0, 0, ms(t0)));
                    if (s.why == Stop.TIMEOUT) {
                        ctx.reporter().post(new EventPayload.TaskTimeout(name, loop.description,
                                limits.timeout().toMillis()));
                    }
                    ctx.reporter().post(new EventPayload.TaskFailed(name, loop.description, why));
                }
                throw s;
            }
            completed(loop, o);
        }
        int n = outcomes.size();
        if (failures.isEmpty()) {
            finish(State.COMPLETED, "success", "all " + n + " task(s) succeeded", EXIT_SUCCESS);
        } else {
            finish(State.FAILED, "failure", failures.size() + " of " + n + " task(s) failed; " + failures.get(0),
                    EXIT_FAILURE);
        }
    }

    /** Ends a task that cannot run (its token), recording its outcome. */
    private void endTask(TaskLoop loop, TaskOutcome o) throws Stopped, RunJournal.NotRecorded {
        RunEvents.TaskEnded e = new RunEvents.TaskEnded(config.name(), runId, loop.index, o.task(), false,
                o.summary(), o.steps(), o.toolCalls(), o.attempts(), o.durationMs());
        try {
            journal.commit(e);
        } catch (InterruptedException ie) {
            throw stopped();
        }
        loop.apply(e, null);
        completed(loop, loop.outcome());
    }

    private void completed(TaskLoop loop, TaskOutcome o) {
        String name = config.name();
        taskEnded(loop, o);
        if (loop.taskId != null && ctx.host() != null) {
            ctx.host().taskDone(loop.taskId);
        }
        if (o.success()) {
            ctx.reporter().post(new EventPayload.TaskCompleted(name, o.task(), o.summary(), o.durationMs()));
        } else {
            ctx.reporter().post(new EventPayload.TaskFailed(name, o.task(), o.summary()));
        }
        report(progressOf(), "task " + loop.index + "/" + total() + (o.success() ? " succeeded: " : " failed: ")
                + o.summary());
    }

    /** Tasks started, default tasks not yet started, and tasks waiting for the agent. */
    private int total() {
        int defaults = runToken == null ? 0 : config.tasks().size();
        int queued = ctx.host() == null ? 0 : ctx.host().queued(config.name());
        return (nextIndex - 1) + Math.max(0, defaults - defaultsStarted) + taken.size() + queued;
    }

    private double progressOf() {
        int t = total();
        return t == 0 ? 0 : Math.min(1, (double) outcomes.size() / t);
    }

    private static long ms(long t0) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
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
        ctx.reporter().progress(config.name(), runId, st, p, msg, waited, subject());
    }

    /** Ends the run once; later calls do nothing. */
    private boolean finish(State end, String v, String msg, int exitCode) {
        boolean endRecorded = false;
        if (journalOpen && journal.guard() != null && !isFinished()) {
            // a leased run records its end before it shows it: a node that lost the lease shows no end, reports none
            boolean interrupted = Thread.interrupted();
            try {
                journal.commit(new RunEvents.Ended(config.name(), runId, end.name(), v, msg));
                endRecorded = true;
            } catch (RunJournal.NotRecorded e) {
                if (journal.guard().lost()) {
                    stopQuietly(abandoned != null ? abandoned : "given up here: " + e.getMessage());
                    return false;
                }
                LOG.warn("Agent {} run {}: its end was not recorded ({}); it is rebuilt after a restart",
                        config.name(), runId, e.getMessage());
                endRecorded = true; // not tried again below
            } catch (InterruptedException e) {
                interrupted = true;
                endRecorded = true; // the end stays queued for the writer
            } finally {
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
            }
        }
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
        if (journalOpen && !endRecorded) {
            // a terminated run's thread may still carry the interrupt: wait for the commit all the same
            boolean interrupted = Thread.interrupted();
            try {
                journal.commit(new RunEvents.Ended(config.name(), runId, end.name(), v, msg));
            } catch (RunJournal.NotRecorded e) {
                LOG.warn("Agent {} run {}: its end was not recorded ({}); it is rebuilt after a restart",
                        config.name(), runId, e.getMessage());
            } catch (InterruptedException e) {
                interrupted = true; // the end stays queued for the writer
            } finally {
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
            }
        }
        if (started) {
            ctx.reporter().progress(config.name(), runId, end.name(), progress, msg, queueWaitMs(), subject());
            ctx.reporter().post(new EventPayload.AgentTerminated(config.name(), msg, exitCode));
        }
        if (ctx.host() != null) {
            ctx.host().runEnded(this, false);
        }
        done.countDown();
        return true;
    }

    /**
     * Stops the run without recording an end, so that its journal stays open and it resumes after a restart: the
     * service is stopping, or a step could not be recorded. The status here says why; it is not the run's end.
     */
    private void stopQuietly(String why) {
        lock.lock();
        try {
            if (finished) {
                return;
            }
            finished = true;
            state = State.FAILED;
            verdict = null;
            message = why;
            finishedAt = Instant.now();
            thread = null;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        LOG.info("Agent {} run {} {}", config.name(), runId, why);
        if (ctx.host() != null) {
            ctx.host().runEnded(this, true);
        }
        done.countDown();
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
     * Waits while paused; throws once the run must stop, or once the token is no longer usable.
     *
     * @param token the token of the task about to act, or null between tasks of a run without one
     * @throws Stopped if terminated, timed out, stopping, the thread was interrupted, or the token is not usable
     */
    void checkpoint(TaskLoop.TaskToken token) throws Stopped {
        if (isPaused()) {
            // about to wait, perhaps long: store what the run has done so far, so that a restart keeps it
            try {
                journal.flush();
            } catch (RunJournal.NotRecorded e) {
                LOG.warn("Agent {} run {}: its steps before the pause were not stored: {}", config.name(), runId,
                        e.getMessage());
            } catch (InterruptedException e) {
                throw stopped();
            }
        }
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
        // the token's live state is checked before every model turn and tool call, so a revocation (of the token or
        // of any token it was delegated from) stops the task at its next step
        if (token != null) {
            try {
                token.context().checkLive();
            } catch (TokenStateException e) {
                LOG.info("Agent {} run {}: {}", config.name(), runId, e.getMessage());
                throw tokenStopped(e, token);
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
     * The stop for a token that is no longer usable, found at a checkpoint or by a tool call: the run's own token
     * stops the run; a queued task's token stops that task.
     */
    Stopped tokenStopped(TokenStateException e, TaskLoop.TaskToken token) {
        if (token != null && !token.own()) {
            return new Stopped(Stop.TASK_TOKEN, "the task's token is no longer usable: " + e.getMessage());
        }
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

    /** @return the status as the pause left it */
    AgentStatus pause() {
        AgentStatus now;
        lock.lock();
        try {
            requireRunning("pause");
            if (!paused) {
                paused = true;
                state = State.PAUSED;
                message = "paused: stops before its next model turn or tool call";
            }
            now = status();
        } finally {
            lock.unlock();
        }
        journal.postNow(new RunEvents.Paused(config.name(), runId));
        ctx.reporter().post(new EventPayload.AgentSuspended(config.name(), "paused on request"));
        return now;
    }

    /** @return the status as the resume left it, before the run thread moves on */
    AgentStatus resume() {
        AgentStatus now;
        lock.lock();
        try {
            requireRunning("resume");
            if (paused) {
                paused = false;
                state = started ? State.RUNNING : State.READY;
                message = "resumed";
            }
            now = status();
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        journal.postNow(new RunEvents.Continued(config.name(), runId));
        ctx.reporter().post(new EventPayload.AgentResumed(config.name()));
        return now;
    }

    /** Idempotent: terminating a finished run returns its status. Terminates the runs it spawned first. */
    AgentStatus terminate() {
        for (AgentRun child : children) {
            child.terminate();
        }
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
            // not started here; a resumed run's journal is closed by recording its end
            finish(State.TERMINATED, "terminated", "terminated on request before it started", EXIT_TERMINATED);
        }
        return status();
    }

    /** The run was taken over from another node: says so when it resumes. */
    void takenOver(String how) {
        this.takenOver = how;
    }

    /**
     * After {@link #replay}: the run was placed on this node by another and has done nothing yet, so it starts from
     * the beginning, as a new run, not as a resumed one.
     */
    void placedHere(String how) {
        recovery = null;
        lock.lock();
        try {
            resumedAt = null;
            message = how;
        } finally {
            lock.unlock();
        }
    }

    /**
     * This node lost the run's lease (another node took the run over): the run stops at once without recording
     * anything more, its end included; the other node goes on with it.
     */
    void abandon(String why) {
        this.abandoned = "given up here: " + why;
        LOG.warn("Agent {} run {} is given up on this node: {}", config.name(), runId, why);
        shutdown();
    }

    /**
     * The service stops: a durable run stops quietly at its next checkpoint (its journal stays open), one that is not
     * durable is terminated.
     */
    void shutdown() {
        if (!journal.durable()) {
            terminate();
            return;
        }
        lock.lock();
        try {
            if (finished) {
                return;
            }
            if (!started) {
                finished = true;
                state = State.FAILED;
                message = "stopped before it started: the agent service stopped";
                finishedAt = Instant.now();
                changed.signalAll();
                done.countDown();
                return;
            }
            if (stop == null) {
                stop = Stop.SHUTDOWN;
            }
            changed.signalAll();
            if (thread != null) {
                thread.interrupt();
            }
        } finally {
            lock.unlock();
        }
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

    /** A run this one spawned. */
    void adopt(AgentRun child) {
        children.add(child);
    }

    List<AgentRun> children() {
        return List.copyOf(children);
    }

    boolean isFinished() {
        return done.getCount() == 0;
    }

    boolean isPaused() {
        lock.lock();
        try {
            return paused;
        } finally {
            lock.unlock();
        }
    }

    /** The token the task in progress runs with, if any. */
    Optional<TaskLoop.TaskToken> currentTaskToken() {
        return current == null ? Optional.empty() : Optional.ofNullable(currentToken);
    }

    /** The task in progress, if any: its index and description. */
    Optional<TaskLoop> currentTask() {
        return Optional.ofNullable(current);
    }

    /** @return the final status, or the current one if the wait timed out */
    AgentStatus await(Duration timeout) throws InterruptedException {
        done.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
        return status();
    }

    AgentStatus status() {
        int total = isFinished() ? outcomes.size() : total();
        lock.lock();
        try {
            return new AgentStatus(config.name(), runId, state, currentTask, total, progress, message,
                    createdAt, finishedAt, List.copyOf(outcomes), verdict, queueWaitMs, resumedAt, parentAgent,
                    journal.durable());
        } finally {
            lock.unlock();
        }
    }
}
