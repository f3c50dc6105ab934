package io.toka.store.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.toka.event.Event;
import io.toka.event.EventPage;
import io.toka.event.EventPayload;
import io.toka.event.EventQuery;
import io.toka.event.EventStoreException;
import io.toka.event.Events;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What every {@link io.toka.event.EventStore} must do. A subclass supplies the store; the contract opens one per test
 * and closes it after.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
abstract class EventStoreContract {

    /** The store under test, opened lazily by {@link #store()}. */
    private CloseableEventStore store;

    /**
     * Opens the store under test. Called again after {@link #reopen()} closed it: it must open the same storage.
     */
    protected abstract CloseableEventStore openStore() throws Exception;

    /** Removes what the test left behind; runs after the store is closed. */
    protected void cleanUp() throws Exception {
    }

    protected final CloseableEventStore store() throws Exception {
        if (store == null) {
            store = openStore();
        }
        return store;
    }

    /** Closes the store and opens it again on the same storage. */
    protected final CloseableEventStore reopen() throws Exception {
        store().close();
        store = null;
        return store();
    }

    @AfterEach
    final void closeStore() throws Exception {
        try {
            if (store != null) {
                store.close();
                store = null;
            }
        } finally {
            cleanUp();
        }
    }

    // ---- events for tests ---------------------------------------------------------------------------------------

    static Event tool(String subject) {
        return Events.create(new EventPayload.ToolInvoked("file-reader", "1.0.0", subject, true, 3), List.of());
    }

    static Event task(String agent, String subject) {
        return Events.create(new EventPayload.TaskScheduled(agent, "summarise the report", subject), List.of());
    }

    static Event taskAt(String agent, Instant at) {
        return Events.create(new EventPayload.TaskScheduled(agent, "t", "alice"), List.of(), at);
    }

    static Event resumed(String agent) {
        return Events.create(new EventPayload.AgentResumed(agent), List.of());
    }

    static List<Event> all(CloseableEventStore s) {
        List<Event> out = new ArrayList<>();
        long after = 0;
        while (true) {
            EventPage p = s.query(EventQuery.after(after, EventQuery.MAX_LIMIT));
            out.addAll(p.events());
            if (p.next() == null) {
                return out;
            }
            after = p.next();
        }
    }

    static List<String> ids(List<Event> events) {
        return events.stream().map(Event::id).toList();
    }

    // ---- append -------------------------------------------------------------------------------------------------

    @Test
    void anEmptyStoreHasNothing() throws Exception {
        assertThat(store().count()).isZero();
        assertThat(store().lastSeq()).isZero();
        EventPage p = store().query(EventQuery.after(0, 10));
        assertThat(p.events()).isEmpty();
        assertThat(p.next()).isNull();
    }

    @Test
    void appendAssignsAscendingSequenceNumbersAndKeepsEveryField() throws Exception {
        Event parent = tool("alice");
        Event child = Events.create(new EventPayload.TaskScheduled("agent-1", "naïve \"quoted\" ✓ task", "bob"),
                List.of(parent));
        Event one = store().append(parent);
        List<Event> two = store().append(List.of(child, resumed("agent-2")));

        assertThat(one.seq()).isPositive();
        assertThat(two.get(0).seq()).isGreaterThan(one.seq());
        assertThat(two.get(1).seq()).isGreaterThan(two.get(0).seq());
        assertThat(two.get(0)).isEqualTo(child.withSeq(two.get(0).seq()));
        assertThat(store().find(child.id())).contains(child.withSeq(two.get(0).seq()));
        assertThat(store().find(parent.id()).orElseThrow().parents()).isEmpty();
        assertThat(store().find(child.id()).orElseThrow().parents()).containsExactly(parent.id());
        assertThat(store().find(parent.id()).orElseThrow().agent()).isNull();
        assertThat(all(store())).containsExactly(one, two.get(0), two.get(1));
        assertThat(store().count()).isEqualTo(3);
        assertThat(store().lastSeq()).isEqualTo(two.get(1).seq());
    }

    @Test
    void anEmptyBatchStoresNothing() throws Exception {
        assertThat(store().append(List.of())).isEmpty();
        assertThat(store().count()).isZero();
    }

    @Test
    void aBatchWithAStoredIdStoresNothing() throws Exception {
        Event stored = store().append(tool("alice"));
        Event fresh1 = tool("bob");
        Event fresh2 = tool("carol");
        Event again = new Event(0, stored.id(), stored.kind(), stored.version(), stored.timestamp(), stored.parents(),
                stored.digest(), stored.agent(), stored.subject(), stored.payload());

        assertThatThrownBy(() -> store().append(List.of(fresh1, again, fresh2)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(stored.id());
        assertThat(store().count()).isEqualTo(1);
        assertThat(store().find(fresh1.id())).isEmpty();
        assertThat(store().find(fresh2.id())).isEmpty();
        // the store still works, and the failed batch consumed no visible numbers out of order
        Event next = store().append(fresh1);
        assertThat(next.seq()).isGreaterThan(stored.seq());
        assertThat(ids(all(store()))).containsExactly(stored.id(), fresh1.id());
    }

    @Test
    void aBatchWithTheSameIdTwiceStoresNothing() throws Exception {
        Event e = tool("alice");
        assertThatThrownBy(() -> store().append(List.of(e, tool("bob"), e)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(e.id());
        assertThat(store().count()).isZero();
    }

    // ---- queries ------------------------------------------------------------------------------------------------

    @Test
    void queriesFilterByKindAgentAndSubjectAloneAndCombined() throws Exception {
        Event t1 = task("agent-1", "alice");
        Event t2 = task("agent-2", "alice");
        Event t3 = task("agent-1", "bob");
        Event r1 = resumed("agent-1");
        Event x1 = tool("alice");
        Event x2 = tool(null);
        List<Event> s = store().append(List.of(t1, t2, t3, r1, x1, x2));

        assertThat(ids(query(q("task.scheduled", null, null)))).containsExactly(t1.id(), t2.id(), t3.id());
        assertThat(ids(query(q("tool.invoked", null, null)))).containsExactly(x1.id(), x2.id());
        assertThat(ids(query(q(null, "agent-1", null)))).containsExactly(t1.id(), t3.id(), r1.id());
        assertThat(ids(query(q(null, null, "alice")))).containsExactly(t1.id(), t2.id(), x1.id());
        assertThat(ids(query(q("task.scheduled", "agent-1", null)))).containsExactly(t1.id(), t3.id());
        assertThat(ids(query(q("task.scheduled", null, "alice")))).containsExactly(t1.id(), t2.id());
        assertThat(ids(query(q(null, "agent-1", "bob")))).containsExactly(t3.id());
        assertThat(ids(query(q("task.scheduled", "agent-1", "alice")))).containsExactly(t1.id());
        assertThat(query(q("agent.spawned", null, null))).isEmpty();
        assertThat(query(q(null, "nobody", null))).isEmpty();
        // the cursor combines with filters
        EventQuery afterFirst = new EventQuery(null, "agent-1", null, null, null, s.get(0).seq(), 10);
        assertThat(ids(store().query(afterFirst).events())).containsExactly(t3.id(), r1.id());
        // limit and next with a filter
        EventPage p = store().query(new EventQuery(null, null, "alice", null, null, 0, 2));
        assertThat(ids(p.events())).containsExactly(t1.id(), t2.id());
        assertThat(p.next()).isEqualTo(s.get(1).seq());
        EventPage rest = store().query(new EventQuery(null, null, "alice", null, null, p.next(), 2));
        assertThat(ids(rest.events())).containsExactly(x1.id());
        assertThat(rest.next()).isNull();
    }

    private static EventQuery q(String kind, String agent, String subject) {
        return new EventQuery(kind, agent, subject, null, null, 0, EventQuery.MAX_LIMIT);
    }

    private List<Event> query(EventQuery q) throws Exception {
        EventPage p = store().query(q);
        assertThat(p.next()).isNull();
        return p.events();
    }

    @Test
    void pagingThrough2500EventsVisitsEachExactlyOnce() throws Exception {
        List<Event> batch = new ArrayList<>();
        for (int i = 0; i < 2500; i++) {
            batch.add(i % 2 == 0 ? task("agent-" + (i % 7), "alice") : tool("bob"));
            if (batch.size() == 100) {
                store().append(batch);
                batch.clear();
            }
        }
        List<Long> seen = new ArrayList<>();
        Set<String> ids = new HashSet<>();
        long after = 0;
        int pages = 0;
        while (true) {
            EventPage p = store().query(EventQuery.after(after, 1000));
            pages++;
            p.events().forEach(e -> {
                seen.add(e.seq());
                ids.add(e.id());
            });
            if (p.next() == null) {
                break;
            }
            assertThat(p.events()).hasSize(1000);
            assertThat(p.next()).isEqualTo(p.events().get(999).seq());
            after = p.next();
        }
        assertThat(pages).isEqualTo(3);
        assertThat(seen).hasSize(2500).isSorted().doesNotHaveDuplicates();
        assertThat(ids).hasSize(2500);
    }

    @Test
    void aFullLastPageSaysThereIsNoMore() throws Exception {
        List<Event> batch = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            batch.add(tool("alice"));
        }
        store().append(batch);
        EventPage first = store().query(EventQuery.after(0, 10));
        assertThat(first.next()).isNotNull();
        EventPage second = store().query(EventQuery.after(first.next(), 10));
        assertThat(second.events()).hasSize(10);
        assertThat(second.next()).isNull();
    }

    @Test
    void queriesSelectATimeRangeSinceInclusiveUntilExclusive() throws Exception {
        Instant base = Instant.now().minus(Duration.ofHours(2)).truncatedTo(ChronoUnit.MICROS);
        List<Event> events = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            events.add(taskAt("agent-" + (i % 2), base.plus(Duration.ofMinutes(i))));
        }
        store().append(events);

        EventQuery range = new EventQuery(null, null, null, base.plus(Duration.ofMinutes(3)),
                base.plus(Duration.ofMinutes(6)), 0, 100);
        assertThat(ids(store().query(range).events())).containsExactly(events.get(3).id(), events.get(4).id(),
                events.get(5).id());
        EventQuery sinceOnly = new EventQuery(null, null, null, base.plus(Duration.ofMinutes(8)), null, 0, 100);
        assertThat(ids(store().query(sinceOnly).events())).containsExactly(events.get(8).id(), events.get(9).id());
        EventQuery untilOnly = new EventQuery(null, null, null, null, base.plus(Duration.ofMinutes(1)), 0, 100);
        assertThat(ids(store().query(untilOnly).events())).containsExactly(events.get(0).id());
        // one nanosecond past an event's time excludes it from "since" and includes it in "until"
        EventQuery justAfter = new EventQuery(null, "agent-1", null, base.plus(Duration.ofMinutes(7)).plusNanos(1),
                base.plus(Duration.ofMinutes(9)).plusNanos(1), 0, 100);
        assertThat(ids(store().query(justAfter).events())).containsExactly(events.get(9).id());
        assertThat(store().find(events.get(4).id()).orElseThrow().timestamp()).isEqualTo(events.get(4).timestamp());
    }

    @Test
    void findReturnsOnlyStoredEvents() throws Exception {
        Event e = store().append(tool("alice"));
        assertThat(store().find(e.id())).contains(e);
        assertThat(store().find("00000000-0000-0000-0000-000000000000")).isEmpty();
    }

    // ---- prune --------------------------------------------------------------------------------------------------

    @Test
    void pruneByAgeDeletesOlderEventsOnly() throws Exception {
        Instant now = Instant.now();
        List<Event> old = List.of(taskAt("a", now.minus(Duration.ofHours(5))), taskAt("a", now.minus(Duration.ofHours(4))));
        List<Event> recent = List.of(taskAt("a", now.minus(Duration.ofMinutes(5))), taskAt("a", now));
        store().append(List.of(recent.get(0), old.get(0)));
        store().append(List.of(old.get(1), recent.get(1)));

        assertThat(store().prune(now.minus(Duration.ofHours(1)), 0)).isEqualTo(2);
        assertThat(ids(all(store()))).containsExactly(recent.get(0).id(), recent.get(1).id());
        assertThat(store().prune(now.minus(Duration.ofHours(1)), 0)).isZero();
    }

    @Test
    void pruneByCountKeepsTheNewest() throws Exception {
        List<Event> stored = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            stored.add(store().append(tool("alice")));
        }
        assertThat(store().prune(null, 4)).isEqualTo(6);
        assertThat(all(store())).containsExactlyElementsOf(stored.subList(6, 10));
        assertThat(store().prune(null, 4)).isZero();
        assertThat(store().prune(null, 0)).isZero();
        assertThat(store().count()).isEqualTo(4);
    }

    @Test
    void pruneByAgeThenByCount() throws Exception {
        Instant now = Instant.now();
        List<Event> events = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            events.add(taskAt("a", now.minus(Duration.ofMinutes(10 - i))));
        }
        store().append(events);
        // 3 are older than 7.5 minutes; of the 7 left, keep 5
        assertThat(store().prune(now.minus(Duration.ofSeconds(450)), 5)).isEqualTo(5);
        assertThat(ids(all(store()))).containsExactlyElementsOf(ids(events.subList(5, 10)));
    }

    @Test
    void sequenceNumbersAreNotReusedAfterPruningEverything() throws Exception {
        store().append(tool("a"));
        Event last = store().append(tool("b"));
        assertThat(store().prune(Instant.now().plusSeconds(1), 0)).isEqualTo(2);
        assertThat(store().count()).isZero();
        assertThat(store().append(tool("c")).seq()).isGreaterThan(last.seq());
    }

    // ---- concurrency --------------------------------------------------------------------------------------------

    @Test
    void concurrentAppendsFrom8ThreadsAreAllStoredWithUniqueAscendingNumbers() throws Exception {
        int threads = 8;
        int perThread = 200;
        CloseableEventStore s = store();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CountDownLatch start = new CountDownLatch(1);
        ConcurrentLinkedQueue<Event> acked = new ConcurrentLinkedQueue<>();
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                futures.add(pool.submit(() -> {
                    start.await();
                    long previous = 0;
                    // every tenth append is a batch of two: nine appends store ten events
                    for (int op = 0; op < perThread * 9 / 10; op++) {
                        List<Event> stored = op % 9 == 8
                                ? s.append(List.of(task("agent-" + thread, "t"), task("agent-" + thread, "t")))
                                : List.of(s.append(tool("thread-" + thread)));
                        for (Event e : stored) {
                            assertThat(e.seq()).isGreaterThan(previous);
                            previous = e.seq();
                            acked.add(e);
                        }
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> f : futures) {
                f.get(90, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        List<Event> stored = all(s);
        assertThat(acked).hasSize(threads * perThread);
        assertThat(stored).hasSize(threads * perThread);
        assertThat(stored.stream().map(Event::seq).toList()).isSorted().doesNotHaveDuplicates();
        assertThat(stored).containsExactlyInAnyOrderElementsOf(acked);
        assertThat(s.count()).isEqualTo(threads * perThread);
        assertThat(s.lastSeq()).isEqualTo(stored.get(stored.size() - 1).seq());
    }

    // ---- lifecycle ----------------------------------------------------------------------------------------------

    @Test
    void aClosedStoreRefusesWork() throws Exception {
        CloseableEventStore s = store();
        s.append(tool("alice"));
        s.close();
        s.close();
        assertThatThrownBy(() -> s.append(tool("bob"))).isInstanceOf(EventStoreException.class)
                .hasMessageContaining("closed");
        assertThatThrownBy(() -> s.query(EventQuery.after(0, 10))).isInstanceOf(EventStoreException.class);
        assertThatThrownBy(s::count).isInstanceOf(EventStoreException.class);
    }
}
