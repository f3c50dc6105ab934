package io.toka.runtime.internal.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The watch that times out calls running on their caller's thread. */
class DeadlineWatchTest {

    private final DeadlineWatch watch = new DeadlineWatch("test-deadlines");

    @AfterEach
    void stop() {
        watch.shutdown();
    }

    /** Runs a call that blocks until interrupted, on this thread, under a watch with the given timeout. */
    private boolean runBlocking(long timeoutMillis) throws Exception {
        AtomicBoolean interrupted = new AtomicBoolean();
        CallExecutor.Call<String> call = new CallExecutor.Call<>(() -> {
            try {
                new CountDownLatch(1).await(10, TimeUnit.SECONDS);
                return "not interrupted";
            } catch (InterruptedException e) {
                interrupted.set(true);
                return "interrupted";
            }
        });
        DeadlineWatch.Watch w = watch.arm(call, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis));
        long start = System.nanoTime();
        call.run();
        watch.disarm(w);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
        assertThat(interrupted).isTrue();
        assertThat(Thread.currentThread().isInterrupted()).as("the interrupt does not outlive the call").isFalse();
        return w.expired();
    }

    @Test
    void aCallPastItsDeadlineIsInterruptedAndItsWatchExpires() throws Exception {
        assertThat(runBlocking(50)).isTrue();
        assertThat(watch.size()).isZero();
    }

    @Test
    void aCallThatFinishesInTimeIsNotTouched() throws Exception {
        CallExecutor.Call<String> call = new CallExecutor.Call<>(() -> "done");
        DeadlineWatch.Watch w = watch.arm(call, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(50));
        call.run();
        watch.disarm(w);
        assertThat(call.await(0)).isEqualTo("done");
        // past the deadline, nothing may happen to a disarmed watch
        await().during(Duration.ofMillis(150)).atMost(Duration.ofSeconds(2)).until(() -> !w.expired());
        assertThat(Thread.currentThread().isInterrupted()).isFalse();
    }

    @Test
    void theWatchWakesForACallArmedAfterItParked() throws Exception {
        // idle for longer than IDLE_NANOS: the watch parks, and the next arm must wake it
        await().pollDelay(Duration.ofNanos(DeadlineWatch.IDLE_NANOS + TimeUnit.MILLISECONDS.toNanos(200)))
                .atMost(Duration.ofSeconds(5)).until(() -> true);
        assertThat(runBlocking(50)).isTrue();
    }
}
