package io.toka.kernel.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.awaitility.Awaitility.await;

import io.toka.event.Event;
import io.toka.event.EventBus;
import io.toka.event.EventPayload;
import io.toka.event.EventSubscriber;
import io.toka.event.Events;
import io.toka.kernel.internal.Recorder.Missed;
import io.toka.security.testing.TestTokens;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EventBusTest {

    static final Duration WAIT = Duration.ofSeconds(10);

    @TempDir
    Path dir;
    ListEventStore store;
    KernelImpl kernel;
    final LocalEventBus bus = new LocalEventBus();

    @BeforeEach
    void start() {
        store = new ListEventStore();
        kernel = new KernelImpl(new TestTokens(dir).service(), store);
        kernel.setAgentRuntime(new AnyAgent());
    }

    @AfterEach
    void stop() {
        kernel.deactivate();
        bus.closeAll();
    }

    private static Event event(long seq) {
        return Events.create(new EventPayload.SystemError("test", "event " + seq), List.of()).withSeq(seq);
    }

    private Event record(int i) {
        return kernel.record(new EventPayload.SystemError("test", "event " + i), List.of());
    }

    @Test
    void eventsAreDeliveredInOrder() {
        Recorder r = new Recorder();
        bus.subscribe(r, EventBus.DEFAULT_CAPACITY);
        List<Event> sent = new ArrayList<>();
        for (int i = 1; i <= 500; i++) {
            Event e = event(i);
            sent.add(e);
            bus.publish(e);
        }
        await().atMost(WAIT).until(() -> r.events.size() == 500);
        assertThat(r.events).containsExactlyElementsOf(sent);
        assertThat(r.log).noneMatch(o -> o instanceof Missed);
    }

    @Test
    void everySubscriberGetsEveryEventInOrder() {
        Recorder a = new Recorder();
        Recorder b = new Recorder();
        kernel.subscribe(a, 1000);
        kernel.subscribe(b, 1000);
        List<Event> recorded = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            recorded.add(record(i));
        }
        await().atMost(WAIT).until(() -> a.events.size() == 300 && b.events.size() == 300);
        assertThat(a.events).containsExactlyElementsOf(recorded).containsExactlyElementsOf(store.all());
        assertThat(b.events).containsExactlyElementsOf(recorded);
    }

    @Test
    void slowSubscriberDoesNotBlockRecordAndIsToldExactlyHowManyItMissed() throws Exception {
        int capacity = 8;
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Recorder r = new Recorder() {
            @Override
            public void onEvent(Event event) {
                super.onEvent(event);
                if (events.size() == 1) {
                    entered.countDown();
                    try {
                        release.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            }
        };
        Recorder fast = new Recorder();
        EventBus.Subscription slow = kernel.subscribe(r, capacity);
        kernel.subscribe(fast, 1000);

        Event first = record(0);
        assertThat(entered.await(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        // the subscriber is stuck in onEvent(first), its queue empty: 8 fit, 13 are dropped
        List<Event> recorded = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
            List<Event> out = new ArrayList<>();
            for (int i = 1; i <= capacity + 13; i++) {
                out.add(record(i));
            }
            return out;
        });
        assertThat(store.count()).isEqualTo(1 + capacity + 13);
        assertThat(slow.missed()).isEqualTo(13);
        assertThat(release.getCount()).isOne(); // record() returned while the subscriber was still blocked
        // other subscribers are not held back by the slow one
        await().atMost(WAIT).until(() -> fast.events.size() == 1 + capacity + 13);

        release.countDown();
        await().atMost(WAIT).until(() -> r.events.size() == 1 + capacity);
        List<Object> expected = new ArrayList<>();
        expected.add(first);
        expected.add(new Missed(13));
        expected.addAll(recorded.subList(0, capacity));
        assertThat(r.log).containsExactlyElementsOf(expected);

        // caught up: the next event comes without another missed count
        Event later = record(99);
        await().atMost(WAIT).until(() -> r.events.size() == 2 + capacity);
        assertThat(r.log).hasSize(expected.size() + 1).last().isEqualTo(later);
        assertThat(slow.missed()).isEqualTo(13);
    }

    @Test
    void missedCountsAddUpAcrossSeveralStalls() throws Exception {
        CountDownLatch[] gates = {new CountDownLatch(1), new CountDownLatch(1)};
        CountDownLatch[] entered = {new CountDownLatch(1), new CountDownLatch(1)};
        AtomicInteger stalls = new AtomicInteger();
        Recorder r = new Recorder() {
            @Override
            public void onEvent(Event event) {
                super.onEvent(event);
                if (event.seq() == 1 || event.seq() == 100) {
                    int n = stalls.getAndIncrement();
                    entered[n].countDown();
                    try {
                        gates[n].await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            }
        };
        EventBus.Subscription s = bus.subscribe(r, 2);
        bus.publish(event(1));
        entered[0].await();
        for (int i = 2; i <= 6; i++) {
            bus.publish(event(i)); // 2 and 3 queued, 4-6 dropped
        }
        gates[0].countDown();
        await().atMost(WAIT).until(() -> r.events.size() == 3);
        bus.publish(event(100));
        entered[1].await();
        for (int i = 101; i <= 110; i++) {
            bus.publish(event(i)); // 101 and 102 queued, 8 dropped
        }
        gates[1].countDown();
        await().atMost(WAIT).until(() -> r.events.size() == 6);
        assertThat(r.log).extracting(o -> o instanceof Missed m ? "missed " + m.count() : "e" + ((Event) o).seq())
                .containsExactly("e1", "missed 3", "e2", "e3", "e100", "missed 8", "e101", "e102");
        assertThat(s.missed()).isEqualTo(11);
    }

    @Test
    void throwingSubscriberDoesNotStopDeliveryToOthersOrItself() {
        AtomicInteger calls = new AtomicInteger();
        kernel.subscribe(event -> {
            calls.incrementAndGet();
            throw new IllegalStateException("subscriber bug");
        }, 100);
        Recorder r = new Recorder();
        kernel.subscribe(r, 100);
        List<Event> recorded = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            recorded.add(record(i));
        }
        await().atMost(WAIT).until(() -> r.events.size() == 20 && calls.get() == 20);
        assertThat(r.events).containsExactlyElementsOf(recorded);
    }

    @Test
    void throwingOnMissedDoesNotStopDelivery() throws Exception {
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        List<Long> delivered = new java.util.concurrent.CopyOnWriteArrayList<>();
        bus.subscribe(new EventSubscriber() {
            @Override
            public void onEvent(Event event) {
                delivered.add(event.seq());
                if (event.seq() == 1) {
                    entered.countDown();
                    try {
                        release.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            }

            @Override
            public void onMissed(long count) {
                throw new IllegalStateException("bug in onMissed");
            }
        }, 1);
        bus.publish(event(1));
        entered.await();
        bus.publish(event(2));
        bus.publish(event(3)); // dropped
        release.countDown();
        await().atMost(WAIT).until(() -> delivered.contains(2L));
        bus.publish(event(4));
        await().atMost(WAIT).until(() -> delivered.contains(4L));
        // a failing onMissed loses no further event: 2 and 4 are still delivered, 3 was dropped
        assertThat(delivered).containsExactly(1L, 2L, 4L);
    }

    @Test
    void closeStopsDelivery() {
        Recorder closed = new Recorder();
        Recorder open = new Recorder();
        EventBus.Subscription s = kernel.subscribe(closed, 100);
        kernel.subscribe(open, 100);
        Event first = record(1);
        await().atMost(WAIT).until(() -> closed.events.size() == 1);
        s.close();
        s.close(); // idempotent
        for (int i = 2; i <= 10; i++) {
            record(i);
        }
        await().atMost(WAIT).until(() -> open.events.size() == 10);
        assertThat(closed.log).containsExactly(first);
        assertThat(s.missed()).isZero();
        assertThat(kernel.subscribe(new Recorder(), 1)).isNotNull();
    }

    @Test
    void closeDropsUndeliveredEventsAndUnsubscribes() throws Exception {
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Recorder r = new Recorder() {
            @Override
            public void onEvent(Event event) {
                super.onEvent(event);
                entered.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        };
        EventBus.Subscription s = bus.subscribe(r, 10);
        assertThat(bus.subscriberCount()).isEqualTo(1);
        bus.publish(event(1));
        entered.await();
        bus.publish(event(2));
        s.close();
        assertThat(bus.subscriberCount()).isZero();
        bus.publish(event(3));
        release.countDown();
        // a witness subscribed after the close sees later events; the closed one never gets 2 or 3
        Recorder witness = new Recorder();
        bus.subscribe(witness, 10);
        bus.publish(event(4));
        await().atMost(WAIT).until(() -> witness.events.size() == 1);
        assertThat(r.events).extracting(Event::seq).containsExactly(1L);
    }

    @Test
    void closeAllStopsEverySubscription() {
        Recorder a = new Recorder();
        Recorder b = new Recorder();
        bus.subscribe(a, 10);
        bus.subscribe(b, 10);
        bus.closeAll();
        assertThat(bus.subscriberCount()).isZero();
        bus.publish(event(1));
        Recorder witness = new Recorder();
        bus.subscribe(witness, 10);
        bus.publish(event(2));
        await().atMost(WAIT).until(() -> witness.events.size() == 1);
        assertThat(a.log).isEmpty();
        assertThat(b.log).isEmpty();
    }

    @Test
    void capacityMustBePositive() {
        assertThatThrownBy(() -> kernel.subscribe(new Recorder(), 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("capacity must be at least 1, not 0");
    }
}
