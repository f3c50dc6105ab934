package io.toka.orchestration.internal.agent;

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
import io.toka.security.SecurityContext;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One task of a run: a conversation with the model in which every tool call it asks for goes through the registry
 * with the agent's own security context, until it answers without tool calls or runs out of turns.
 *
 * <p>The outcome: the model's final structured {@link Verdict} decides, with one exception: a {@code success}
 * verdict is downgraded to a failure when some tool's latest call ran and failed (a tool error or timeout) and was
 * never followed by a successful call of the same tool. Refusals (a permission, an unknown tool, invalid arguments)
 * never downgrade: the model was told, and a recovery is allowed. No reply text is searched for words like "error".
 *
 * <p>A failed model turn is retried with exponential backoff when the gateway reports {@code RATE_LIMITED},
 * {@code PROVIDER} or {@code TIMEOUT}; the turn is repeated, not the task, so tool calls that already ran (a file
 * write, say) are not run twice. {@code CONFIGURATION}, {@code BLOCKED} and {@code TOO_LARGE} fail the task at once.
 */
final class TaskLoop {

    private static final Logger LOG = LoggerFactory.getLogger(TaskLoop.class);
    /** Room left under the gateway's prompt limit for what this estimate does not count exactly. */
    private static final int PROMPT_MARGIN = 2048;

    /** @param outcome the task's outcome */
    record Result(TaskOutcome outcome) {
    }

    private final AgentRun run;
    private final AgentConfig config;
    private final SecurityContext agent;
    private final AgentRun.Context ctx;
    private final Settings settings;

    private int steps;
    private int toolCalls;
    private int attempts = 1;
    /** Tool name → the message of its latest call, if that call ran and failed. */
    private final Map<String, String> unresolvedFailures = new LinkedHashMap<>();

    TaskLoop(AgentRun run, AgentConfig config, SecurityContext agent, AgentRun.Context ctx) {
        this.run = run;
        this.config = config;
        this.agent = agent;
        this.ctx = ctx;
        this.settings = ctx.settings();
    }

    Result run(int index, int total, String description) throws AgentRun.Stopped {
        long t0 = System.nanoTime();
        List<LlmTool> offered = new ArrayList<>();
        for (RegisteredTool t : ctx.tools().list()) {
            if (AgentPermissions.mayCall(agent, t)) {
                offered.add(new LlmTool(t.name(), t.descriptor().description(), t.descriptor().inputSchema()));
            }
        }
        int maxSteps = config.maxSteps() > 0 ? config.maxSteps() : AgentConfig.DEFAULT_MAX_STEPS;
        String system = Prompts.system(config);
        List<LlmMessage> messages = new ArrayList<>();
        messages.add(LlmMessage.user(Prompts.task(config, index, total, description, maxSteps,
                offered.stream().map(LlmTool::name).toList())));
        String failure;
        while (true) {
            if (steps >= maxSteps) {
                failure = "max_steps (" + maxSteps + ") reached without a final answer";
                break;
            }
            String tooBig = fit(system, messages);
            if (tooBig != null) {
                failure = tooBig;
                break;
            }
            LlmResponse reply;
            try {
                reply = ask(new LlmRequest(config.name(), system, messages, offered, settings.maxTokens(),
                        settings.temperature(), priority(config)));
            } catch (TaskFailure f) {
                failure = f.getMessage();
                break;
            }
            steps++;
            run.queueWait(reply.queueWaitMs());
            messages.add(new LlmMessage(LlmMessage.Role.ASSISTANT, reply.content()));
            List<ContentBlock.ToolUse> uses = reply.toolUses();
            if (uses.isEmpty()) {
                return new Result(judge(description, Verdict.parse(reply.text()), t0));
            }
            List<ContentBlock> results = new ArrayList<>(uses.size());
            for (ContentBlock.ToolUse use : uses) {
                run.checkpoint();
                results.add(call(use));
            }
            messages.add(new LlmMessage(LlmMessage.Role.USER, results));
        }
        return new Result(new TaskOutcome(description, false, failure, steps, toolCalls, attempts, ms(t0)));
    }

    private TaskOutcome judge(String description, Verdict v, long t0) {
        boolean success = v.success();
        String summary = v.summary();
        if (success && !unresolvedFailures.isEmpty()) {
            Map.Entry<String, String> f = unresolvedFailures.entrySet().iterator().next();
            success = false;
            summary = "the model reported success (" + summary + "), but the last call of tool '" + f.getKey()
                    + "' failed: " + f.getValue();
        }
        return new TaskOutcome(description, success, summary, steps, toolCalls, attempts, ms(t0));
    }

    // ---------------------------------------------------------------- the model

    /** A failure that ends the task (not the run). */
    private static final class TaskFailure extends Exception {
        private static final long serialVersionUID = 1L;

        TaskFailure(String message) {
            super(message, null, false, false);
        }
    }

    private LlmResponse ask(LlmRequest request) throws AgentRun.Stopped, TaskFailure {
        for (int retry = 0;; retry++) {
            run.checkpoint();
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
                attempts++;
                run.sleep(delay);
            } catch (RuntimeException e) {
                LOG.warn("Agent {}: the LLM gateway failed", config.name(), e);
                throw new TaskFailure("the LLM gateway failed: " + e.getClass().getSimpleName()
                        + (e.getMessage() == null ? "" : ": " + e.getMessage()));
            }
        }
    }

    // ---------------------------------------------------------------- tools

    private ContentBlock.ToolResult call(ContentBlock.ToolUse use) throws AgentRun.Stopped {
        toolCalls++;
        String name = use.name();
        ToolCallResult r;
        try {
            r = ctx.tools().invoke(name, use.input(), agent);
        } catch (TokenStateException e) {
            throw run.tokenStopped(e);
        } catch (AccessDeniedException | UnknownToolException | InvalidArgumentsException
                | RateLimitExceededException e) {
            return new ContentBlock.ToolResult(use.id(), "refused: " + e.getMessage(), true);
        } catch (RuntimeException e) {
            LOG.warn("Agent {}: calling tool {} failed", config.name(), name, e);
            String msg = "tool '" + name + "' could not be called (" + e.getClass().getSimpleName() + ")";
            unresolvedFailures.put(name, msg);
            return new ContentBlock.ToolResult(use.id(), "failed: " + msg, true);
        }
        if (Thread.currentThread().isInterrupted()) {
            // the registry turns an interrupt into a failed result and keeps the flag set
            throw run.stopped();
        }
        String output = r.result().output() == null ? "" : r.result().output();
        if (r.isSuccess()) {
            unresolvedFailures.remove(name);
            return new ContentBlock.ToolResult(use.id(), truncate(output), false);
        }
        unresolvedFailures.remove(name);
        unresolvedFailures.put(name, output);
        return new ContentBlock.ToolResult(use.id(), "failed: " + truncate(output), true);
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
     * always stays whole).
     *
     * @return null if it fits, else why the task cannot go on
     */
    private String fit(String system, List<LlmMessage> messages) {
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

    /** The agent's spec.priority orders its model calls in the LLM gateway's queue; none is medium. */
    static LlmRequest.Priority priority(AgentConfig config) {
        AgentConfig.Priority p = config.spec() == null ? null : config.spec().priority();
        return p == null ? LlmRequest.Priority.MEDIUM : LlmRequest.Priority.valueOf(p.name());
    }

    private static long ms(long t0) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
    }
}
