package io.toka.runtime.registry;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import io.toka.security.AccessDeniedException;
import io.toka.security.SecurityContext;
import org.osgi.annotation.versioning.ProviderType;

/**
 * The live view of every {@link io.toka.tool.Tool} service, and the one way to call a tool.
 *
 * <p>Implemented by the runtime bundle; HTTP, shell and agents consume it. When two services share a name,
 * the one with the higher {@code service.ranking} wins, then the newer one (higher {@code service.id}); the
 * others are reported as shadowed. Every method is thread-safe.
 */
@ProviderType
public interface ToolRegistry {

    /**
     * The names of all tools, sorted. Reads service properties only, so no tool is activated.
     *
     * @return the names; never {@code null}
     */
    List<String> names();

    /**
     * All tools with their descriptors, sorted by name.
     *
     * @return the tools; never {@code null}. A tool whose descriptor cannot be read is left out and logged.
     */
    List<RegisteredTool> list();

    /**
     * One tool.
     *
     * @param name the tool name
     * @return the tool, or empty if no service carries that name (or its descriptor cannot be read)
     */
    Optional<RegisteredTool> find(String name);

    /**
     * Calls a tool. This is Toka's one policy point for tool calls, whatever entry point they come through: checks the
     * caller's token is still usable (not revoked, expired or outside its time windows), applies the caller's rate
     * limits (per subject, and per subject and tool when configured), finds the winning service, checks that the
     * caller holds {@code tool:invoke:<name>} and every permission the tool requires (the decision is audited),
     * validates the arguments against its input schema, runs it under its timeout on a registry thread, and records
     * a {@code tool.invoked} event. Never throws for a failure inside the tool: an exception, a
     * {@code null} result or a timeout all become a failed {@link ToolCallResult}, without stack traces.
     *
     * @param name the tool name
     * @param arguments the JSON arguments (String, Number, Boolean, List, Map or null values)
     * @param caller the authenticated caller; its subject is passed to the tool
     * @return the outcome
     * @throws UnknownToolException if no tool has that name
     * @throws io.toka.security.TokenStateException if the caller's token is no longer usable
     * @throws io.toka.security.RateLimitExceededException if a rate limit refuses the call
     * @throws AccessDeniedException if the caller lacks a permission; the message names it
     * @throws InvalidArgumentsException if the arguments do not satisfy the tool's input schema
     */
    ToolCallResult invoke(String name, Map<String, Object> arguments, SecurityContext caller)
            throws UnknownToolException, InvalidArgumentsException;

    /**
     * Calls a tool as {@link #invoke(String, Map, SecurityContext)} does, and also hands the tool's progress and log
     * messages to {@code options.observer()} and lets {@code options.cancellation()} cancel the call: the tool's
     * thread is interrupted and the result is {@link ToolCallResult.Status#CANCELLED}, recorded as such.
     *
     * @param name the tool name
     * @param arguments the JSON arguments
     * @param caller the authenticated caller
     * @param options the observer and cancellation signal
     * @return the outcome
     * @throws UnknownToolException if no tool has that name
     * @throws InvalidArgumentsException if the arguments do not satisfy the tool's input schema
     * @since 1.2
     */
    ToolCallResult invoke(String name, Map<String, Object> arguments, SecurityContext caller, CallOptions options)
            throws UnknownToolException, InvalidArgumentsException;

    /**
     * The tools the registry holds back or watches: a component that failed to activate, a tool quarantined after a
     * crash loop or an out-of-memory call, a tool whose calls overran their deadline and still hold threads. A
     * quarantined tool is left out of {@link #names()}, {@link #list()} and {@link #find}, and its calls fail with the
     * reason.
     *
     * @return the problems, sorted by tool name; never {@code null}
     * @since 1.3
     */
    default List<ToolProblem> problems() {
        return List.of();
    }
}
