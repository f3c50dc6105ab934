package io.toka.runtime.internal.registry;

import static org.assertj.core.api.Assertions.assertThat;

import io.toka.runtime.registry.CallOptions;
import io.toka.runtime.registry.CancellationSignal;
import io.toka.runtime.registry.ToolCallResult;
import io.toka.runtime.registry.ToolCallResult.Status;
import io.toka.tool.CallObserver;
import io.toka.tool.ToolResult;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Quick tools run on the caller's thread ({@link CallPace}): the same answers, timeouts and cancellation as on the
 * pool, and a slow or timed-out call sends the tool back to the pool.
 */
class ToolRegistryInlineCallTest extends RegistryTestSupport {

    private static final Duration QUICK = Duration.ofSeconds(3);

    /** A tool that answers quickly (recording its thread) until the test makes it block. */
    private final AtomicReference<Thread> ranOn = new AtomicReference<>();
    private final AtomicBoolean block = new AtomicBoolean();
    private final AtomicBoolean ignoreInterrupts = new AtomicBoolean();
    private final CountDownLatch started = new CountDownLatch(1);
    private final CountDownLatch interrupted = new CountDownLatch(1);

    private TestTool switchable(Duration timeout) {
        return TestTool.of("switch", timeout, inv -> {
            ranOn.set(Thread.currentThread());
            if (block.get()) {
                started.countDown();
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (System.nanoTime() < until) {
                    try {
                        Thread.sleep(10);
                    } catch (InterruptedException e) {
                        interrupted.countDown();
                        if (!ignoreInterrupts.get()) {
                            throw e;
                        }
                        return ToolResult.success("finished late, after the interrupt");
                    }
                }
            }
            return ToolResult.success("quick");
        });
    }

    /** Calls the tool until its calls run on the calling thread. */
    private void warmUp() throws Exception {
        for (int i = 0; i < CallPace.STREAK; i++) {
            assertThat(call("switch", Map.of()).result().output()).isEqualTo("quick");
        }
        assertThat(call("switch", Map.of()).isSuccess()).isTrue();
        assertThat(ranOn.get()).as("a quick tool runs on the caller's thread").isEqualTo(Thread.currentThread());
    }

    @Test
    void aToolStartsOnThePoolAndRunsOnTheCallersThreadOnceItsCallsAreQuick() throws Exception {
        registerTool(switchable(Duration.ofSeconds(30)));
        startRegistry();

        call("switch", Map.of());
        assertThat(ranOn.get()).as("a new tool runs on the pool").isNotEqualTo(Thread.currentThread());
        warmUp();
        ToolCallResult r = call("switch", Map.of());
        assertThat(r.status()).isEqualTo(Status.SUCCESS);
        assertThat(r.result().output()).isEqualTo("quick");
        assertThat(Thread.currentThread().isInterrupted()).isFalse();
    }

    @Test
    void anInlineCallThatOverrunsItsTimeoutIsInterruptedAnsweredAsTimeoutAndTheToolGoesBackToThePool()
            throws Exception {
        registerTool(switchable(Duration.ofMillis(200)));
        startRegistry();
        warmUp();

        block.set(true);
        long start = System.nanoTime();
        ToolCallResult r = call("switch", Map.of());
        Duration took = Duration.ofNanos(System.nanoTime() - start);

        assertThat(r.status()).isEqualTo(Status.TIMEOUT);
        assertThat(r.result().output()).isEqualTo("tool 'switch' timed out after 200 ms");
        assertThat(took).isGreaterThanOrEqualTo(Duration.ofMillis(200)).isLessThan(QUICK);
        assertThat(interrupted.await(0, TimeUnit.SECONDS)).as("the tool was interrupted").isTrue();
        assertThat(ranOn.get()).isEqualTo(Thread.currentThread());
        assertThat(Thread.currentThread().isInterrupted()).as("the caller's thread is not left interrupted").isFalse();

        block.set(false);
        assertThat(call("switch", Map.of()).isSuccess()).isTrue();
        assertThat(ranOn.get()).as("after a timeout the tool runs on the pool").isNotEqualTo(Thread.currentThread());
    }

    @Test
    void anInlineCallThatIgnoresItsInterruptIsStillAnsweredAsTimeout() throws Exception {
        registerTool(switchable(Duration.ofMillis(100)));
        startRegistry();
        warmUp();

        block.set(true);
        ignoreInterrupts.set(true);
        ToolCallResult r = call("switch", Map.of());

        assertThat(r.status()).as("a result that came after the deadline does not count").isEqualTo(Status.TIMEOUT);
        assertThat(r.isSuccess()).isFalse();
        assertThat(Thread.currentThread().isInterrupted()).isFalse();
    }

    @Test
    void cancellingAnInlineCallInterruptsTheToolAndAnswersCancelled() throws Exception {
        registerTool(switchable(Duration.ofSeconds(60)));
        startRegistry();
        AtomicReference<Thread> caller = new AtomicReference<>();
        // warm up on the thread that will make the cancelled call
        Future<ToolCallResult> cancelled = inBackground(() -> {
            caller.set(Thread.currentThread());
            for (int i = 0; i <= CallPace.STREAK; i++) {
                call("switch", Map.of());
            }
            block.set(true);
            CancellationSignal signal = new CancellationSignal();
            inBackground(() -> {
                started.await(5, TimeUnit.SECONDS);
                signal.cancel("client went away");
                return null;
            });
            return registry.invoke("switch", Map.of(), CALLER_CONTEXT, new CallOptions(CallObserver.NONE, signal));
        });

        ToolCallResult r = cancelled.get(QUICK.toMillis() + 5000, TimeUnit.MILLISECONDS);
        assertThat(r.status()).isEqualTo(Status.CANCELLED);
        assertThat(r.result().output()).isEqualTo("cancelled: client went away");
        assertThat(interrupted.await(0, TimeUnit.SECONDS)).as("the tool was interrupted").isTrue();
        assertThat(ranOn.get()).as("the cancelled call ran on its caller's thread").isEqualTo(caller.get());
    }

    @Test
    void aSlowButTimelyCallSendsTheToolBackToThePool() throws Exception {
        AtomicBoolean slow = new AtomicBoolean();
        registerTool(TestTool.of("pace", Duration.ofSeconds(30), inv -> {
            ranOn.set(Thread.currentThread());
            if (slow.get()) {
                Thread.sleep(TimeUnit.NANOSECONDS.toMillis(CallPace.QUICK_NANOS) + 5);
            }
            return ToolResult.success("ok");
        }));
        startRegistry();
        for (int i = 0; i <= CallPace.STREAK; i++) {
            call("pace", Map.of());
        }
        assertThat(ranOn.get()).isEqualTo(Thread.currentThread());

        slow.set(true);
        assertThat(call("pace", Map.of()).status()).isEqualTo(Status.SUCCESS);
        slow.set(false);
        call("pace", Map.of());
        assertThat(ranOn.get()).isNotEqualTo(Thread.currentThread());
    }
}
