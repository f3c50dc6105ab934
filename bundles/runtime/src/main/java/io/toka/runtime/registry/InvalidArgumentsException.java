package io.toka.runtime.registry;

import java.util.List;

/** The arguments do not satisfy the tool's input schema. */
public final class InvalidArgumentsException extends ToolCallException {

    private static final long serialVersionUID = 1L;

    private final List<String> violations;

    /**
     * @param toolName the tool
     * @param violations one line per violation, each naming the argument, e.g. {@code argument 'path': integer found, string expected}
     */
    public InvalidArgumentsException(String toolName, List<String> violations) {
        super("invalid arguments for tool '" + toolName + "': " + String.join("; ", violations));
        this.violations = List.copyOf(violations);
    }

    /** @return one line per violation */
    public List<String> violations() {
        return violations;
    }
}
