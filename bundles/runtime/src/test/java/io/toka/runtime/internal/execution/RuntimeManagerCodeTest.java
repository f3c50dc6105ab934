package io.toka.runtime.internal.execution;

import io.toka.runtime.internal.registry.TestCaller;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.toka.event.Event;
import io.toka.event.Events;
import io.toka.runtime.execution.ExecutionEngine.CodeException;
import io.toka.runtime.execution.ExecutionEngine.EngineResult;
import io.toka.runtime.execution.ExecutionException;
import io.toka.runtime.execution.ExecutionException.Reason;
import io.toka.runtime.execution.ExecutionLimits;
import io.toka.runtime.execution.ExecutionModel;
import io.toka.runtime.execution.ExecutionRecord;
import io.toka.runtime.execution.ExecutionRequest;
import io.toka.runtime.execution.ExecutionResult;
import io.toka.runtime.execution.ExecutionResult.ResourceUsage;
import io.toka.runtime.execution.RuntimeManager;
import io.toka.runtime.execution.RuntimeManager.EngineInfo;
import io.toka.security.AccessDeniedException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceRegistration;

/** Dispatching code to engines: permissions, refusals, limits, the prepared-code cache, history and events. */
class RuntimeManagerCodeTest extends ExecutionTestSupport {

    private final TestEngine echo = new TestEngine("echo", "Echo 1.0");

    @Test
    void runsCodeOnTheEngineOfItsLanguageWithTheDefaultLimits() throws Exception {
        register(echo);
        start(new TestConfig());

        Instant before = Instant.now();
        ExecutionResult r = code("echo", "hello", Map.of("x", 1), ExecutionLimits.DEFAULT, ANYONE);

        assertThat(r.success()).isTrue();
        assertThat(r.output()).isEqualTo("prepared(hello):{x=1}");
        assertThat(r.id()).isEqualTo("exec-1");
        assertThat(r.engine()).isEqualTo("echo");
        assertThat(r.engineVersion()).isEqualTo("Echo 1.0");
        assertThat(r.exitCode()).isZero();
        assertThat(r.resourceUsage()).isEqualTo(new ResourceUsage(1234, 5));
        assertThat(r.durationMs()).isNotNegative();
        var call = echo.calls.get(0);
        assertThat(call.timeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(call.deadline()).isBetween(before.plusSeconds(30), Instant.now().plusSeconds(30));
        assertThat(call.memoryBytes()).isEqualTo(256L << 20);
        assertThat(call.maxOutputBytes()).isEqualTo(1L << 20);
        assertThat(call.inputs()).isEqualTo(Map.of("x", 1));
        assertThat(ANYONE.decisions).contains("allowed code.execute:echo");
    }

    @Test
    void requestedLimitsAreCappedByTheConfiguredMaxima() throws Exception {
        register(echo);
        start(new TestConfig());

        code("echo", "a", Map.of(), new ExecutionLimits(Duration.ofHours(1), 1L << 40, 1L << 30), ANYONE);
        code("echo", "a", Map.of(), new ExecutionLimits(Duration.ofSeconds(2), 64L << 20, 1000), ANYONE);

        assertThat(echo.calls.get(0).timeout()).isEqualTo(Duration.ofSeconds(300));
        assertThat(echo.calls.get(0).memoryBytes()).isEqualTo(2048L << 20);
        assertThat(echo.calls.get(0).maxOutputBytes()).isEqualTo(1L << 20);
        assertThat(echo.calls.get(1).timeout()).isEqualTo(Duration.ofSeconds(2));
        assertThat(echo.calls.get(1).memoryBytes()).isEqualTo(64L << 20);
        assertThat(echo.calls.get(1).maxOutputBytes()).isEqualTo(1000);

        assertThatThrownBy(() -> code("echo", "a", Map.of(), new ExecutionLimits(Duration.ofSeconds(-1), 0, 0), ANYONE))
                .isInstanceOfSatisfying(ExecutionException.class, e -> assertThat(e.reason()).isEqualTo(Reason.INVALID))
                .hasMessageContaining("timeout must be positive");
    }

    @Test
    void aCallerWithoutTheLanguagePermissionIsRefusedBeforeAnythingRuns() throws Exception {
        register(echo);
        start(new TestConfig());
        TestCaller pythonOnly = new TestCaller("bob", "code:execute:python");

        assertThatThrownBy(() -> code("echo", "x", Map.of(), ExecutionLimits.DEFAULT, pythonOnly))
                .isInstanceOf(AccessDeniedException.class).hasMessageContaining("code:execute:echo");
        assertThat(pythonOnly.decisions).containsExactly("denied code.execute:echo code:execute:echo");
        assertThat(echo.prepares).hasValue(0);
        assertThat(echo.calls).isEmpty();
        assertThat(manager.history(10)).isEmpty();

        // the permission checked is the language's own: code:execute:* covers it, code:execute:python does not
        TestCaller allCode = new TestCaller("carol", "code:execute:*");
        assertThat(code("echo", "x", Map.of(), ExecutionLimits.DEFAULT, allCode).success()).isTrue();
        // even an unknown language needs its permission first, so callers cannot probe what is installed
        assertThatThrownBy(() -> code("cobol", "x", Map.of(), ExecutionLimits.DEFAULT, pythonOnly))
                .isInstanceOf(AccessDeniedException.class);
    }

    @Test
    void codeOverOneMebibyteIsRefused() throws Exception {
        register(echo);
        start(new TestConfig());

        String exactly = "a".repeat(RuntimeManager.MAX_CODE_BYTES);
        assertThat(code("echo", exactly).success()).isTrue();

        // 2 bytes per character in UTF-8: half as many characters are already over
        String wide = "é".repeat(RuntimeManager.MAX_CODE_BYTES / 2 + 1);
        assertThatThrownBy(() -> code("echo", wide))
                .isInstanceOfSatisfying(ExecutionException.class, e -> assertThat(e.reason()).isEqualTo(Reason.INVALID))
                .hasMessage("code is 1048578 bytes, over the limit of 1048576");
        assertThat(echo.prepares).hasValue(1);
    }

    @Test
    void anUnknownLanguageIsRefusedNamingTheInstalledOnes() throws Exception {
        register(echo);
        register(new TestEngine("python", "Python 3"));
        start(new TestConfig());

        assertThatThrownBy(() -> code("cobol", "x"))
                .isInstanceOfSatisfying(ExecutionException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.UNSUPPORTED))
                .hasMessage("no engine for language 'cobol'; installed: echo, python");
        assertThatThrownBy(() -> code("Py thon", "x"))
                .isInstanceOfSatisfying(ExecutionException.class, e -> assertThat(e.reason()).isEqualTo(Reason.INVALID))
                .hasMessageContaining("'Py thon' is not a language name");
        assertThat(manager.history(10)).isEmpty();
    }

    @Test
    void enginesComeAndGoLiveAndTheBestRankedWins() throws Exception {
        start(new TestConfig());
        assertThatThrownBy(() -> code("echo", "x")).hasMessage("no engine for language 'echo'; installed: none");

        ServiceRegistration<?> first = register(echo);
        assertThat(code("echo", "x").engineVersion()).isEqualTo("Echo 1.0");

        TestEngine newer = new TestEngine("echo", "Echo 2.0");
        ServiceRegistration<?> second = register(newer);
        assertThat(code("echo", "x").engineVersion()).as("newer wins at equal ranking").isEqualTo("Echo 2.0");

        first.setProperties(new java.util.Hashtable<>(Map.of("toka.engine.language", "echo",
                Constants.SERVICE_RANKING, 10)));
        assertThat(code("echo", "x").engineVersion()).as("higher ranking wins").isEqualTo("Echo 1.0");
        assertThat(manager.engines()).containsExactly(new EngineInfo("echo", "Echo 1.0", 4, 0, 0));

        first.unregister();
        assertThat(code("echo", "x").engineVersion()).isEqualTo("Echo 2.0");
        second.unregister();
        assertThat(manager.engines()).isEmpty();
    }

    @Test
    void preparedCodeIsCachedBySha256AndTheLeastRecentlyUsedIsEvicted() throws Exception {
        register(echo);
        start(new TestConfig().cacheEntries(2));

        code("echo", "A");
        code("echo", "A");
        assertThat(echo.prepares).as("second run of the same code is a cache hit").hasValue(1);
        assertThat(echo.calls).hasSize(2);

        code("echo", "B");
        code("echo", "A"); // hit: A becomes the most recently used
        code("echo", "C"); // evicts B, the least recently used
        code("echo", "A"); // still cached
        code("echo", "B"); // prepared again
        assertThat(echo.prepared).containsExactly("A", "B", "C", "B");
        assertThat(manager.cachedEntries()).isEqualTo(2);
    }

    @Test
    void anEngineThatGoesAwayTakesItsPreparedCodeWithIt() throws Exception {
        ServiceRegistration<?> reg = register(echo);
        start(new TestConfig());
        code("echo", "A");
        assertThat(manager.cachedEntries()).isEqualTo(1);

        reg.unregister();
        assertThat(manager.cachedEntries()).isZero();

        TestEngine replacement = new TestEngine("echo", "Echo 2.0");
        register(replacement);
        assertThat(code("echo", "A").output()).isEqualTo("prepared(A):{}");
        assertThat(replacement.prepares).as("the new engine prepares its own").hasValue(1);
    }

    @Test
    void aSyntaxErrorIsAFailedResultWithTheEnginesMessageAndLineAndIsNotCached() throws Exception {
        echo.preparing(code -> {
            throw new CodeException("SyntaxError: missing ) after argument list", 3);
        });
        register(echo);
        start(new TestConfig());

        ExecutionResult r = code("echo", "f(");
        assertThat(r.success()).isFalse();
        assertThat(r.error()).isEqualTo("SyntaxError: missing ) after argument list (line 3)");
        assertThat(r.output()).isNull();
        assertThat(echo.calls).isEmpty();

        code("echo", "f(");
        assertThat(echo.prepares).as("failures are not cached").hasValue(2);
        assertThat(manager.history(10)).hasSize(2);
    }

    @Test
    void runtimeErrorsAndEngineBugsBecomeFailedResults() throws Exception {
        TestEngine failing = new TestEngine("failing", "1").running((p, call) -> {
            throw new CodeException("TypeError: x is undefined", 7);
        });
        TestEngine buggy = new TestEngine("buggy", "1").running((p, call) -> {
            throw new IllegalStateException("engine bug with internal detail");
        });
        TestEngine silent = new TestEngine("silent", "1").running((p, call) -> null);
        register(failing);
        register(buggy);
        register(silent);
        start(new TestConfig());

        assertThat(code("failing", "x").error()).isEqualTo("TypeError: x is undefined (line 7)");
        ExecutionResult bug = code("buggy", "x");
        assertThat(bug.success()).isFalse();
        assertThat(bug.error()).startsWith("engine 'buggy' failed with an internal error (reference ")
                .doesNotContain("internal detail");
        assertThat(code("silent", "x").error()).isEqualTo("engine 'silent' returned no result");
    }

    @Test
    void historyIsBoundedAndNewestFirst() throws Exception {
        register(echo);
        start(new TestConfig().historySize(3));

        for (int i = 1; i <= 5; i++) {
            code("echo", "code " + i);
        }

        List<ExecutionRecord> h = manager.history(10);
        assertThat(h).extracting(rec -> rec.result().id()).containsExactly("exec-5", "exec-4", "exec-3");
        assertThat(manager.history(1)).extracting(rec -> rec.result().id()).containsExactly("exec-5");
        ExecutionRecord newest = h.get(0);
        assertThat(newest.model()).isEqualTo("code");
        assertThat(newest.target()).isEqualTo("echo");
        assertThat(newest.subject()).isEqualTo("alice");
        assertThat(newest.codeSha256()).isEqualTo(RuntimeManagerImpl.sha256("echo\0code 5")).hasSize(64);
        assertThat(newest.result().output()).isEqualTo("prepared(code 5):{}");
        assertThatThrownBy(() -> manager.history(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("limit must be 1-1000, not 0");
    }

    @Test
    void everyExecutionIsPostedToTheKernelAsACodeExecutedEvent() throws Exception {
        register(echo);
        start(new TestConfig());
        code("echo", "before the kernel");
        RecordingKernel kernel = new RecordingKernel();
        manager.bindKernel(kernel);

        code("echo", "A");
        echo.running((p, call) -> new EngineResult(false, "", "boom", 2, ResourceUsage.UNKNOWN));
        code("echo", "B");

        assertThat(kernel.posted).containsExactly(
                new CodeExecuted("exec-2", "code", "echo", "echo", "alice", true,
                        ((CodeExecuted) kernel.posted.get(0)).durationMs(), RuntimeManagerImpl.sha256("echo\0A")),
                new CodeExecuted("exec-3", "code", "echo", "echo", "alice", false,
                        ((CodeExecuted) kernel.posted.get(1)).durationMs(), RuntimeManagerImpl.sha256("echo\0B")));
        Event e = kernel.events.get(0);
        assertThat(e.kind()).isEqualTo("code.executed");
        assertThat(e.subject()).isEqualTo("alice");
        assertThat(e.payload()).contains("\"codeSha256\":\"" + RuntimeManagerImpl.sha256("echo\0A") + "\"")
                .contains("\"success\":true").contains("\"model\":\"code\"");
        assertThat(Events.payload(e)).as("not a built-in kind").isEmpty();

        manager.unbindKernel(kernel);
        code("echo", "C");
        assertThat(kernel.posted).hasSize(2);
    }

    @Test
    void agentWorkflowsAreRefusedUntilAnAgentEngineIsInstalled() throws Exception {
        start(new TestConfig());
        ExecutionRequest agent = new ExecutionRequest(new ExecutionModel.AgentWorkflow(Map.of("name", "helper")),
                ANYONE, null);

        assertThatThrownBy(() -> manager.execute(agent))
                .isInstanceOfSatisfying(ExecutionException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.UNSUPPORTED))
                .hasMessage("agent workflows need the agents bundle (feature toka-agents), which is not installed");
        assertThatThrownBy(() -> manager.execute(new ExecutionRequest(agent.model(), new TestCaller("bob"), null)))
                .isInstanceOf(AccessDeniedException.class).hasMessageContaining("agent:define");
        // a workflow defines the agent before running it: agent:run alone must not be enough to (re)define one
        assertThatThrownBy(() -> manager.execute(new ExecutionRequest(agent.model(),
                new TestCaller("runner", "agent:run"), null)))
                .isInstanceOf(AccessDeniedException.class).hasMessageContaining("agent:define");

        TestEngine agents = new TestEngine(RuntimeManagerImpl.AGENT_WORKFLOW, "agents 0.1");
        register(agents);
        ExecutionResult r = manager.execute(agent);
        assertThat(r.success()).isTrue();
        assertThat(agents.prepared).containsExactly("{\"name\":\"helper\"}");
        assertThat(manager.history(1).get(0)).extracting(ExecutionRecord::model, ExecutionRecord::target)
                .containsExactly("agent", "helper");
        // the agent engine is not a language callers can pick
        assertThatThrownBy(() -> code(RuntimeManagerImpl.AGENT_WORKFLOW, "{}"))
                .hasMessage("no engine for language 'agent-workflow'; installed: none");
    }

    @Test
    void badConfigurationIsRejectedAtActivation() {
        TestConfig tooMuchHistory = new TestConfig().historySize(1001);
        assertThatThrownBy(() -> start(tooMuchHistory)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("historySize must be 1-1000, not 1001");
        assertThatThrownBy(() -> start(new TestConfig().concurrency("python=2,javascript=x")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("concurrency entry 'javascript=x' must be language=n");
        manager = null;
    }
}
