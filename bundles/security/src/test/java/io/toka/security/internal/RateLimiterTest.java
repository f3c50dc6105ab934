package io.toka.security.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.toka.security.RateLimitDecision;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Bucket4j limits per subject and per tool. Refill runs on System.nanoTime, so it is awaited, never slept for. */
class RateLimiterTest {

    @Test
    void burstIsAllowedThenRefused() {
        // 6 per minute: one token every 10 s, so nothing refills while the test runs
        RateLimiterImpl limiter = new RateLimiterImpl(6, 10, false, true, false);

        for (int i = 0; i < 10; i++) {
            RateLimitDecision d = limiter.tryAcquire("alice");
            assertThat(d.allowed()).as("request %d", i + 1).isTrue();
            assertThat(d.remaining()).isEqualTo(9 - i);
            assertThat(d.limit()).isEqualTo(6);
            assertThat(d.retryAfterSeconds()).isZero();
        }
        RateLimitDecision refused = limiter.tryAcquire("alice");

        assertThat(refused.allowed()).isFalse();
        assertThat(refused.remaining()).isZero();
        assertThat(refused.limit()).isEqualTo(6);
        assertThat(refused.retryAfterSeconds()).isBetween(1L, 10L);
        assertThat(refused.resetSeconds()).isBetween(90L, 100L); // ten tokens at 10 s each
        assertThat(limiter.tryAcquire("alice").allowed()).isFalse();
    }

    @Test
    void defaultsReportTheConfiguredRate() {
        RateLimiterImpl limiter = new RateLimiterImpl(100, 10, false, true, false);
        RateLimitDecision first = limiter.tryAcquire("alice");
        assertThat(first.limit()).isEqualTo(100);
        assertThat(first.remaining()).isEqualTo(9);
        assertThat(first.resetSeconds()).isBetween(1L, 6L);
    }

    @Test
    void subjectsAreIndependent() {
        RateLimiterImpl limiter = new RateLimiterImpl(1, 2, false, true, false);
        limiter.tryAcquire("alice");
        limiter.tryAcquire("alice");
        assertThat(limiter.tryAcquire("alice").allowed()).isFalse();

        RateLimitDecision bob = limiter.tryAcquire("bob");
        assertThat(bob.allowed()).isTrue();
        assertThat(bob.remaining()).isEqualTo(1);
        assertThat(limiter.bucketCount()).isEqualTo(2);
    }

    @Test
    void perToolBucketsAreIndependent() {
        RateLimiterImpl limiter = new RateLimiterImpl(1, 2, true, true, false);

        assertThat(limiter.tryAcquire("alice", "file-reader")).hasValueSatisfying(d -> assertThat(d.allowed()).isTrue());
        assertThat(limiter.tryAcquire("alice", "file-reader")).hasValueSatisfying(d -> assertThat(d.allowed()).isTrue());
        Optional<RateLimitDecision> third = limiter.tryAcquire("alice", "file-reader");
        assertThat(third).hasValueSatisfying(d -> {
            assertThat(d.allowed()).isFalse();
            assertThat(d.retryAfterSeconds()).isGreaterThanOrEqualTo(1);
        });

        assertThat(limiter.tryAcquire("alice", "shell")).hasValueSatisfying(d -> assertThat(d.allowed()).isTrue());
        assertThat(limiter.tryAcquire("bob", "file-reader")).hasValueSatisfying(d -> assertThat(d.allowed()).isTrue());
        // the subject's own bucket is separate from its tool buckets
        assertThat(limiter.tryAcquire("alice").remaining()).isEqualTo(1);
        // a subject and tool that would concatenate to the same key do not share a bucket
        assertThat(limiter.tryAcquire("alice:file", "reader")).hasValueSatisfying(d -> assertThat(d.remaining()).isEqualTo(1));
    }

    @Test
    void perToolIsEmptyWhenOff() {
        RateLimiterImpl limiter = new RateLimiterImpl(100, 10, false, true, false);
        assertThat(limiter.tryAcquire("alice", "file-reader")).isEmpty();
        assertThat(limiter.bucketCount()).isZero();
    }

    @Test
    void bucketRefillsAsTimePasses() {
        // 6000 per minute, burst 1: a token every 10 ms
        RateLimiterImpl limiter = new RateLimiterImpl(6000, 1, false, true, false);
        java.util.concurrent.atomic.AtomicReference<RateLimitDecision> last = new java.util.concurrent.atomic.AtomicReference<>();
        // two requests back to back: the second finds the bucket empty (unless 10 ms passed in between)
        await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(1)).until(() -> {
            limiter.tryAcquire("alice");
            last.set(limiter.tryAcquire("alice"));
            return !last.get().allowed();
        });
        assertThat(last.get().retryAfterSeconds()).isEqualTo(1); // 10 ms, rounded up to a whole second
        assertThat(last.get().remaining()).isZero();
        assertThat(last.get().limit()).isEqualTo(6000);

        await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(5))
                .until(() -> limiter.tryAcquire("alice").allowed());
    }

    @Test
    void sweepDropsFullBucketsOnly() {
        RateLimiterImpl fast = new RateLimiterImpl(6000, 1, true, true, false);
        fast.tryAcquire("alice");
        fast.tryAcquire("alice", "shell");
        assertThat(fast.bucketCount()).isEqualTo(2);
        await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(5)).until(() -> {
            fast.sweep();
            return fast.bucketCount() == 0;
        });

        RateLimiterImpl slow = new RateLimiterImpl(1, 5, false, true, false);
        slow.tryAcquire("alice");
        slow.tryAcquire("bob");
        slow.sweep();
        assertThat(slow.bucketCount()).isEqualTo(2);
        // a swept subject starts again with a full bucket
        fast.tryAcquire("carol");
        assertThat(fast.bucketCount()).isEqualTo(1);
    }

    @Test
    void disabledLimiterAlwaysAllows() {
        RateLimiterImpl limiter = new RateLimiterImpl(1, 1, true, false, false);
        for (int i = 0; i < 100; i++) {
            RateLimitDecision d = limiter.tryAcquire("alice");
            assertThat(d.allowed()).isTrue();
            assertThat(d.limit()).isEqualTo(1);
            assertThat(d.retryAfterSeconds()).isZero();
            assertThat(limiter.tryAcquire("alice", "shell")).hasValueSatisfying(x -> assertThat(x.allowed()).isTrue());
        }
        assertThat(limiter.bucketCount()).isZero();
    }

    @Test
    void invalidLimitsAreRejected() {
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> new RateLimiterImpl(0, 10, false, true, false));
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> new RateLimiterImpl(10, 0, false, true, false));
    }

    @Test
    void scheduledSweeperStopsOnDeactivate() {
        RateLimiterImpl limiter = new RateLimiterImpl(10, 10, false, true, true);
        assertThat(limiter.tryAcquire("alice").allowed()).isTrue();
        limiter.deactivate();
    }

    @Test
    void toolCallsHaveTheirOwnBucketPerSubjectWhateverTheEntryPoint() {
        RateLimiterImpl limiter = new RateLimiterImpl(1, 2, false, true, false);
        assertThat(limiter.tryAcquireCall("agent", "file-reader").allowed()).isTrue();
        assertThat(limiter.tryAcquireCall("agent", "file-lister").allowed()).isTrue();
        RateLimitDecision third = limiter.tryAcquireCall("agent", "file-reader");
        assertThat(third.allowed()).isFalse();
        assertThat(third.retryAfterSeconds()).isPositive();
        // HTTP requests are a separate bucket: an HTTP tool call takes one of each, never two of one
        assertThat(limiter.tryAcquire("agent").allowed()).isTrue();
        assertThat(limiter.tryAcquireCall("other", "file-reader").allowed()).isTrue();
    }

    @Test
    void perToolBucketsRefuseOneToolWithoutChargingTheSubject() {
        // 3 calls per subject at once, but only 1 of each tool
        RateLimiterImpl limiter = new RateLimiterImpl(1, 3, true, true, false, 1, 1);
        assertThat(limiter.tryAcquireCall("agent", "file-reader").allowed()).isTrue();
        RateLimitDecision refused = limiter.tryAcquireCall("agent", "file-reader");
        assertThat(refused.allowed()).isFalse();
        assertThat(refused.limit()).isEqualTo(1);
        // the refused call gave its subject token back: two more calls of other tools fit in the subject's burst
        assertThat(limiter.tryAcquireCall("agent", "file-lister").allowed()).isTrue();
        assertThat(limiter.tryAcquireCall("agent", "file-writer").allowed()).isTrue();
        assertThat(limiter.tryAcquireCall("agent", "date-validator").allowed()).isFalse();
    }

    @Test
    void disabledLimitsAdmitEveryCall() {
        RateLimiterImpl limiter = new RateLimiterImpl(1, 1, true, false, false);
        for (int i = 0; i < 5; i++) {
            assertThat(limiter.tryAcquireCall("agent", "file-reader").allowed()).isTrue();
        }
    }

    @Test
    void refusalsAreCountedByBucketKindAndAdmissionsAreNot() {
        RateLimiterImpl limiter = new RateLimiterImpl(1, 2, true, true, false);
        limiter.tryAcquire("alice");
        limiter.tryAcquire("alice");
        assertThat(limiter.refusals()).isEqualTo(new io.toka.security.RateLimiter.Refusals(0, 0));

        limiter.tryAcquire("alice");                 // request bucket empty
        limiter.tryAcquire("alice");
        limiter.tryAcquireCall("bob", "t1");         // admitted
        limiter.tryAcquireCall("bob", "t1");         // admitted (burst 2)
        limiter.tryAcquireCall("bob", "t1");         // refused by the call bucket
        limiter.tryAcquireCall("carol", "t1");
        limiter.tryAcquireCall("carol", "t2");
        limiter.tryAcquire("dave", "t3");
        limiter.tryAcquire("dave", "t3");
        limiter.tryAcquire("dave", "t3");            // refused by the per-tool bucket

        assertThat(limiter.refusals()).isEqualTo(new io.toka.security.RateLimiter.Refusals(2, 2));
    }

    @Test
    void aDisabledLimiterRefusesNothing() {
        RateLimiterImpl limiter = new RateLimiterImpl(1, 1, true, false, false);
        for (int i = 0; i < 5; i++) {
            limiter.tryAcquire("alice");
            limiter.tryAcquireCall("alice", "t");
        }
        assertThat(limiter.refusals()).isEqualTo(new io.toka.security.RateLimiter.Refusals(0, 0));
    }
}
