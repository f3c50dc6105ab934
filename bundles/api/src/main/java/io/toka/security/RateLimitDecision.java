package io.toka.security;

/**
 * The answer of a rate limiter for one request.
 *
 * @param allowed whether the request may proceed
 * @param limit requests allowed per minute ({@code X-RateLimit-Limit})
 * @param remaining requests left right now ({@code X-RateLimit-Remaining})
 * @param resetSeconds seconds until the bucket is full again ({@code X-RateLimit-Reset})
 * @param retryAfterSeconds when refused, seconds until one request is allowed ({@code Retry-After}); else 0
 */
public record RateLimitDecision(boolean allowed, long limit, long remaining, long resetSeconds, long retryAfterSeconds) {
}
