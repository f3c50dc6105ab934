package io.toka.orchestration.internal.agent;

import io.toka.event.Event;
import io.toka.llm.ContentBlock;
import io.toka.llm.LlmException;
import io.toka.llm.LlmMessage;
import io.toka.llm.LlmRequest;
import io.toka.llm.LlmResponse;
import io.toka.llm.LlmTool;
import io.toka.orchestration.AgentConfig;
import io.toka.orchestration.AgentStatus.TaskOutcome;
import io.toka.runtime.registry.InvalidArgumentsException;
import io.toka.runtime.registry.RegisteredTool;
import io.toka.runtime.registry.ToolCallResult;
import io.toka.runtime.registry.UnknownToolException;
import io.toka.security.AccessDeniedException;
import io.toka.security.RateLimitExceededException;
import io.toka.security.TokenStateException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One task of a run: a conversation with the model in which every tool call it asks for goes through the registry
 * with the task's own security context, until the model reports a verdict or runs out of turns.
 *
 * <h2>Record before acting, and replay</h2>
 * Every step is a {@link RunEvents} payload that is recorded before Toka acts on it (the model request, the model's
 * turn, each tool call, each tool result), and the task's state changes only by {@link #apply applying} a recorded
 * step. Recorded means handed, in order, to the kernel's group-commit writer; Toka waits for the commit before an
 * action that has an effect outside Toka: a tool call (its {@code tool_called} and everything before it are stored
 * before the tool runs). The other steps are handed to the writer, without waiting, once a model call has taken more
 * than a few milliseconds (so they are stored while the model thinks), and stored with the next commit at the latest:
 * one lost in a crash is done again (a model request sent again; a tool call with no stored result follows the
 * in-flight rule). The live loop and the rebuild after a restart therefore go through the same code: a task rebuilt from its
 * journal is in exactly the state it was in when its last step was recorded, and {@link #run} goes on from there.
 * A model request in flight at a crash is sent again (a model call has no effect outside Toka). A tool call whose
 * result was recorded is never made again: the model gets the recorded result. A tool call in flight (recorded, no
 * result) is made again only if the tool declared itself idempotent when it was called; otherwise the model is told
 * that its result is unknown, and decides.
 *
 * <h2>The verdict</h2>
 * The model reports it with the {@code report_verdict} tool (offered with a JSON Schema), or, as a fallback, ends its
 * final answer with the trailing JSON object ({@link Verdict}). A final answer with neither gets one reminder turn;
 * a second one fails the task with "no verdict". A {@code success} verdict is downgraded to a failure when some
 * tool's latest call ran and failed and was never followed by a successful call of the same tool; refusals never
 * downgrade. No reply text is searched for words like "error".
 *
 * <p>A failed model turn is retried with exponential backoff when the gateway reports {@code RATE_LIMITED},
 * {@code PROVIDER} or {@code TIMEOUT}; the turn is repeated, not the task. {@code CONFIGURATION}, {@code BLOCKED}
 * and {@code TOO_LARGE} fail the task at once.
 */
final class TaskLoop {

    private static final Logger LOG = LoggerFactory.getLogger(TaskLoop.class);
    /** How long a model call may take before the steps recorded so far are handed to the writer meanwhile. */
    static final long HAND_OVER_MILLIS = 5;
    /** Room left under the gateway's prompt limit for what this estimate does not count exactly. */
    private static final int PROMPT_MARGIN = 2048;

    /** The tool the model reports its verdict with. */
    static final String VERDICT_TOOL = "report_verdict";
    /** The tool an agent spawns a child agent with (offered with {@code agent:spawn}). */
    static final String SPAWN_TOOL = "spawn_agent";
    static final String VERDICT_SCHEMA = """
            {"type":"object","properties":{\
            "verdict":{"type":"string","enum":["success","failure"],\
            "description":"success if the task was done, failure if it could not be done"},\
            "summary":{"type":"string","minLength":1,"maxLength":2000,\
            "description":"one sentence: what you did, or what went wrong"}},\
            "required":["verdict","summary"],"additionalProperties":false}""";
    static final String SPAWN_SCHEMA = """
            {"type":"object","properties":{\
            "agent":{"type":"string","pattern":"^[a-z0-9][a-z0-9-]{0,63}$",\
            "description":"the name of a defined agent to start as your child"}},\
            "required":["agent"],"additionalProperties":false}""";
    /** What the model is told about a tool call that was in flight when Toka stopped. */
    static final String UNKNOWN_RESULT = "unknown: Toka stopped while this call was in flight, and the tool does not "
            + "declare itself idempotent, so it was not repeated. Whether it took effect is unknown: check before "
            + "you repeat it.";

    /** @param outcome the task's outcome */
    record Result(TaskOutcome outcome) {
    }

    /** A task's token: its security context, the raw token (for kernel messages), and whether it is the run's own. */
    record TaskToken(io.toka.security.SecurityContext context, String raw, boolean own) {
    }

    private final AgentRun run;
    private final AgentConfig config;
    private final AgentRun.Context ctx;
    private final Settings settings;
    final int index;
    final String description;
    /** The queued task's id, or null for a default task. */
    final String taskId;
    private final String prompt;
    /** The registered tools the task was offered when it started. */
    final List<String> tools;
    private final Instant startedAt;
    /** Set when the task is run (live or resumed), not during a replay. */
    private TaskToken token;

    // ---- the state, changed only by apply()
    private final List<LlmMessage> messages = new ArrayList<>();
    private int steps;
    private int toolCalls;
    private int attempts = 1;
    /** Tool name → the message of its latest call, if that call ran and failed. */
    private final Map<String, String> unresolvedFailures = new LinkedHashMap<>();
    /** The latest turn's tool calls (without report_verdict), in order, and what came back so far. */
    private List<ContentBlock.ToolUse> uses = List.of();
    private final Map<String, ContentBlock.ToolResult> results = new LinkedHashMap<>();
    /** Calls recorded as made whose result is not recorded. */
    private final Set<String> inFlight = new HashSet<>();
    private final Map<String, Boolean> idempotent = new LinkedHashMap<>();
    /** The latest turn's report_verdict call, if any. */
    private ContentBlock.ToolUse verdictCall;
    /** The latest turn's text, when it called no tool: the final answer to judge. */
    private String finalAnswer;
    private boolean reminded;
    private TaskOutcome outcome;

    TaskLoop(AgentRun run, AgentConfig config, AgentRun.Context ctx, int index, String description, String taskId,
            String prompt, List<String> tools, Instant startedAt) {
        this.run = run;
        this.config = config;
        this.ctx = ctx;
        this.settings = ctx.settings();
        this.index = index;
        this.description = description;
        this.taskId = taskId;
        this.prompt = prompt;
        this.tools = List.copyOf(tools);
        this.startedAt = startedAt;
        messages.add(LlmMessage.user(prompt));
    }

    /** The prompt of a new task, with the tools the token may call. */
    static String prompt(AgentConfig config, AgentRun.Context ctx, int index, int total, String description,
            io.toka.security.SecurityContext token) {
        List<String> names = offered(ctx, token).stream().map(LlmTool::name)
                .filter(n -> !n.equals(VERDICT_TOOL)).toList();
        return Prompts.task(config, index, total, description, maxSteps(config), names,
                ctx.settings().verdictTool());
    }

    private static int maxSteps(AgentConfig config) {
        return config.maxSteps() > 0 ? config.maxSteps() : AgentConfig.DEFAULT_MAX_STEPS;
    }

    /** The tools the token may call, then the built-in ones. */
    static List<LlmTool> offered(AgentRun.Context ctx, io.toka.security.SecurityContext token) {
        List<LlmTool> offered = new ArrayList<>();
        if (token != null) {
            for (RegisteredTool t : ctx.tools().list()) {
                if (AgentPermissions.mayCall(token, t)) {
                    offered.add(new LlmTool(t.name(), t.descriptor().description(), t.descriptor().inputSchema()));
                }
            }
            if (ctx.spawner() != null && token.isPermitted("agent:spawn")) {
                offered.add(new LlmTool(SPAWN_TOOL, "Starts a defined agent as your child: it runs its own tasks with "
                        + "a token narrowed from yours, and is stopped if you are stopped.", SPAWN_SCHEMA));
            }
        }
        if (ctx.settings().verdictTool()) {
            offered.add(new LlmTool(VERDICT_TOOL, "Reports the task's verdict. Call it once, when you are done: "
                    + "only this verdict decides whether the task succeeded.", VERDICT_SCHEMA));
        }
        return offered;
    }

    boolean ended() {
        return outcome != null;
    }

    TaskOutcome outcome() {
        return outcome;
    }

    /** What {@link #run} will do next, for the record of a resumed run. */
    String resumePoint() {
        if (outcome != null) {
            return "task " + index + " has ended";
        }
        ContentBlock.ToolUse next = nextUse();
        if (next != null && inFlight.contains(next.id())) {
            boolean again = Boolean.TRUE.equals(idempotent.get(next.id()));
            return "task " + index + ", step " + steps + ": tool call " + next.name() + " (" + next.id()
                    + ") was in flight; " + (again ? "the tool is idempotent: it is called again"
                            : "the tool is not idempotent: the model is told its result is unknown");
        }
        if (next != null) {
            return "task " + index + ", step " + steps + ": next tool call " + next.name() + " (" + next.id() + ")";
        }
        return "task " + index + ", step " + steps + ": the model is asked for turn " + (steps + 1);
    }

    // ---------------------------------------------------------------- applying recorded steps

    /**
     * Applies one recorded step of this task.
     *
     * @param event the stored event, or null for one just recorded live
     */
    void apply(RunEvents.RunEvent step, Event event) {
        if (step instanceof RunEvents.ModelRequested r) {
            if (r.retry() > 0) {
                attempts++;
            }
        } else if (step instanceof RunEvents.ModelTurn t) {
            List<ContentBlock> content = RunEvents.Block.toContent(t.content());
            steps++;
            run.queueWait(t.queueWaitMs());
            messages.add(new LlmMessage(LlmMessage.Role.ASSISTANT, content));
            List<ContentBlock.ToolUse> calls = new ArrayList<>();
            verdictCall = null;
            for (ContentBlock b : content) {
                if (b instanceof ContentBlock.ToolUse u) {
                    if (u.name().equals(VERDICT_TOOL) && verdictCall == null) {
                        verdictCall = u;
                    } else {
                        calls.add(u);
                    }
                }
            }
            uses = List.copyOf(calls);
            results.clear();
            inFlight.clear();
            finalAnswer = calls.isEmpty() && verdictCall == null ? text(content) : null;
        } else if (step instanceof RunEvents.ToolCalled c) {
            toolCalls++;
            inFlight.add(c.callId());
            idempotent.put(c.callId(), c.idempotent());
        } else if (step instanceof RunEvents.ToolReturned r) {
            inFlight.remove(r.callId());
            results.put(r.callId(), new ContentBlock.ToolResult(r.callId(), r.content(), r.error()));
            switch (r.outcome()) {
                case "success" -> unresolvedFailures.remove(r.tool());
                case "failure" -> {
                    unresolvedFailures.remove(r.tool());
                    unresolvedFailures.put(r.tool(), r.content().startsWith("failed: ")
                            ? r.content().substring("failed: ".length()) : r.content());
                }
                default -> {
                    // refused or unknown: the model was told; no downgrade
                }
            }
            if (allAnswered()) {
                messages.add(new LlmMessage(LlmMessage.Role.USER, orderedResults()));
                uses = List.of();
                verdictCall = null;
            }
        } else if (step instanceof RunEvents.Reminded r) {
            reminded = true;
            finalAnswer = null;
            messages.add(LlmMessage.user(r.text()));
        } else if (step instanceof RunEvents.TaskEnded e) {
            outcome = new TaskOutcome(e.task(), e.success(), e.summary(), e.steps(), e.toolCalls(), e.attempts(),
                    e.durationMs());
        }
    }

    /** Every tool call of the turn has a result, and so does report_verdict if it was refused. */
    private boolean allAnswered() {
        for (ContentBlock.ToolUse u : uses) {
            if (!results.containsKey(u.id())) {
                return false;
            }
        }
        return verdictCall == null || results.containsKey(verdictCall.id());
    }

    private List<ContentBlock> orderedResults() {
        List<ContentBlock> out = new ArrayList<>();
        for (ContentBlock.ToolUse u : uses) {
            out.add(results.get(u.id()));
        }
        if (verdictCall != null && results.containsKey(verdictCall.id())) {
            out.add(results.get(verdictCall.id()));
        }
        return out;
    }

    private ContentBlock.ToolUse nextUse() {
        for (ContentBlock.ToolUse u : uses) {
            if (!results.containsKey(u.id())) {
                return u;
            }
        }
        return null;
    }

    // ---------------------------------------------------------------- the live loop

    /** Records a step that gates an action, then applies it. */
    private void commit(RunEvents.RunEvent step) throws AgentRun.Stopped, RunJournal.NotRecorded {
        try {
            run.journal().commit(step);
        } catch (InterruptedException e) {
            throw run.stopped();
        }
        apply(step, null);
    }

    /** Records a step in the background (the next commit stores it first), then applies it. */
    private void post(RunEvents.RunEvent step) {
        run.journal().post(step);
        apply(step, null);
    }

    /**
     * Runs the task from where its state is: the start, or wherever its journal ended.
     *
     * @throws AgentRun.Stopped if the run must stop (terminated, timed out, or a token is no longer usable)
     * @throws RunJournal.NotRecorded if a step could not be recorded: nothing was done after it
     */
    Result run(TaskToken token) throws AgentRun.Stopped, RunJournal.NotRecorded {
        this.token = token;
        String agent = config.name();
        List<LlmTool> offered = offered(ctx, token.context());
        int maxSteps = maxSteps(config);
        String system = Prompts.system(config);
        while (outcome == null) {
            run.checkpoint(token);
            ContentBlock.ToolUse next = nextUse();
            if (next != null) {
                if (inFlight.contains(next.id())) {
                    resumeInFlight(next);
                } else {
                    call(next);
                }
                continue;
            }
            if (verdictCall != null) {
                reportedVerdict();
                continue;
            }
            if (finalAnswer != null) {
                Verdict v = Verdict.parse(finalAnswer);
                if (v.present()) {
                    end(judge(v.success(), v.summary()));
                } else if (!reminded) {
                    post(new RunEvents.Reminded(agent, run.runId, index, Prompts.reminder(settings.verdictTool())));
                } else {
                    end(new TaskOutcome(description, false, v.summary(), steps, toolCalls, attempts, ms()));
                }
                continue;
            }
            // the model's turn: the reminder grants one turn beyond max_steps
            if (steps >= maxSteps + (reminded ? 1 : 0)) {
                end(failure("max_steps (" + maxSteps + ") reached without a final answer"));
                continue;
            }
            String tooBig = fit(system, messages);
            if (tooBig != null) {
                end(failure(tooBig));
                continue;
            }
            ask(new LlmRequest(agent, system, messages, offered, settings.maxTokens(), settings.temperature(),
                    priority(config)));
        }
        return new Result(outcome);
    }

    private void end(TaskOutcome o) throws AgentRun.Stopped, RunJournal.NotRecorded {
        RunEvents.TaskEnded e = new RunEvents.TaskEnded(config.name(), run.runId, index, o.task(), o.success(),
                o.summary(), o.steps(), o.toolCalls(), o.attempts(), o.durationMs());
        if (taskId != null) {
            // a queued task's token is forgotten once it ends: its end must be stored first
            commit(e);
        } else {
            post(e);
        }
    }

    private TaskOutcome failure(String why) {
        return new TaskOutcome(description, false, why, steps, toolCalls, attempts, ms());
    }

    private TaskOutcome judge(boolean success, String summary) {
        if (success && !unresolvedFailures.isEmpty()) {
            Map.Entry<String, String> f = unresolvedFailures.entrySet().iterator().next();
            success = false;
            summary = "the model reported success (" + summary + "), but the last call of tool '" + f.getKey()
                    + "' failed: " + f.getValue();
        }
        return new TaskOutcome(description, success, summary, steps, toolCalls, attempts, ms());
    }

    /** The model called report_verdict (after the turn's other calls were made). */
    private void reportedVerdict() throws AgentRun.Stopped, RunJournal.NotRecorded {
        ContentBlock.ToolUse u = verdictCall;
        Object v = u.input().get("verdict");
        Object s = u.input().get("summary");
        String verdict = v instanceof String str ? str.trim().toLowerCase(java.util.Locale.ROOT) : null;
        String summary = s instanceof String str ? str.trim() : "";
        if (("success".equals(verdict) || "failure".equals(verdict)) && !summary.isEmpty()) {
            end(judge(verdict.equals("success"), summary));
            return;
        }
        String why = !"success".equals(verdict) && !"failure".equals(verdict)
                ? "\"verdict\" must be \"success\" or \"failure\", not " + (v == null ? "missing" : "'" + v + "'")
                : "\"summary\" must be a non-empty sentence";
        post(new RunEvents.ToolReturned(config.name(), run.runId, index, u.id(), VERDICT_TOOL,
                "refused: invalid verdict: " + why + ". Call " + VERDICT_TOOL + " again with a valid one.", true,
                "refused"));
    }

    // ---------------------------------------------------------------- the model

    /** A failure that ends the task (not the run). */
    private static final class TaskFailure extends Exception {
        private static final long serialVersionUID = 1L;

        TaskFailure(String message) {
            super(message, null, false, false);
        }
    }

    private void ask(LlmRequest request) throws AgentRun.Stopped, RunJournal.NotRecorded {
        String agent = config.name();
        for (int retry = 0;; retry++) {
            run.checkpoint(token);
            // recorded before it is sent; not waited for: a request lost in a crash is sent again, as it would be
            // if it had been stored, and nothing outside Toka happens until the next tool call, which waits
            post(new RunEvents.ModelRequested(agent, run.runId, index, steps + 1, retry));
            // if the model takes a while (a real one does), the writer stores the steps so far, the tool results
            // above all, while it thinks; an answer within the delay costs no commit of its own
            java.util.concurrent.ScheduledFuture<?> handOver = run.journal().durable()
                    ? ctx.watchdog().schedule(run.journal()::handOver, HAND_OVER_MILLIS,
                            java.util.concurrent.TimeUnit.MILLISECONDS)
                    : null;
            LlmResponse r;
            try {
                r = complete(request, retry);
            } catch (TaskFailure f) {
                end(failure(f.getMessage()));
                return;
            } finally {
                if (handOver != null) {
                    handOver.cancel(false);
                }
            }
            if (r == null) {
                continue; // retried after a backoff
            }
            post(new RunEvents.ModelTurn(agent, run.runId, index, steps + 1, RunEvents.Block.of(r.content()),
                    r.stopReason(), r.inputTokens(), r.outputTokens(), r.queueWaitMs()));
            return;
        }
    }

    /** @return the reply, or null after a retryable failure and its backoff */
    private LlmResponse complete(LlmRequest request, int retry) throws AgentRun.Stopped, TaskFailure {
        try {
            LlmResponse r = ctx.llm().complete(request);
            if (r == null) {
                throw new TaskFailure("the LLM gateway returned no reply");
            }
            return r;
        } catch (InterruptedException e) {
            throw run.stopped();
        } catch (LlmException e) {
            boolean retryable = switch (e.reason()) {
                case RATE_LIMITED, PROVIDER, TIMEOUT -> true;
                default -> false;
            };
            if (!retryable || retry >= settings.maxRetries()) {
                throw new TaskFailure("LLM " + e.reason() + ": " + e.getMessage()
                        + (retry > 0 ? " (after " + retry + " retries)" : ""));
            }
            long delay = settings.backoffMillis(retry + 1);
            LOG.info("Agent {}: LLM {} ({}); retry {} of {} in {} ms", config.name(), e.reason(), e.getMessage(),
                    retry + 1, settings.maxRetries(), delay);
            run.sleep(delay);
            return null;
        } catch (RuntimeException e) {
            LOG.warn("Agent {}: the LLM gateway failed", config.name(), e);
            throw new TaskFailure("the LLM gateway failed: " + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : ": " + e.getMessage()));
        }
    }

    // ---------------------------------------------------------------- tools

    private void call(ContentBlock.ToolUse use) throws AgentRun.Stopped, RunJournal.NotRecorded {
        boolean idem = use.name().equals(SPAWN_TOOL) ? false
                : ctx.tools().find(use.name()).map(t -> t.descriptor().idempotent()).orElse(false);
        commit(new RunEvents.ToolCalled(config.name(), run.runId, index, use.id(), use.name(), use.input(), idem));
        returned(use, invoke(use));
    }

    /** A call recorded as made before a restart, with no recorded result. */
    private void resumeInFlight(ContentBlock.ToolUse use) throws AgentRun.Stopped {
        if (Boolean.TRUE.equals(idempotent.get(use.id()))) {
            LOG.info("Agent {} run {}: repeating idempotent tool call {} ({}) that was in flight", config.name(),
                    run.runId, use.name(), use.id());
            returned(use, invoke(use));
        } else {
            returned(use, new Returned(UNKNOWN_RESULT, true, "unknown"));
        }
    }

    private void returned(ContentBlock.ToolUse use, Returned r) {
        post(new RunEvents.ToolReturned(config.name(), run.runId, index, use.id(), use.name(), r.content(), r.error(),
                r.outcome()));
    }

    /** What a call gave back. */
    private record Returned(String content, boolean error, String outcome) {
    }

    private Returned invoke(ContentBlock.ToolUse use) throws AgentRun.Stopped {
        String name = use.name();
        if (name.equals(SPAWN_TOOL)) {
            return spawn(use);
        }
        ToolCallResult r;
        try {
            r = ctx.tools().invoke(name, use.input(), token.context());
        } catch (TokenStateException e) {
            throw run.tokenStopped(e, token);
        } catch (AccessDeniedException | UnknownToolException | InvalidArgumentsException
                | RateLimitExceededException e) {
            return new Returned("refused: " + e.getMessage(), true, "refused");
        } catch (RuntimeException e) {
            LOG.warn("Agent {}: calling tool {} failed", config.name(), name, e);
            return new Returned("failed: tool '" + name + "' could not be called (" + e.getClass().getSimpleName()
                    + ")", true, "failure");
        }
        if (Thread.currentThread().isInterrupted()) {
            // the registry turns an interrupt into a failed result and keeps the flag set
            throw run.stopped();
        }
        String output = r.result().output() == null ? "" : r.result().output();
        if (r.isSuccess()) {
            return new Returned(truncate(output), false, "success");
        }
        return new Returned("failed: " + truncate(output), true, "failure");
    }

    private Returned spawn(ContentBlock.ToolUse use) {
        Object a = use.input().get("agent");
        if (!(a instanceof String child) || child.isBlank()) {
            return new Returned("refused: spawn_agent needs {\"agent\": \"<name of a defined agent>\"}", true,
                    "refused");
        }
        if (ctx.spawner() == null) {
            return new Returned("refused: spawning is not available here", true, "refused");
        }
        return ctx.spawner().spawn(run, token, child.trim())
                .map(refusal -> new Returned("refused: " + refusal, true, "refused"))
                .orElseGet(() -> new Returned("spawned agent '" + child.trim() + "' as your child; it runs its own "
                        + "tasks (see its status), and stops if you are stopped", false, "success"));
    }

    private String truncate(String s) {
        int max = settings.maxToolOutputChars();
        if (s.length() <= max) {
            return s;
        }
        return s.substring(0, max) + "\n[truncated: the first " + max + " of " + s.length() + " characters]";
    }

    // ---------------------------------------------------------------- the prompt limit

    /**
     * Keeps the conversation under the gateway's prompt limit by eliding the oldest tool outputs (the latest round
     * always stays whole). Deterministic: a conversation rebuilt from its journal is elided the same way.
     *
     * @return null if it fits, else why the task cannot go on
     */
    private static String fit(String system, List<LlmMessage> messages) {
        int budget = LlmRequest.MAX_PROMPT_BYTES - PROMPT_MARGIN;
        long size = bytes(system) + messages.stream().mapToLong(TaskLoop::bytes).sum();
        for (int m = 0; size > budget && m < messages.size() - 1; m++) {
            LlmMessage msg = messages.get(m);
            List<ContentBlock> blocks = new ArrayList<>(msg.content());
            boolean changed = false;
            for (int b = 0; b < blocks.size(); b++) {
                if (blocks.get(b) instanceof ContentBlock.ToolResult tr && tr.content().length() > 200) {
                    String elided = "[output elided to stay under the prompt limit: " + tr.content().length()
                            + " characters, already seen]";
                    size -= bytes(tr.content()) - bytes(elided);
                    blocks.set(b, new ContentBlock.ToolResult(tr.toolUseId(), elided, tr.isError()));
                    changed = true;
                }
            }
            if (changed) {
                messages.set(m, new LlmMessage(msg.role(), blocks));
            }
        }
        return size > budget ? "the conversation outgrew the LLM gateway's prompt limit of "
                + LlmRequest.MAX_PROMPT_BYTES + " bytes" : null;
    }

    private static long bytes(LlmMessage m) {
        long n = 0;
        for (ContentBlock b : m.content()) {
            if (b instanceof ContentBlock.Text t) {
                n += bytes(t.text());
            } else if (b instanceof ContentBlock.ToolResult r) {
                n += bytes(r.content());
            } else if (b instanceof ContentBlock.ToolUse u) {
                n += bytes(u.name()) + bytes(String.valueOf(u.input()));
            }
        }
        return n;
    }

    private static long bytes(String s) {
        return s == null ? 0 : s.getBytes(StandardCharsets.UTF_8).length;
    }

    private static String text(List<ContentBlock> content) {
        StringBuilder b = new StringBuilder();
        for (ContentBlock c : content) {
            if (c instanceof ContentBlock.Text t) {
                if (b.length() > 0) {
                    b.append('\n');
                }
                b.append(t.text());
            }
        }
        return b.toString();
    }

    /** The agent's spec.priority orders its model calls in the LLM gateway's queue; none is medium. */
    static LlmRequest.Priority priority(AgentConfig config) {
        AgentConfig.Priority p = config.spec() == null ? null : config.spec().priority();
        return p == null ? LlmRequest.Priority.MEDIUM : LlmRequest.Priority.valueOf(p.name());
    }

    /** Wall time since the task started (across a restart: the time Toka was down included). */
    private long ms() {
        return Math.max(0, Duration.between(startedAt, Instant.now()).toMillis());
    }

    /** The conversation so far, for tests. */
    List<LlmMessage> messages() {
        return List.copyOf(messages);
    }
}
