package io.toka.runtime.execution;

import java.time.Instant;

/**
 * One entry of the execution history.
 *
 * @param startedAt when it started
 * @param subject who ran it
 * @param model {@code code}, {@code tool} or {@code agent}
 * @param target the language, tool name or agent name
 * @param codeSha256 the SHA-256 of language and code (hex), for code; {@code null} otherwise
 * @param result the result
 */
public record ExecutionRecord(Instant startedAt, String subject, String model, String target, String codeSha256,
        ExecutionResult result) {
}
