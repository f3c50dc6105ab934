package io.toka.tool;

import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * One call of a tool: its arguments, who is calling, and by when the call must be done. Immutable.
 */
public final class ToolInvocation {

    /** Caller identity used when nobody authenticated, e.g. in unit tests. */
    public static final String ANONYMOUS = "anonymous";

    private final Map<String, Object> arguments;
    private final String caller;
    private final Instant deadline;
    private final CallObserver observer;

    /**
     * @param arguments the JSON arguments (String, Number, Boolean, List, Map values, or {@code null});
     *     copied, must not be {@code null}
     * @param caller the caller's identity (a token subject, or {@link #ANONYMOUS}); must not be blank
     * @param deadline the instant by which the call must finish; must not be {@code null}
     * @throws IllegalArgumentException if the caller is blank
     */
    public ToolInvocation(Map<String, Object> arguments, String caller, Instant deadline) {
        this(arguments, caller, deadline, CallObserver.NONE);
    }

    /**
     * @param arguments the JSON arguments; copied, must not be {@code null}
     * @param caller the caller's identity; must not be blank
     * @param deadline the instant by which the call must finish; must not be {@code null}
     * @param observer who hears the call's progress and log messages; must not be {@code null}
     * @throws IllegalArgumentException if the caller is blank
     * @since 1.2
     */
    public ToolInvocation(Map<String, Object> arguments, String caller, Instant deadline, CallObserver observer) {
        Objects.requireNonNull(arguments, "arguments");
        Objects.requireNonNull(caller, "caller");
        if (caller.isBlank()) {
            throw new IllegalArgumentException("caller must not be blank");
        }
        this.arguments = Collections.unmodifiableMap(new LinkedHashMap<>(arguments));
        this.caller = caller;
        this.deadline = Objects.requireNonNull(deadline, "deadline");
        this.observer = Objects.requireNonNull(observer, "observer");
    }

    /**
     * An anonymous invocation with a deadline {@code timeout} from now; convenient in tests.
     *
     * @param arguments the arguments
     * @param timeout how long the call may take
     * @return the invocation
     */
    public static ToolInvocation of(Map<String, Object> arguments, Duration timeout) {
        return new ToolInvocation(arguments, ANONYMOUS, Instant.now().plus(timeout));
    }

    /** @return the arguments, unmodifiable; never {@code null} */
    public Map<String, Object> arguments() {
        return arguments;
    }

    /** @return the caller's identity; never {@code null} */
    public String caller() {
        return caller;
    }

    /** @return the instant by which the call must finish */
    public Instant deadline() {
        return deadline;
    }

    /** @return the time left until the deadline, zero if it has passed */
    public Duration remaining() {
        Duration left = Duration.between(Instant.now(), deadline);
        return left.isNegative() ? Duration.ZERO : left;
    }

    /**
     * Reports how far the call is. The caller may see it (MCP {@code notifications/progress}) or not.
     *
     * @param progress how far; should increase with every report
     * @param total the total, or {@code null} when unknown
     * @param message a short status, or {@code null}
     * @since 1.2
     */
    public void progress(double progress, Double total, String message) {
        try {
            observer.progress(progress, total, message);
        } catch (RuntimeException e) {
            // an observer must not break the tool
        }
    }

    /**
     * Sends a log message to the caller (MCP {@code notifications/message}), if it listens at that level.
     *
     * @param level the severity
     * @param message the message
     * @since 1.2
     */
    public void log(CallObserver.LogLevel level, String message) {
        try {
            observer.log(level, message);
        } catch (RuntimeException e) {
            // an observer must not break the tool
        }
    }

    /**
     * A string argument.
     *
     * @param name the argument name
     * @return the value, or {@code null} if absent
     * @throws ToolException if the argument is present but not a string
     */
    public String stringArgument(String name) throws ToolException {
        Object v = arguments.get(name);
        if (v == null || v instanceof String) {
            return (String) v;
        }
        throw new ToolException("argument '" + name + "' must be a string");
    }

    /**
     * A boolean argument.
     *
     * @param name the argument name
     * @param defaultValue the value when the argument is absent
     * @return the value
     * @throws ToolException if the argument is present but not a boolean
     */
    public boolean booleanArgument(String name, boolean defaultValue) throws ToolException {
        Object v = arguments.get(name);
        if (v == null) {
            return defaultValue;
        }
        if (v instanceof Boolean b) {
            return b;
        }
        throw new ToolException("argument '" + name + "' must be a boolean");
    }

    @Override
    public String toString() {
        return "ToolInvocation[caller=" + caller + ", deadline=" + deadline + ", arguments=" + arguments.keySet() + "]";
    }
}
