package io.toka.runtime.internal.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.toka.runtime.registry.ToolCallResult;
import io.toka.security.AuditEvent;
import io.toka.security.RateLimitDecision;
import io.toka.security.RateLimitExceededException;
import io.toka.security.RateLimiter;
import io.toka.security.TokenStateException;
import io.toka.tool.ToolDescriptor;
import io.toka.tool.ToolResult;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * The registry is the one policy point for tool calls: whatever entry point a call comes through, the caller's token
 * is checked live, then the rate limits, then the permissions, before the tool runs.
 */
class ToolRegistryPolicyTest extends RegistryTestSupport {

    /** Allows a fixed number of calls per subject and tool, then refuses; records what it was asked. */
    private static final class CountingLimiter implements RateLimiter {
        final int allowed;
        final List<String> asked = new CopyOnWriteArrayList<>();

        CountingLimiter(int allowed) {
            this.allowed = allowed;
        }

        @Override
        public RateLimitDecision tryAcquire(String subject) {
            throw new AssertionError("the registry limits calls, not requests");
        }

        @Override
        public Optional<RateLimitDecision> tryAcquire(String subject, String tool) {
            throw new AssertionError("the registry limits calls through tryAcquireCall");
        }

        @Override
        public RateLimitDecision tryAcquireCall(String subject, String tool) {
            asked.add(subject + "/" + tool);
            long n = asked.stream().filter(a -> a.equals(subject + "/" + tool)).count();
            return n <= allowed ? new RateLimitDecision(true, allowed, allowed - n, 60, 0)
                    : new RateLimitDecision(false, allowed, 0, 60, 42);
        }
    }

    private final List<AuditEvent> audit = new ArrayList<>();

    private TestTool echo() {
        return new TestTool(ToolDescriptor.builder("echo").build(), inv -> ToolResult.success("ran for " + inv.caller()));
    }

    private void startWith(RateLimiter limiter) {
        registry = new ToolRegistryImpl(osgi.context(), config(64, 256, 0), limiter, audit::add);
    }

    @Test
    void aRevokedCallerIsRefusedBeforeTheRateLimitAndTheToolNeverRuns() {
        TestTool tool = echo();
        registerTool(tool);
        CountingLimiter limiter = new CountingLimiter(10);
        startWith(limiter);
        TestCaller caller = new TestCaller("agent-1", "tool:invoke:*");
        caller.dead = new TokenStateException(TokenStateException.Reason.REVOKED, "id j-1");

        assertThatThrownBy(() -> registry.invoke("echo", Map.of(), caller))
                .isInstanceOf(TokenStateException.class).hasMessage("token revoked: id j-1");
        assertThat(tool.invocations).isEmpty();
        assertThat(limiter.asked).isEmpty();
        assertThat(caller.decisions).singleElement().asString().contains("token revoked");
    }

    @Test
    void rateLimitsHoldForEveryCallerNotOnlyHttp() throws Exception {
        TestTool tool = echo();
        registerTool(tool);
        CountingLimiter limiter = new CountingLimiter(2);
        startWith(limiter);
        TestCaller shellUser = new TestCaller("shell-user", "tool:invoke:*");

        ToolCallResult first = registry.invoke("echo", Map.of(), shellUser);
        registry.invoke("echo", Map.of(), shellUser);
        assertThat(first.rateLimit()).isNotNull();
        assertThat(first.rateLimit().remaining()).isEqualTo(1);

        assertThatThrownBy(() -> registry.invoke("echo", Map.of(), shellUser))
                .isInstanceOfSatisfying(RateLimitExceededException.class,
                        e -> assertThat(e.decision().retryAfterSeconds()).isEqualTo(42))
                .hasMessageContaining("'echo'").hasMessageContaining("'shell-user'");
        assertThat(tool.invocations).hasSize(2);
        assertThat(limiter.asked).containsExactly("shell-user/echo", "shell-user/echo", "shell-user/echo");
        assertThat(audit).singleElement().satisfies(e -> {
            assertThat(e.action()).isEqualTo("ratelimit");
            assertThat(e.outcome()).isEqualTo("denied");
            assertThat(e.subject()).isEqualTo("shell-user");
        });
    }

    @Test
    void theRateLimitComesBeforeThePermissionCheck() {
        registerTool(echo());
        CountingLimiter limiter = new CountingLimiter(0);
        startWith(limiter);
        TestCaller stranger = new TestCaller("stranger");

        assertThatThrownBy(() -> registry.invoke("echo", Map.of(), stranger))
                .isInstanceOf(RateLimitExceededException.class);
        assertThat(stranger.decisions).isEmpty();
    }
}
