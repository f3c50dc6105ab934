package io.toka.llm;

/**
 * What one agent has used.
 *
 * @param requests requests answered
 * @param failures requests that failed (after retries) or were refused
 * @param retries retries made
 * @param inputTokens prompt tokens
 * @param outputTokens reply tokens
 */
public record LlmUsage(long requests, long failures, long retries, long inputTokens, long outputTokens) {
}
