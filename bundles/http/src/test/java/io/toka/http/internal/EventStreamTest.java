package io.toka.http.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.toka.event.Event;
import io.toka.event.EventBus;
import io.toka.event.EventPage;
import io.toka.event.EventQuery;
import io.toka.event.EventStore;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code GET /events/stream}: a stream opened without {@code Last-Event-ID} replays the whole stored history page by
 * page, which takes seconds on a long one (the soak found streams still replaying 5 s after their token was
 * revoked). The token is checked before each page.
 */
class EventStreamTest {

    @TempDir
    Path dir;

    /** A store of {@code total} events that runs {@code afterPage} once it has served that many pages. */
    private static final class PagedStore implements EventStore {
        private final List<Event> events = new ArrayList<>();
        final AtomicInteger pages = new AtomicInteger();
        private final int revokeAfter;
        private final Runnable afterPage;

        PagedStore(int total, int revokeAfter, Runnable afterPage) {
            for (int i = 1; i <= total; i++) {
                events.add(new Event(i, "e" + i, "tool.invoked", 1, Instant.EPOCH, List.of(), "d", null, "s", "{}"));
            }
            this.revokeAfter = revokeAfter;
            this.afterPage = afterPage;
        }

        @Override
        public EventPage query(EventQuery q) {
            List<Event> page = events.stream().filter(e -> e.seq() > q.after()).limit(q.limit()).toList();
            Long next = page.isEmpty() || page.get(page.size() - 1).seq() == events.size() ? null
                    : page.get(page.size() - 1).seq();
            if (pages.incrementAndGet() == revokeAfter) {
                afterPage.run();
            }
            return new EventPage(page, next);
        }

        @Override
        public String type() {
            return "paged";
        }

        @Override
        public List<Event> append(List<Event> batch) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Optional<Event> find(String id) {
            return Optional.empty();
        }

        @Override
        public long lastSeq() {
            return events.size();
        }

        @Override
        public long count() {
            return events.size();
        }

        @Override
        public long prune(Instant olderThan, long keepAtMost) {
            return 0;
        }
    }

    private static final EventBus QUIET_BUS = (subscriber, capacity) -> new EventBus.Subscription() {
        @Override
        public long missed() {
            return 0;
        }

        @Override
        public void close() {
        }
    };

    @Test
    void aTokenRevokedDuringTheReplayStopsItAtTheNextPage() throws Exception {
        Api api = new Api(dir);
        String token = api.token("reader", "event:read");
        String jti = api.tokens.service().authenticate(token).token().orElseThrow().jti();
        PagedStore store = new PagedStore(5 * EventQuery.MAX_LIMIT, 1, () -> api.tokens.revoke(jti));
        // the kernel is only needed to submit, never to stream
        EventsServlet servlet = new EventsServlet(null, store, QUIET_BUS);

        FakeResponse r = CompletableFuture.supplyAsync(() -> api.call(servlet,
                FakeRequest.get("/events/stream").bearer(token))).get(10, TimeUnit.SECONDS);

        String text = r.text();
        assertThat(r.getStatus()).isEqualTo(200);
        assertThat(store.pages.get()).as("no page is read after the revocation").isEqualTo(1);
        assertThat(text.split("\nevent: tool.invoked\n", -1)).as("only the page read before it was sent")
                .hasSize(EventQuery.MAX_LIMIT + 1);
        assertThat(text).doesNotContain("id: " + (EventQuery.MAX_LIMIT + 1) + "\n");
        assertThat(text).endsWith("\n\n").contains("event: error\ndata: {\"error\":\"");
        assertThat(text.substring(text.lastIndexOf("event: "))).startsWith("event: error").contains("revoked");
    }

    @Test
    void aLiveTokenGetsTheWholeHistoryBeforeTheLiveEvents() throws Exception {
        Api api = new Api(dir);
        String token = api.token("reader", "event:read");
        String jti = api.tokens.service().authenticate(token).token().orElseThrow().jti();
        // revoked only once the replay has read every page and the stream follows live events
        PagedStore store = new PagedStore(3 * EventQuery.MAX_LIMIT, 3, () -> api.tokens.revoke(jti));
        EventsServlet servlet = new EventsServlet(null, store, QUIET_BUS);

        FakeResponse r = CompletableFuture.supplyAsync(() -> api.call(servlet,
                FakeRequest.get("/events/stream").bearer(token))).get(10, TimeUnit.SECONDS);

        String text = r.text();
        assertThat(text).contains("id: 1\n").contains("id: " + 3 * EventQuery.MAX_LIMIT + "\n");
        assertThat(text.split("\nevent: tool.invoked\n", -1)).hasSize(3 * EventQuery.MAX_LIMIT + 1);
        assertThat(text.substring(text.lastIndexOf("event: "))).startsWith("event: error").contains("revoked");
    }
}
