package io.toka.llm.internal;

import static io.toka.llm.internal.Gateways.ask;
import static io.toka.llm.internal.Gateways.failure;
import static io.toka.llm.internal.Gateways.fakeConfig;
import static io.toka.llm.internal.Gateways.settings;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.toka.llm.LlmException;
import io.toka.llm.LlmException.Reason;
import io.toka.llm.LlmGateway;
import io.toka.llm.LlmMessage;
import io.toka.llm.LlmRequest;
import io.toka.llm.LlmUsage;
import io.toka.llm.testing.FakeProvider;
import io.toka.llm.testing.FakeProvider.Turn;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Retries, timeouts, rate limits, size caps, usage and interruption. */
class ReliabilityTest {

    private final FakeProvider fake = FakeProvider.start();
    private final Gateways.RecordingSleeper sleeper = new Gateways.RecordingSleeper();
    private LlmGatewayImpl gateway;

    @AfterEach
    void close() {
        if (gateway != null) {
            gateway.deactivate();
        }
        fake.close();
    }

    private LlmGatewayImpl gateway(String provider, Map<String, Object> extra) {
        Map<String, Object> config = fakeConfig(provider, fake.url());
        config.putAll(extra);
        gateway = Gateways.gateway(settings(config, Map.of()), sleeper);
        return gateway;
    }

    @ParameterizedTest
    @ValueSource(strings = {"anthropic", "openai"})
    void a429WithRetryAfterIsRetriedAfterTheWaitItAsks(String provider) throws Exception {
        fake.replyStatus(429, Map.of("Retry-After", "1")).replyText("ok");
        LlmGatewayImpl g = gateway(provider, Map.of("retryMaxMillis", 5000L));
        long start = System.nanoTime();
        assertThat(g.complete(ask("a", "hi")).text()).isEqualTo("ok");
        assertThat(System.nanoTime() - start).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(1000));
        assertThat(sleeper.waits).containsExactly(1000L);
        assertThat(fake.requests()).hasSize(2);
        assertThat(g.usage().get("a")).isEqualTo(new LlmUsage(1, 0, 1, g.usage().get("a").inputTokens(),
                g.usage().get("a").outputTokens()));
    }

    @Test
    void retryAfterIsCappedAtTheMaximumWait() throws Exception {
        fake.replyStatus(429, Map.of("Retry-After", "3600")).replyText("ok");
        assertThat(gateway("anthropic", Map.of()).complete(ask("a", "hi")).text()).isEqualTo("ok");
        assertThat(sleeper.waits).containsExactly(200L);
    }

    @Test
    void serverErrorsAreRetriedWithExponentialBackoff() throws Exception {
        fake.replyStatus(500).replyStatus(529).replyStatus(503).replyText("finally");
        assertThat(gateway("anthropic", Map.of()).complete(ask("a", "hi")).text()).isEqualTo("finally");
        // jitter pinned to its top: base, 2 x base, 4 x base
        assertThat(sleeper.waits).containsExactly(20L, 40L, 80L);
        assertThat(gateway.metrics().retries()).isEqualTo(3);
    }

    @Test
    void aBadRequestIsNotRetried() throws Exception {
        fake.reply(Turn.status(400).body("{\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\","
                + "\"message\":\"max_tokens: too large\"}}"));
        LlmException e = failure(gateway("anthropic", Map.of()), ask("a", "hi"));
        assertThat(e.reason()).isEqualTo(Reason.PROVIDER);
        assertThat(e.getMessage()).isEqualTo("Anthropic API error 400: max_tokens: too large");
        assertThat(fake.requests()).hasSize(1);
        assertThat(sleeper.waits).isEmpty();
    }

    @Test
    void exhaustedRetriesAreAProviderError() throws Exception {
        fake.replyStatus(503).replyStatus(503).replyStatus(503);
        LlmException e = failure(gateway("openai", Map.of("maxRetries", 2)), ask("a", "hi"));
        assertThat(e.reason()).isEqualTo(Reason.PROVIDER);
        assertThat(e.getMessage()).isEqualTo("OpenAI API error 503: fake provider: scripted status 503 "
                + "(after 2 retries)");
        assertThat(fake.requests()).hasSize(3);
        assertThat(gateway.usage().get("a")).isEqualTo(new LlmUsage(0, 1, 2, 0, 0));
    }

    @Test
    void aSlowProviderTimesOut() throws Exception {
        fake.reply(Turn.text("late").delay(Duration.ofSeconds(20)));
        Map<String, Object> config = fakeConfig("anthropic", fake.url());
        config.put("maxRetries", 0);
        gateway = Gateways.gateway(Gateways.withTimeout(settings(config, Map.of()), Duration.ofMillis(300)), sleeper);
        long start = System.nanoTime();
        LlmException e = failure(gateway, ask("a", "hi"));
        assertThat(e.reason()).isEqualTo(Reason.TIMEOUT);
        assertThat(e.getMessage()).isEqualTo("Anthropic did not answer within 300 ms");
        assertThat(System.nanoTime() - start).isLessThan(TimeUnit.SECONDS.toNanos(5));
    }

    @Test
    void aTimeoutIsRetried() throws Exception {
        fake.reply(Turn.text("late").delay(Duration.ofSeconds(20))).replyText("on time");
        Map<String, Object> config = fakeConfig("openai", fake.url());
        gateway = Gateways.gateway(Gateways.withTimeout(settings(config, Map.of()), Duration.ofMillis(300)), sleeper);
        assertThat(gateway.complete(ask("a", "hi")).text()).isEqualTo("on time");
        assertThat(sleeper.waits).hasSize(1);
    }

    @Test
    void anUnreachableProviderIsAProviderErrorAfterTheRetries() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Map<String, Object> config = fakeConfig("anthropic", "http://127.0.0.1:" + port);
        config.put("maxRetries", 1);
        gateway = Gateways.gateway(settings(config, Map.of()), sleeper);
        LlmException e = failure(gateway, ask("a", "hi"));
        assertThat(e.reason()).isEqualTo(Reason.PROVIDER);
        assertThat(e.getMessage()).startsWith("Cannot reach Anthropic at http://127.0.0.1:" + port + ": ")
                .endsWith("(after 1 retry)");
    }

    @Test
    void theRateLimitIsPerAgent() throws Exception {
        fake.replyText("1").replyText("2").replyText("3");
        LlmGatewayImpl g = gateway("anthropic", Map.of("rateLimitPerMinute", 2));
        g.complete(ask("agent-a", "hi"));
        g.complete(ask("agent-a", "hi"));
        LlmException e = failure(g, ask("agent-a", "hi"));
        assertThat(e.reason()).isEqualTo(Reason.RATE_LIMITED);
        assertThat(e.getMessage()).matches("Rate limit exceeded for agent 'agent-a': 2 requests per minute; "
                + "retry in (\\d+) s");
        int seconds = Integer.parseInt(e.getMessage().replaceAll(".*retry in (\\d+) s", "$1"));
        assertThat(seconds).isBetween(1, 30);

        assertThat(g.complete(ask("agent-b", "hi")).text()).isEqualTo("3");
        assertThat(fake.requests()).hasSize(3);
        assertThat(g.metrics().rateLimited()).isEqualTo(1);
        assertThat(g.usage().get("agent-a").failures()).isEqualTo(1);
    }

    @Test
    void aPromptOver32KibIsRefusedBeforeSending() throws Exception {
        String system = "s".repeat(1000);
        String text = "é".repeat((LlmRequest.MAX_PROMPT_BYTES - 1000) / 2) + "x";
        LlmGatewayImpl g = gateway("anthropic", Map.of());
        LlmException e = failure(g, new LlmRequest("a", system, List.of(LlmMessage.user(text)), List.of(), 10, 0));
        assertThat(e.reason()).isEqualTo(Reason.TOO_LARGE);
        assertThat(e.getMessage()).isEqualTo("Prompt too long: 32769 > 32768 bytes");
        assertThat(fake.requests()).isEmpty();

        fake.replyText("fits");
        String fits = "é".repeat((LlmRequest.MAX_PROMPT_BYTES - 1000) / 2);
        assertThat(g.complete(new LlmRequest("a", system, List.of(LlmMessage.user(fits)), List.of(), 10, 0)).text())
                .isEqualTo("fits");
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void aResponseOver1MibIsRefused(boolean chunked) throws Exception {
        byte[] huge = new byte[HttpCaller.MAX_RESPONSE_BYTES + 1];
        Arrays.fill(huge, (byte) ' ');
        huge[0] = '{';
        huge[huge.length - 1] = '}';
        Turn turn = Turn.raw(200, "application/json", huge);
        fake.reply(chunked ? turn.chunked() : turn);
        LlmException e = failure(gateway("anthropic", Map.of()), ask("a", "hi"));
        assertThat(e.reason()).isEqualTo(Reason.TOO_LARGE);
        assertThat(e.getMessage()).isEqualTo("Response too large: more than 1048576 bytes");
        assertThat(fake.requests()).hasSize(1);
    }

    @Test
    void aResponseOfExactly1MibIsRead() throws Exception {
        String reply = "{\"content\":[{\"type\":\"text\",\"text\":\"big\"}],\"stop_reason\":\"end_turn\"}";
        byte[] body = new byte[HttpCaller.MAX_RESPONSE_BYTES];
        Arrays.fill(body, (byte) ' ');
        byte[] json = reply.getBytes(StandardCharsets.UTF_8);
        System.arraycopy(json, 0, body, 0, json.length);
        fake.reply(Turn.raw(200, "application/json", body).chunked());
        assertThat(gateway("anthropic", Map.of()).complete(ask("a", "hi")).text()).isEqualTo("big");
    }

    @Test
    void usageIsCountedPerAgent() throws Exception {
        fake.reply(Turn.text("a1").usage(10, 2)).reply(Turn.text("b1").usage(20, 4))
                .reply(Turn.text("a2").usage(30, 6)).replyStatus(400);
        LlmGatewayImpl g = gateway("openai", Map.of());
        g.complete(ask("alpha", "hi"));
        g.complete(ask("beta", "hi"));
        g.complete(ask("alpha", "hi"));
        failure(g, ask("beta", "hi"));

        assertThat(g.usage()).containsOnlyKeys("alpha", "beta");
        assertThat(g.usage().get("alpha")).isEqualTo(new LlmUsage(2, 0, 0, 40, 8));
        assertThat(g.usage().get("beta")).isEqualTo(new LlmUsage(1, 1, 0, 20, 4));
        LlmGateway.Metrics m = g.metrics();
        assertThat(m.requests()).isEqualTo(4);
        assertThat(m.successes()).isEqualTo(3);
        assertThat(m.failures()).isEqualTo(1);
        assertThat(m.inputTokens()).isEqualTo(60);
        assertThat(m.outputTokens()).isEqualTo(12);
    }

    @Test
    void interruptionDuringARetryWaitEndsTheCallPromptly() throws Exception {
        fake.replyStatus(429, Map.of("Retry-After", "30")).replyText("too late");
        LlmGatewayImpl g = gateway("anthropic", Map.of("retryMaxMillis", 60000L));
        AtomicReference<Thread> caller = new AtomicReference<>();
        CompletableFuture<Throwable> outcome = CompletableFuture.supplyAsync(() -> {
            caller.set(Thread.currentThread());
            try {
                g.complete(ask("a", "hi"));
                return null;
            } catch (Throwable t) {
                return t;
            }
        });
        await().atMost(Duration.ofSeconds(5)).until(() -> !sleeper.waits.isEmpty());
        long start = System.nanoTime();
        caller.get().interrupt();
        assertThat(outcome.get(5, TimeUnit.SECONDS)).isInstanceOf(InterruptedException.class);
        assertThat(System.nanoTime() - start).isLessThan(TimeUnit.SECONDS.toNanos(2));
        assertThat(sleeper.waits).containsExactly(30000L);
        assertThat(fake.requests()).hasSize(1);
    }

    @Test
    void interruptionDuringTheRequestEndsTheCallPromptly() throws Exception {
        fake.reply(Turn.text("slow").delay(Duration.ofSeconds(30)));
        LlmGatewayImpl g = gateway("openai", Map.of());
        Thread current = Thread.currentThread();
        Thread interrupter = new Thread(() -> {
            await().atMost(Duration.ofSeconds(5)).until(() -> fake.requests().size() == 1);
            current.interrupt();
        });
        interrupter.start();
        long start = System.nanoTime();
        try {
            assertThatThrownBy(() -> g.complete(ask("a", "hi"))).isInstanceOf(InterruptedException.class);
            assertThat(System.nanoTime() - start).isLessThan(TimeUnit.SECONDS.toNanos(10));
        } finally {
            interrupter.join();
            Thread.interrupted();
        }
    }

    @Test
    void aStoppedGatewayRefusesAndStopsTwiceHarmlessly() throws Exception {
        LlmGatewayImpl g = gateway("anthropic", Map.of());
        g.deactivate();
        g.deactivate();
        LlmException e = failure(g, ask("a", "hi"));
        assertThat(e.reason()).isEqualTo(Reason.CONFIGURATION);
        assertThat(fake.requests()).isEmpty();
    }
}
