package io.toka.llm.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class RetryPolicyTest {

    private final RetryPolicy policy = new RetryPolicy(5, 1000, 60000);
    private final Instant now = Instant.parse("2026-03-01T12:00:00Z");

    @Test
    void backoffDoublesWithEqualJitterUpToTheMaximum() {
        assertThat(policy.delayMillis(1, null, now, bound -> 0)).isEqualTo(500);
        assertThat(policy.delayMillis(1, null, now, bound -> bound)).isEqualTo(1000);
        assertThat(policy.delayMillis(3, null, now, bound -> bound)).isEqualTo(4000);
        assertThat(policy.delayMillis(3, null, now, bound -> 0)).isEqualTo(2000);
        assertThat(policy.delayMillis(10, null, now, bound -> bound)).isEqualTo(60000);
        assertThat(policy.delayMillis(100, null, now, bound -> bound)).isEqualTo(60000);
    }

    @Test
    void retryAfterWinsInSecondsOrAsADateAndIsCapped() {
        assertThat(policy.delayMillis(1, "7", now, bound -> bound)).isEqualTo(7000);
        assertThat(policy.delayMillis(1, "0", now, bound -> bound)).isZero();
        assertThat(policy.delayMillis(1, "86400", now, bound -> bound)).isEqualTo(60000);
        String date = DateTimeFormatter.RFC_1123_DATE_TIME.format(now.plusSeconds(12).atOffset(ZoneOffset.UTC));
        assertThat(policy.delayMillis(1, date, now, bound -> bound)).isEqualTo(12000);
        String past = DateTimeFormatter.RFC_1123_DATE_TIME.format(now.minusSeconds(12).atOffset(ZoneOffset.UTC));
        assertThat(policy.delayMillis(1, past, now, bound -> bound)).isZero();
        // unreadable: back to the backoff
        assertThat(policy.delayMillis(2, "soon", now, bound -> bound)).isEqualTo(2000);
        assertThat(RetryPolicy.retryAfterMillis("-3", now)).isEqualTo(OptionalLong.empty());
    }

    @Test
    void retryableStatuses() {
        assertThat(RetryPolicy.retryable(429)).isTrue();
        assertThat(RetryPolicy.retryable(500)).isTrue();
        assertThat(RetryPolicy.retryable(529)).isTrue();
        assertThat(RetryPolicy.retryable(400)).isFalse();
        assertThat(RetryPolicy.retryable(401)).isFalse();
        assertThat(RetryPolicy.retryable(404)).isFalse();
    }
}
