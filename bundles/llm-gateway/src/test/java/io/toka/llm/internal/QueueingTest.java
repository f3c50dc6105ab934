package io.toka.llm.internal;

import static io.toka.llm.internal.Gateways.ask;
import static io.toka.llm.internal.Gateways.fakeConfig;
import static io.toka.llm.internal.Gateways.settings;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.toka.llm.LlmException;
import io.toka.llm.LlmException.Reason;
import io.toka.llm.LlmGateway.QueueStats;
import io.toka.llm.LlmRequest.Priority;
import io.toka.llm.LlmResponse;
import io.toka.llm.testing.FakeProvider;
import io.toka.llm.testing.FakeProvider.Turn;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The gateway's queue end to end against the fake provider, with a cap of 1: the priority and the wait reach the
 * reply and the stats, a failed call frees its slot, an interrupted queued call leaves without reaching the provider,
 * and stopping the gateway fails what still queues. The queue's clock is the test's; the provider is held on a latch.
 */
class QueueingTest {

    private final FakeProvider fake = FakeProvider.start();
    private final AtomicLong clock = new AtomicLong(5_000_000_000L);
    private final CountDownLatch hold = new CountDownLatch(1);
    private LlmGatewayImpl gateway;

    @AfterEach
    void close() {
        hold.countDown();
        if (gateway != null) {
            gateway.deactivate();
        }
        fake.close();
    }

    private static ConditionFactory soon() {
        return await().atMost(Duration.ofSeconds(10)).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(2));
    }

    private LlmGatewayImpl gateway(int maxRetries) {
        Map<String, Object> config = new HashMap<>(fakeConfig("openai", fake.url()));
        config.put("maxConcurrent", 1);
        config.put("maxRetries", maxRetries);
        Settings s = settings(config, Map.of());
        gateway = new LlmGatewayImpl(s, millis -> { }, bound -> bound,
                new ModelScheduler(s.maxConcurrent(), s.agingMillis(), clock::get));
        return gateway;
    }

    /** A turn the provider answers only once the test lets it. */
    private Turn held(Turn turn) {
        return turn.expect(r -> {
            try {
                hold.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
    }

    private CompletableFuture<LlmResponse> inBackground(String agent, Priority priority, Thread[] thread) {
        CompletableFuture<LlmResponse> f = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                f.complete(gateway.complete(ask(agent, "hi").withPriority(priority)));
            } catch (Throwable e) {
                f.completeExceptionally(e);
            }
        }, "caller-" + agent);
        t.setDaemon(true);
        if (thread != null) {
            thread[0] = t;
        }
        t.start();
        return f;
    }

    private static Throwable failure(CompletableFuture<?> f) throws Exception {
        try {
            f.get(10, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            return e.getCause();
        }
        throw new AssertionError("expected a failure");
    }

    @Test
    void theQueueWaitAndThePriorityShowInTheReplyAndTheStats() throws Exception {
        fake.reply(held(Turn.text("first"))).replyText("second");
        gateway(0);
        CompletableFuture<LlmResponse> first = inBackground("a", Priority.LOW, null);
        soon().until(() -> fake.requests().size() == 1);
        CompletableFuture<LlmResponse> second = inBackground("b", Priority.CRITICAL, null);
        soon().until(() -> gateway.queueStats().queued() == 1);
        QueueStats waiting = gateway.queueStats();
        assertThat(waiting.provider()).isEqualTo("openai");
        assertThat(waiting.maxConcurrent()).isEqualTo(1);
        assertThat(waiting.inFlight()).isEqualTo(1);
        assertThat(waiting.priorities().get(Priority.CRITICAL).queued()).isEqualTo(1);
        clock.addAndGet(TimeUnit.MILLISECONDS.toNanos(250));
        hold.countDown();
        LlmResponse a = first.get(10, TimeUnit.SECONDS);
        LlmResponse b = second.get(10, TimeUnit.SECONDS);
        assertThat(a.text()).isEqualTo("first");
        assertThat(a.queueWaitMs()).isZero();
        assertThat(b.text()).isEqualTo("second");
        assertThat(b.queueWaitMs()).isEqualTo(250);
        QueueStats done = gateway.queueStats();
        assertThat(done.inFlight()).isZero();
        assertThat(done.queued()).isZero();
        assertThat(done.priorities().get(Priority.CRITICAL).granted()).isEqualTo(1);
        assertThat(done.priorities().get(Priority.CRITICAL).maxMillis()).isEqualTo(250.0);
        assertThat(done.priorities().get(Priority.LOW).granted()).isEqualTo(1);
        assertThat(done.priorities().get(Priority.LOW).maxMillis()).isZero();
    }

    @Test
    void aFailedProviderCallFreesItsSlotForTheNextInLine() throws Exception {
        fake.reply(held(Turn.status(500))).replyText("next");
        gateway(0);
        CompletableFuture<LlmResponse> failing = inBackground("a", Priority.HIGH, null);
        soon().until(() -> fake.requests().size() == 1);
        CompletableFuture<LlmResponse> next = inBackground("b", Priority.LOW, null);
        soon().until(() -> gateway.queueStats().queued() == 1);
        hold.countDown();
        Throwable e = failure(failing);
        assertThat(e).isInstanceOf(LlmException.class);
        assertThat(((LlmException) e).reason()).isEqualTo(Reason.PROVIDER);
        assertThat(next.get(10, TimeUnit.SECONDS).text()).isEqualTo("next");
        assertThat(gateway.queueStats().inFlight()).isZero();
        fake.replyText("again");
        LlmResponse again = gateway.complete(ask("c", "hi"));
        assertThat(again.text()).isEqualTo("again");
        assertThat(again.queueWaitMs()).isZero();
    }

    @Test
    void aQueuedCallWhoseThreadIsInterruptedLeavesTheQueueWithoutReachingTheProvider() throws Exception {
        fake.reply(held(Turn.text("first"))).replyText("third");
        gateway(0);
        CompletableFuture<LlmResponse> first = inBackground("a", Priority.LOW, null);
        soon().until(() -> fake.requests().size() == 1);
        Thread[] queued = new Thread[1];
        CompletableFuture<LlmResponse> second = inBackground("b", Priority.CRITICAL, queued);
        soon().until(() -> gateway.queueStats().queued() == 1);
        queued[0].interrupt();
        assertThat(failure(second)).isInstanceOf(InterruptedException.class);
        QueueStats s = gateway.queueStats();
        assertThat(s.queued()).isZero();
        assertThat(s.cancelled()).isEqualTo(1);
        assertThat(s.inFlight()).isEqualTo(1);
        assertThat(gateway.usage().get("b").failures()).isEqualTo(1);
        hold.countDown();
        assertThat(first.get(10, TimeUnit.SECONDS).text()).isEqualTo("first");
        assertThat(gateway.complete(ask("c", "hi")).text()).isEqualTo("third");
        assertThat(fake.requests()).hasSize(2);
        assertThat(fake.problems()).isEmpty();
        assertThat(gateway.queueStats().inFlight()).isZero();
    }

    @Test
    void stoppingTheGatewayFailsTheCallsStillQueued() throws Exception {
        fake.reply(held(Turn.text("first")));
        gateway(0);
        inBackground("a", Priority.LOW, null);
        soon().until(() -> fake.requests().size() == 1);
        CompletableFuture<LlmResponse> queued = inBackground("b", Priority.HIGH, null);
        soon().until(() -> gateway.queueStats().queued() == 1);
        gateway.deactivate();
        Throwable e = failure(queued);
        assertThat(e).isInstanceOf(LlmException.class).hasMessage("The LLM gateway is stopped");
        assertThat(((LlmException) e).reason()).isEqualTo(Reason.CONFIGURATION);
        assertThat(gateway.queueStats().queued()).isZero();
    }
}
