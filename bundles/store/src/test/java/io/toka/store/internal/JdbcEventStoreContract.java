package io.toka.store.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.toka.event.Event;
import io.toka.event.EventQuery;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The contract plus what durable SQL stores add: reopening, schema versions and group commit. */
abstract class JdbcEventStoreContract extends EventStoreContract {

    private JdbcEventStore jdbc() throws Exception {
        return (JdbcEventStore) store();
    }

    @Test
    void everythingIsStillThereAfterReopening() throws Exception {
        List<Event> stored = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            stored.addAll(store().append(List.of(task("agent-" + i, "alice"), tool("bob"))));
        }
        int version = jdbc().schemaVersion();
        assertThat(version).isEqualTo(jdbc().latestSchema());

        reopen();

        assertThat(jdbc().schemaVersion()).isEqualTo(version);
        assertThat(all(store())).containsExactlyElementsOf(stored);
        assertThat(store().count()).isEqualTo(10);
        assertThat(store().lastSeq()).isEqualTo(stored.get(9).seq());
        assertThat(store().append(tool("carol")).seq()).isGreaterThan(stored.get(9).seq());
        assertThat(ids(store().query(new EventQuery(null, "agent-3", null, null, null, 0, 10)).events()))
                .containsExactly(stored.get(6).id());
    }

    /** Runs a job on the writer that waits for {@code release}; {@code holding} opens once it runs. */
    private static long hold(JdbcEventStore s, CountDownLatch holding, CountDownLatch release) {
        return s.runInWriter("hold the writer", c -> {
            holding.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return 0L;
        });
    }

    /**
     * Holds the writer, queues three batches (one with a stored id) so they land in one group, then releases it:
     * the two good batches commit together in one transaction and only the bad one fails.
     */
    @Test
    void aFailingBatchInAGroupFailsAloneAndTheGroupCommitsOnce() throws Exception {
        JdbcEventStore s = jdbc();
        Event stored = s.append(tool("alice"));
        Event dup = new Event(0, stored.id(), stored.kind(), stored.version(), stored.timestamp(), stored.parents(),
                stored.digest(), stored.agent(), stored.subject(), stored.payload());
        List<Event> good1 = List.of(tool("a1"), tool("a2"));
        List<Event> bad = List.of(tool("b1"), dup);
        List<Event> good2 = List.of(tool("c1"));

        CountDownLatch holding = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            CompletableFuture<Long> hold = CompletableFuture.supplyAsync(() -> hold(s, holding, release), pool);
            assertThat(holding.await(30, TimeUnit.SECONDS)).isTrue();
            long commitsBefore = s.commits();
            CompletableFuture<List<Event>> f1 = CompletableFuture.supplyAsync(() -> s.append(good1), pool);
            CompletableFuture<List<Event>> f2 = CompletableFuture.supplyAsync(() -> s.append(bad), pool);
            CompletableFuture<List<Event>> f3 = CompletableFuture.supplyAsync(() -> s.append(good2), pool);
            await().atMost(Duration.ofSeconds(30)).until(() -> s.pendingWrites() == 3);
            release.countDown();

            assertThat(hold.get(30, TimeUnit.SECONDS)).isZero();
            assertThat(ids(f1.get(30, TimeUnit.SECONDS))).containsExactlyElementsOf(ids(good1));
            assertThat(ids(f3.get(30, TimeUnit.SECONDS))).containsExactlyElementsOf(ids(good2));
            assertThatThrownBy(f2::join).isInstanceOf(CompletionException.class)
                    .hasCauseInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining(stored.id());
            assertThat(s.commits()).isEqualTo(commitsBefore + 1);
        } finally {
            release.countDown();
            pool.shutdownNow();
        }
        assertThat(s.find(bad.get(0).id())).isEmpty();
        assertThat(s.count()).isEqualTo(4);
        List<Event> all = all(s);
        assertThat(all.stream().map(Event::seq).toList()).isSorted().doesNotHaveDuplicates();
        assertThat(ids(all)).containsAll(ids(good1)).containsAll(ids(good2));
    }

    /** Two batches in one group carrying the same new id: the first one queued wins, the other stores nothing. */
    @Test
    void twoBatchesWithTheSameNewIdInOneGroupStoreOneOfThem() throws Exception {
        JdbcEventStore s = jdbc();
        Event shared = tool("alice");
        List<Event> first = List.of(tool("x"), shared);
        List<Event> second = List.of(shared, tool("y"));
        CountDownLatch holding = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try {
            pool.submit(() -> hold(s, holding, release));
            assertThat(holding.await(30, TimeUnit.SECONDS)).isTrue();
            CompletableFuture<List<Event>> f1 = CompletableFuture.supplyAsync(() -> s.append(first), pool);
            await().atMost(Duration.ofSeconds(30)).until(() -> s.pendingWrites() == 1);
            CompletableFuture<List<Event>> f2 = CompletableFuture.supplyAsync(() -> s.append(second), pool);
            await().atMost(Duration.ofSeconds(30)).until(() -> s.pendingWrites() == 2);
            release.countDown();
            assertThat(ids(f1.get(30, TimeUnit.SECONDS))).containsExactlyElementsOf(ids(first));
            assertThatThrownBy(f2::join).hasCauseInstanceOf(IllegalArgumentException.class);
        } finally {
            release.countDown();
            pool.shutdownNow();
        }
        assertThat(ids(all(s))).containsExactlyElementsOf(ids(first));
    }
}
