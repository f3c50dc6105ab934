package io.toka.runtime.internal.execution;

import io.toka.event.EventPayload;

/**
 * The kernel event for one execution, kind {@code code.executed}. Its components are the stored JSON payload.
 *
 * @param execution the execution id, as in the history (ids restart with the component)
 * @param model {@code code}, {@code tool} or {@code agent}
 * @param target the language, tool name or agent name
 * @param engine the engine that ran it
 * @param subject who ran it
 * @param success whether it succeeded
 * @param durationMs wall time in milliseconds
 * @param codeSha256 the SHA-256 of language and code (hex), or {@code null} for tools
 */
public record CodeExecuted(String execution, String model, String target, String engine, String subject,
        boolean success, long durationMs, String codeSha256) implements EventPayload {

    /** The event kind. */
    public static final String KIND = "code.executed";

    public CodeExecuted {
        if (model == null || model.isBlank() || target == null || target.isBlank()) {
            throw new IllegalArgumentException("model and target must not be blank");
        }
        if (durationMs < 0) {
            throw new IllegalArgumentException("durationMs must not be negative, not " + durationMs);
        }
    }

    @Override
    public String kind() {
        return KIND;
    }
}
