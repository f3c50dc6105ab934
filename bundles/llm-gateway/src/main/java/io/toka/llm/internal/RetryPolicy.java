package io.toka.llm.internal;

import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.OptionalLong;
import java.util.function.LongUnaryOperator;

/**
 * When to retry and how long to wait: exponential backoff with equal jitter, unless the provider said how long in
 * {@code Retry-After}.
 *
 * @param maxRetries further attempts after the first
 * @param baseMillis the first delay before jitter
 * @param maxMillis the longest delay, also the cap on Retry-After
 */
record RetryPolicy(int maxRetries, long baseMillis, long maxMillis) {

    /** 429, and any 5xx (Anthropic's 529 "overloaded" included). */
    static boolean retryable(int status) {
        return status == 429 || (status >= 500 && status <= 599);
    }

    /**
     * @param retry 1 for the first retry
     * @param retryAfter the Retry-After header, or {@code null}
     * @param now the current time, for an HTTP-date Retry-After
     * @param random returns a value in {@code [0, bound]} for a bound; the jitter source
     * @return milliseconds to wait
     */
    long delayMillis(int retry, String retryAfter, Instant now, LongUnaryOperator random) {
        OptionalLong told = retryAfterMillis(retryAfter, now);
        if (told.isPresent()) {
            return Math.min(maxMillis, told.getAsLong());
        }
        long exponential = retry - 1 >= 62 ? maxMillis : Math.min(maxMillis, baseMillis << (retry - 1));
        if (exponential < 0) {
            exponential = maxMillis;
        }
        // Equal jitter: never less than half the step, so a crowd of agents spreads out without hammering at zero.
        long half = exponential / 2;
        return half + random.applyAsLong(exponential - half);
    }

    /** Retry-After in delta-seconds or as an HTTP-date; empty when absent or unreadable. */
    static OptionalLong retryAfterMillis(String value, Instant now) {
        if (value == null || value.isBlank()) {
            return OptionalLong.empty();
        }
        String v = value.trim();
        try {
            long seconds = Long.parseLong(v);
            return seconds < 0 ? OptionalLong.empty() : OptionalLong.of(Math.multiplyExact(seconds, 1000L));
        } catch (NumberFormatException | ArithmeticException e) {
            // not delta-seconds: try a date
        }
        try {
            Instant at = ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
            return OptionalLong.of(Math.max(0, Duration.between(now, at).toMillis()));
        } catch (DateTimeParseException e) {
            return OptionalLong.empty();
        }
    }
}
