package io.toka.kernel.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.toka.event.Event;
import io.toka.event.EventPayload;
import io.toka.security.testing.TestTokens;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Several events posted as one group: one append, in order, stored before the call returns. */
class PostAllTest {

    @TempDir
    Path dir;
    ListEventStore store;
    KernelImpl kernel;

    @BeforeEach
    void start() {
        store = new ListEventStore();
        kernel = new KernelImpl(new TestTokens(dir).service(), store);
    }

    @AfterEach
    void stop() {
        kernel.deactivate();
    }

    @Test
    void aGroupIsStoredInOneAppendInOrderBeforeTheCallReturns() throws Exception {
        for (int round = 0; round < 20; round++) {
            int before = store.batchSizes().size();
            assertThat(kernel.postAllAndAwait(List.of(new EventPayload.AgentResumed("a" + round),
                    new EventPayload.AgentSuspended("a" + round, "x"), new EventPayload.AgentResumed("b" + round)),
                    Duration.ofSeconds(10))).isTrue();
            assertThat(store.batchSizes().subList(before, store.batchSizes().size())).as("round " + round)
                    .containsExactly(3);
        }
        List<Event> all = store.all();
        assertThat(all).hasSize(60);
        assertThat(all.subList(0, 3)).extracting(Event::kind).containsExactly("agent.resumed", "agent.suspended",
                "agent.resumed");
        assertThat(kernel.storeStatistics().pending()).isZero();
    }

    @Test
    void aFailedGroupIsNotStoredAndSaysSo() throws Exception {
        store.fail = true;
        assertThat(kernel.postAllAndAwait(List.of(new EventPayload.AgentResumed("a"),
                new EventPayload.AgentResumed("b")), Duration.ofSeconds(10))).isFalse();
        store.fail = false;
        assertThat(store.count()).isZero();
        assertThat(kernel.postAllAndAwait(List.of(), Duration.ofSeconds(1))).isTrue();
    }
}
