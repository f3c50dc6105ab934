package io.toka.runtime.internal.execution;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.toka.runtime.execution.ExecutionEngine.EngineResult;
import io.toka.runtime.execution.ExecutionException;
import io.toka.runtime.execution.ExecutionException.Reason;
import io.toka.runtime.execution.ExecutionLimits;
import io.toka.runtime.execution.ExecutionResult;
import io.toka.runtime.execution.ExecutionResult.ResourceUsage;
import io.toka.runtime.execution.RuntimeManager.EngineInfo;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The per-engine concurrency cap, its queue and the watchdog that bounds every caller's wait. */
class RuntimeManagerConcurrencyTest extends ExecutionTestSupport {

    private final CountDownLatch release = new CountDownLatch(1);
    private final List<Object> started = new CopyOnWriteArrayList<>();

    /** Records that it started (with its input "n"), then blocks until the test releases it. */
    private final TestEngine blocking = new TestEngine("block", "1").running((p, call) -> {
        started.add(call.inputs().get("n"));
        if (!release.await(20, TimeUnit.SECONDS)) {
            return new EngineResult(false, null, "never released", null, ResourceUsage.UNKNOWN);
        }
        return new EngineResult(true, "done " + call.inputs().get("n"), null, 0, ResourceUsage.UNKNOWN);
    });

    @AfterEach
    void releaseBlocked() {
        release.countDown();
    }

    private Future<ExecutionResult> submit(int n) {
        return inBackground(() -> code("block", "x", Map.of("n", n), ExecutionLimits.DEFAULT, ANYONE));
    }

    private EngineInfo info(String language) {
        return manager.engines().stream().filter(e -> e.language().equals(language)).findFirst().orElseThrow();
    }

    @Test
    void excessRequestsQueueAndRunInArrivalOrder() throws Exception {
        register(blocking);
        register(new TestEngine("echo", "1"));
        start(new TestConfig().concurrency("block=1"));
        assertThat(info("block").maxConcurrent()).isEqualTo(1);
        assertThat(info("echo").maxConcurrent()).as("the default cap").isEqualTo(4);

        Future<ExecutionResult> first = submit(1);
        await().atMost(Duration.ofSeconds(5)).until(() -> started.size() == 1);
        Future<ExecutionResult> second = submit(2);
        await().atMost(Duration.ofSeconds(5)).until(() -> info("block").queued() == 1);
        Future<ExecutionResult> third = submit(3);
        await().atMost(Duration.ofSeconds(5)).until(() -> info("block").queued() == 2);
        assertThat(info("block")).isEqualTo(new EngineInfo("block", "1", 1, 1, 2));
        assertThat(started).containsExactly(1);
        // another language is not held up by this one's queue
        assertThat(code("echo", "y").success()).isTrue();

        release.countDown();
        assertThat(first.get(5, TimeUnit.SECONDS).output()).isEqualTo("done 1");
        assertThat(second.get(5, TimeUnit.SECONDS).output()).isEqualTo("done 2");
        assertThat(third.get(5, TimeUnit.SECONDS).output()).isEqualTo("done 3");
        assertThat(started).containsExactly(1, 2, 3);
        await().atMost(Duration.ofSeconds(5)).until(() -> info("block").running() == 0);
    }

    @Test
    void aRequestThatWaitsItsWholeQueueTimeoutIsRefusedAsBusy() throws Exception {
        register(blocking);
        start(new TestConfig().concurrency("block=2").queueTimeoutMillis(300));
        Future<ExecutionResult> a = submit(1);
        Future<ExecutionResult> b = submit(2);
        await().atMost(Duration.ofSeconds(5)).until(() -> started.size() == 2);

        long t0 = System.nanoTime();
        assertThatThrownBy(() -> code("block", "x", Map.of("n", 3), ExecutionLimits.DEFAULT, ANYONE))
                .isInstanceOfSatisfying(ExecutionException.class, e -> assertThat(e.reason()).isEqualTo(Reason.BUSY))
                .hasMessage("engine 'block' is busy: 2 running, 0 waiting; try again later");
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isGreaterThanOrEqualTo(Duration.ofMillis(290));
        assertThat(started).containsExactlyInAnyOrder(1, 2);
        assertThat(manager.history(10)).as("a refusal is not an execution").isEmpty();

        release.countDown();
        assertThat(a.get(5, TimeUnit.SECONDS).success()).isTrue();
        assertThat(b.get(5, TimeUnit.SECONDS).success()).isTrue();
        // the slots are free again
        assertThat(code("block", "x", Map.of("n", 4), ExecutionLimits.DEFAULT, ANYONE).output()).isEqualTo("done 4");
    }

    @Test
    void theWatchdogInterruptsAnEngineThatOverrunsItsDeadline() throws Exception {
        AtomicBoolean interrupted = new AtomicBoolean();
        TestEngine sleepy = new TestEngine("sleepy", "1").running((p, call) -> {
            try {
                // ignores call.deadline(), as a buggy engine would: blocks until something interrupts it
                new java.util.concurrent.CountDownLatch(1).await();
                return new EngineResult(true, "woke", null, 0, ResourceUsage.UNKNOWN);
            } catch (InterruptedException e) {
                interrupted.set(true);
                throw e;
            }
        });
        register(sleepy);
        start(new TestConfig().watchdogGraceMillis(200));

        long t0 = System.nanoTime();
        ExecutionResult r = code("sleepy", "x", Map.of(), new ExecutionLimits(Duration.ofSeconds(1), 0, 0), ANYONE);

        Duration took = Duration.ofNanos(System.nanoTime() - t0);
        assertThat(r.success()).isFalse();
        assertThat(r.error()).isEqualTo("timed out after 1 s");
        assertThat(interrupted).isTrue();
        assertThat(took).isBetween(Duration.ofMillis(1100), Duration.ofSeconds(4));
        await().atMost(Duration.ofSeconds(5)).until(() -> info("sleepy").running() == 0);
        assertThat(manager.history(1).get(0).result().error()).isEqualTo("timed out after 1 s");
    }

    @Test
    void anEngineThatIgnoresInterruptionCannotHoldTheCallerButKeepsItsSlot() throws Exception {
        CountDownLatch stop = new CountDownLatch(1);
        TestEngine stubborn = new TestEngine("stubborn", "1").running((p, call) -> {
            while (true) {
                try {
                    if (stop.await(10, TimeUnit.SECONDS)) {
                        return new EngineResult(true, "finally", null, 0, ResourceUsage.UNKNOWN);
                    }
                } catch (InterruptedException swallowed) {
                    // a badly written engine: goes on regardless
                }
            }
        });
        register(stubborn);
        start(new TestConfig().concurrency("stubborn=1").queueTimeoutMillis(100).watchdogGraceMillis(200));

        try {
            long t0 = System.nanoTime();
            ExecutionResult r = code("stubborn", "x", Map.of(), new ExecutionLimits(Duration.ofSeconds(1), 0, 0),
                    ANYONE);
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(4));
            assertThat(r.error()).isEqualTo("timed out after 1 s");
            // the runaway still occupies its engine's only slot, so the cap still protects the machine
            assertThat(info("stubborn").running()).isEqualTo(1);
            assertThatThrownBy(() -> code("stubborn", "y")).isInstanceOfSatisfying(ExecutionException.class,
                    e -> assertThat(e.reason()).isEqualTo(Reason.BUSY));
        } finally {
            stop.countDown();
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> info("stubborn").running() == 0);
    }

    @Test
    void aCallerInterruptedWhileWaitingGetsInterruptedException() throws Exception {
        register(blocking);
        start(new TestConfig());
        CompletableFuture<Throwable> outcome = new CompletableFuture<>();
        Thread caller = new Thread(() -> {
            try {
                code("block", "x", Map.of("n", 1), ExecutionLimits.DEFAULT, ANYONE);
                outcome.complete(null);
            } catch (Throwable e) {
                outcome.complete(e);
            }
        });
        caller.start();
        await().atMost(Duration.ofSeconds(5)).until(() -> started.size() == 1);

        caller.interrupt();
        assertThat(outcome.get(5, TimeUnit.SECONDS)).isInstanceOf(InterruptedException.class);
        // the engine's thread was interrupted too, so its slot comes back without the release
        await().atMost(Duration.ofSeconds(5)).until(() -> info("block").running() == 0);
    }
}
