package io.toka.runtime.registry;

import io.toka.tool.CallObserver;
import java.util.Objects;

/**
 * How an entry point wants to follow one tool call: who hears its progress and log messages, and how it may be
 * cancelled.
 *
 * @param observer hears the tool's progress and log messages; never {@code null}
 * @param cancellation cancels the call when signalled; {@code null} when the call cannot be cancelled
 */
public record CallOptions(CallObserver observer, CancellationSignal cancellation) {

    /** No observer, no cancellation: what {@link ToolRegistry#invoke(String, java.util.Map,
     * io.toka.security.SecurityContext)} uses. */
    public static final CallOptions NONE = new CallOptions(CallObserver.NONE, null);

    public CallOptions {
        Objects.requireNonNull(observer, "observer");
    }
}
