package io.toka.llm.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.toka.llm.LlmException;
import io.toka.llm.LlmException.Reason;
import io.toka.llm.LlmGateway.QueueStats;
import io.toka.llm.LlmRequest.Priority;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The provider's queue, deterministically: a clock the test moves, calls on their own threads that the test lets in
 * one slot at a time, and waits on conditions (never on time).
 */
class ModelSchedulerTest {

    private static final long AGING_MS = 100;

    private final AtomicLong clock = new AtomicLong(1_000_000_000L);
    private final List<String> granted = new CopyOnWriteArrayList<>();
    private final List<Call> calls = new ArrayList<>();
    private ModelScheduler scheduler;

    @AfterEach
    void stop() {
        if (scheduler != null) {
            scheduler.close();
        }
        calls.forEach(c -> c.thread.interrupt());
    }

    /** Waits on a condition, polled every millisecond (the queue changes only when the test acts). */
    private static ConditionFactory soon() {
        return await().atMost(Duration.ofSeconds(10)).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(1));
    }

    private ModelScheduler scheduler(int cap) {
        scheduler = new ModelScheduler(cap, AGING_MS, clock::get);
        return scheduler;
    }

    private void advance(long millis) {
        clock.addAndGet(TimeUnit.MILLISECONDS.toNanos(millis));
    }

    /** One model call on its own thread; it records its name when granted and holds the slot until released. */
    private final class Call {
        final String name;
        final CompletableFuture<Admission.Slot> slot = new CompletableFuture<>();
        final Thread thread;

        Call(String name, String agent, Priority priority) {
            this.name = name;
            this.thread = new Thread(() -> {
                try {
                    Admission.Slot s = scheduler.enter(agent, priority);
                    granted.add(name);
                    slot.complete(s);
                } catch (Throwable t) {
                    slot.completeExceptionally(t);
                }
            }, "call-" + name);
            this.thread.setDaemon(true);
        }

        Admission.Slot slot() throws Exception {
            return slot.get(10, TimeUnit.SECONDS);
        }

        Throwable failure() {
            soon().until(slot::isDone);
            try {
                slot.get();
                throw new AssertionError(name + " was granted a slot");
            } catch (ExecutionException e) {
                return e.getCause();
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }
    }

    /** Starts a call and waits until it holds a slot or is queued (only the test frees slots, so no race). */
    private Call call(String name, String agent, Priority priority) {
        int queuedBefore = scheduler.stats("p").queued();
        Call c = new Call(name, agent, priority);
        calls.add(c);
        c.thread.start();
        soon().until(() -> c.slot.isDone()
                || scheduler.stats("p").queued() > queuedBefore);
        return c;
    }

    /** Releases the slot and waits until the call it goes to (if any) has it. */
    private void release(Call holder) throws Exception {
        int before = granted.size();
        boolean someoneWaits = scheduler.stats("p").queued() > 0;
        holder.slot().release();
        if (someoneWaits) {
            soon().until(() -> granted.size() > before);
        }
    }

    private Call last() {
        String name = granted.get(granted.size() - 1);
        return calls.stream().filter(c -> c.name.equals(name)).findFirst().orElseThrow();
    }

    /** Lets the queue drain one slot at a time (cap 1) and returns the order the calls got it in. */
    private List<String> drain(Call holder) throws Exception {
        int start = granted.size();
        Call current = holder;
        while (scheduler.stats("p").queued() > 0) {
            release(current);
            current = last();
        }
        current.slot().release();
        return granted.subList(start, granted.size());
    }

    // ---------------------------------------------------------------- the cap

    @Test
    void aFreeSlotIsTakenAtOnceAndTheCapQueuesTheRest() throws Exception {
        scheduler(2);
        Call a = call("a", "a", Priority.LOW);
        Call b = call("b", "b", Priority.LOW);
        assertThat(a.slot().waitNanos()).isZero();
        assertThat(b.slot().waitNanos()).isZero();
        Call c = call("c", "c", Priority.CRITICAL);
        QueueStats s = scheduler.stats("p");
        assertThat(s.inFlight()).isEqualTo(2);
        assertThat(s.queued()).isEqualTo(1);
        assertThat(s.priorities().get(Priority.CRITICAL).queued()).isEqualTo(1);
        assertThat(c.slot).isNotDone();
        advance(40);
        release(a);
        assertThat(c.slot().waitNanos()).isEqualTo(TimeUnit.MILLISECONDS.toNanos(40));
        assertThat(scheduler.stats("p").inFlight()).isEqualTo(2);
    }

    @Test
    void manyThreadsNeverHoldMoreSlotsThanTheCap() throws Exception {
        ModelScheduler s = new ModelScheduler(3, AGING_MS, System::nanoTime);
        scheduler = s;
        AtomicInteger holding = new AtomicInteger();
        AtomicInteger most = new AtomicInteger();
        AtomicInteger done = new AtomicInteger();
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 16; t++) {
            Priority p = Priority.values()[t % 4];
            String agent = "agent-" + (t % 5);
            Thread thread = new Thread(() -> {
                try {
                    go.await();
                    for (int i = 0; i < 300; i++) {
                        Admission.Slot slot = s.enter(agent, p);
                        most.accumulateAndGet(holding.incrementAndGet(), Math::max);
                        Thread.yield();
                        holding.decrementAndGet();
                        slot.release();
                    }
                    done.incrementAndGet();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            thread.start();
            threads.add(thread);
        }
        go.countDown();
        for (Thread t : threads) {
            t.join(60_000);
        }
        assertThat(done).hasValue(16);
        assertThat(most.get()).isBetween(1, 3);
        QueueStats stats = s.stats("p");
        assertThat(stats.inFlight()).isZero();
        assertThat(stats.queued()).isZero();
        assertThat(stats.priorities().values().stream().mapToLong(w -> w.granted()).sum()).isEqualTo(16 * 300);
    }

    @Test
    void releasingTwiceFreesOneSlot() throws Exception {
        scheduler(1);
        Call a = call("a", "a", Priority.HIGH);
        Admission.Slot slot = a.slot();
        slot.release();
        slot.release();
        Call b = call("b", "b", Priority.HIGH);
        b.slot();
        Call c = call("c", "c", Priority.HIGH);
        assertThat(c.slot).isNotDone();
        assertThat(scheduler.stats("p").inFlight()).isEqualTo(1);
    }

    // ---------------------------------------------------------------- the order

    @Test
    void aFreeSlotGoesToTheHighestPriorityWaiting() throws Exception {
        scheduler(1);
        Call holder = call("holder", "h", Priority.LOW);
        call("low", "l", Priority.LOW);
        call("medium", "m", Priority.MEDIUM);
        call("high", "h2", Priority.HIGH);
        call("critical", "c", Priority.CRITICAL);
        assertThat(drain(holder)).containsExactly("critical", "high", "medium", "low");
        assertThat(scheduler.stats("p").aged()).isZero();
    }

    @Test
    void agentsOfOnePriorityTakeTurns() throws Exception {
        scheduler(1);
        Call holder = call("holder", "h", Priority.MEDIUM);
        call("a1", "a", Priority.MEDIUM);
        call("a2", "a", Priority.MEDIUM);
        call("a3", "a", Priority.MEDIUM);
        call("b1", "b", Priority.MEDIUM);
        call("b2", "b", Priority.MEDIUM);
        call("c1", "c", Priority.MEDIUM);
        // a FIFO would give a1 a2 a3 b1 b2 c1: agent a, first in, would have the model three turns in a row
        assertThat(drain(holder)).containsExactly("a1", "b1", "c1", "a2", "b2", "a3");
    }

    @Test
    void anAgentJustServedGoesBehindCallsQueuedBeforeItsTurnEnded() throws Exception {
        scheduler(1);
        Call holder = call("holder", "h", Priority.HIGH);
        call("a1", "a", Priority.HIGH);
        call("a2", "a", Priority.HIGH);
        advance(5);
        call("b1", "b", Priority.HIGH);
        advance(5);
        release(holder);
        assertThat(granted).containsExactly("holder", "a1");
        // a2 was queued before b1, but a has just had a turn: b1 goes first
        assertThat(drain(last())).containsExactly("b1", "a2");
    }

    @Test
    void callsOfOnePriorityFromDifferentAgentsGoInTheOrderTheyCame() throws Exception {
        scheduler(1);
        Call holder = call("holder", "h", Priority.LOW);
        for (int i = 0; i < 6; i++) {
            call("x" + i, "agent-" + i, Priority.LOW);
            advance(1);
        }
        assertThat(drain(holder)).containsExactly("x0", "x1", "x2", "x3", "x4", "x5");
    }

    // ---------------------------------------------------------------- aging

    /**
     * A call {@code levels} priorities below another that has waited {@code levels x aging} plus a millisecond when
     * the other arrives goes first; a millisecond less and it goes second.
     */
    @ParameterizedTest
    @CsvSource({"LOW, CRITICAL", "LOW, HIGH", "LOW, MEDIUM", "MEDIUM, CRITICAL", "MEDIUM, HIGH", "HIGH, CRITICAL"})
    void aCallThatWaitedLongerThanItsPriorityAllowsGoesFirst(Priority lower, Priority higher) throws Exception {
        long levels = lower.ordinal() - higher.ordinal();
        scheduler(1);
        Call holder = call("holder", "h", Priority.CRITICAL);
        call("old-" + lower, "old", lower);
        advance(levels * AGING_MS + 1);
        call("new-" + higher, "new", higher);
        assertThat(drain(holder)).containsExactly("old-" + lower, "new-" + higher);
        assertThat(scheduler.stats("p").aged()).isEqualTo(1);

        Call holder2 = call("holder2", "h", Priority.CRITICAL);
        call("old2-" + lower, "old", lower);
        advance(levels * AGING_MS - 1);
        call("new2-" + higher, "new", higher);
        assertThat(drain(holder2)).containsExactly("new2-" + higher, "old2-" + lower);
        assertThat(scheduler.stats("p").aged()).isEqualTo(1);
    }

    @Test
    void overdueCallsHoldAtMostAQuarterOfTheSlotsAndTheRestGoByPriority() throws Exception {
        scheduler(8); // an aging lane of 2
        List<Call> holders = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            holders.add(call("h" + i, "h" + i, Priority.CRITICAL));
        }
        for (int i = 1; i <= 3; i++) {
            call("low" + i, "l" + i, Priority.LOW);
        }
        advance(3 * AGING_MS + 1);
        for (int i = 1; i <= 3; i++) {
            call("critical" + i, "c" + i, Priority.CRITICAL);
        }
        for (int i = 0; i < 6; i++) {
            release(holders.get(i));
        }
        // two overdue low calls fill the aging lane; the third waits, and the critical calls go by priority
        assertThat(granted.subList(8, granted.size()))
                .containsExactly("low1", "low2", "critical1", "critical2", "critical3", "low3");
        assertThat(scheduler.stats("p").aged()).isEqualTo(2);
    }

    @Test
    void anOverdueCallTakesTheAgingLaneAsSoonAsItFrees() throws Exception {
        scheduler(4); // an aging lane of 1
        List<Call> holders = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            holders.add(call("h" + i, "h" + i, Priority.HIGH));
        }
        call("low1", "l1", Priority.LOW);
        call("low2", "l2", Priority.LOW);
        advance(3 * AGING_MS + 1);
        call("critical1", "c1", Priority.CRITICAL);
        call("critical2", "c2", Priority.CRITICAL);
        call("critical3", "c3", Priority.CRITICAL);
        release(holders.get(0));
        release(holders.get(1));
        assertThat(granted.subList(4, granted.size())).containsExactly("low1", "critical1");
        Call low1 = calls.stream().filter(c -> c.name.equals("low1")).findFirst().orElseThrow();
        release(low1);
        assertThat(granted.subList(4, granted.size())).containsExactly("low1", "critical1", "low2");
        release(holders.get(2));
        assertThat(granted.subList(4, granted.size())).containsExactly("low1", "critical1", "low2", "critical2");
    }

    @Test
    void aLowCallIsNotStarvedByAnEndlessStreamOfCriticalOnes() throws Exception {
        scheduler(1);
        Call holder = call("c0", "critical-0", Priority.CRITICAL);
        call("low", "low", Priority.LOW);
        // every model turn takes 10 ms, and each time a new critical call is already waiting when the slot frees
        int turn = 0;
        while (!granted.contains("low")) {
            turn++;
            assertThat(turn).as("turns before the low call got the model").isLessThanOrEqualTo(31);
            advance(10);
            call("c" + turn, "critical-" + turn, Priority.CRITICAL);
            release(holder);
            holder = last();
        }
        // 3 x 100 ms of aging at 10 ms a turn: it goes after 30 critical turns, not before
        assertThat(turn).isEqualTo(30);
        assertThat(scheduler.stats("p").priorities().get(Priority.LOW).maxMillis()).isEqualTo(300.0);
    }

    // ---------------------------------------------------------------- leaving the queue

    @Test
    void anInterruptedCallLeavesTheQueueAndFreesNothingItNeverTook() throws Exception {
        scheduler(1);
        Call holder = call("holder", "h", Priority.LOW);
        Call a = call("a", "a", Priority.CRITICAL);
        Call b = call("b", "b", Priority.LOW);
        a.thread.interrupt();
        assertThat(a.failure()).isInstanceOf(InterruptedException.class);
        QueueStats s = scheduler.stats("p");
        assertThat(s.queued()).isEqualTo(1);
        assertThat(s.inFlight()).isEqualTo(1);
        assertThat(s.cancelled()).isEqualTo(1);
        assertThat(s.priorities().get(Priority.CRITICAL).queued()).isZero();
        // it freed no slot: a new call still queues behind the holder
        Call c = call("c", "c", Priority.LOW);
        assertThat(c.slot).isNotDone();
        assertThat(drain(holder)).containsExactly("b", "c");
        assertThat(granted).doesNotContain("a");
        assertThat(scheduler.stats("p").inFlight()).isZero();
    }

    @Test
    void anInterruptedCallOfAnAgentWithOthersQueuedLeavesOnlyItself() throws Exception {
        scheduler(1);
        Call holder = call("holder", "h", Priority.MEDIUM);
        Call a1 = call("a1", "a", Priority.MEDIUM);
        call("a2", "a", Priority.MEDIUM);
        Call a3 = call("a3", "a", Priority.MEDIUM);
        call("b1", "b", Priority.MEDIUM);
        a3.thread.interrupt();
        assertThat(a3.failure()).isInstanceOf(InterruptedException.class);
        a1.thread.interrupt();
        assertThat(a1.failure()).isInstanceOf(InterruptedException.class);
        assertThat(drain(holder)).containsExactly("a2", "b1");
        assertThat(scheduler.stats("p").cancelled()).isEqualTo(2);
    }

    @Test
    void anAlreadyInterruptedThreadTakesNoSlotEvenAFreeOne() {
        scheduler(1);
        Thread.currentThread().interrupt();
        assertThatThrownBy(() -> scheduler.enter("a", Priority.CRITICAL)).isInstanceOf(InterruptedException.class);
        assertThat(Thread.interrupted()).isFalse();
        assertThat(scheduler.stats("p").inFlight()).isZero();
    }

    @Test
    void closingWakesEveryQueuedCallWithAnErrorAndRefusesNewOnes() throws Exception {
        scheduler(1);
        Call holder = call("holder", "h", Priority.LOW);
        Call a = call("a", "a", Priority.HIGH);
        Call b = call("b", "b", Priority.LOW);
        scheduler.close();
        for (Call c : List.of(a, b)) {
            assertThat(c.failure()).isInstanceOf(LlmException.class).hasMessage("The LLM gateway is stopped");
            assertThat(((LlmException) c.failure()).reason()).isEqualTo(Reason.CONFIGURATION);
        }
        assertThatThrownBy(() -> scheduler.enter("c", Priority.CRITICAL)).isInstanceOf(LlmException.class);
        holder.slot().release();
        QueueStats s = scheduler.stats("p");
        assertThat(s.queued()).isZero();
        assertThat(s.inFlight()).isZero();
        assertThat(s.cancelled()).isEqualTo(2);
    }

    // ---------------------------------------------------------------- figures

    @Test
    void theStatsGiveTheWaitsPerPriority() throws Exception {
        scheduler(1);
        Call holder = call("holder", "h", Priority.HIGH);
        call("h1", "a", Priority.HIGH);
        call("h2", "b", Priority.HIGH);
        advance(10);
        release(holder);
        advance(30);
        release(last());
        last().slot().release();
        QueueStats s = scheduler.stats("anthropic");
        assertThat(s.provider()).isEqualTo("anthropic");
        assertThat(s.maxConcurrent()).isEqualTo(1);
        assertThat(s.agingMillis()).isEqualTo(AGING_MS);
        assertThat(s.priorities()).containsOnlyKeys(Priority.values());
        var high = s.priorities().get(Priority.HIGH);
        assertThat(high.granted()).isEqualTo(3);
        assertThat(high.totalWaitMillis()).isEqualTo(50.0);
        assertThat(high.p50Millis()).isEqualTo(10.0);
        assertThat(high.p99Millis()).isEqualTo(40.0);
        assertThat(high.maxMillis()).isEqualTo(40.0);
        assertThat(s.priorities().get(Priority.LOW).granted()).isZero();
    }

    @Test
    void percentilesAreNearestRank() {
        long[] sorted = new long[100];
        for (int i = 0; i < 100; i++) {
            sorted[i] = i + 1;
        }
        assertThat(ModelScheduler.percentile(sorted, 0.5)).isEqualTo(50);
        assertThat(ModelScheduler.percentile(sorted, 0.99)).isEqualTo(99);
        assertThat(ModelScheduler.percentile(new long[] {7}, 0.99)).isEqualTo(7);
        assertThat(ModelScheduler.percentile(new long[0], 0.5)).isZero();
    }

    @Test
    void badSettingsAreRefused() {
        assertThatThrownBy(() -> new ModelScheduler(0, 1, System::nanoTime))
                .hasMessage("maxConcurrent must be at least 1, not 0");
        assertThatThrownBy(() -> new ModelScheduler(1, 0, System::nanoTime))
                .hasMessage("agingMillis must be at least 1, not 0");
    }
}
