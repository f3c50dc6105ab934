package io.toka.runtime.registry;

/** No tool has the requested name. */
public final class UnknownToolException extends ToolCallException {

    private static final long serialVersionUID = 1L;

    private final String toolName;

    /** @param toolName the name that was asked for */
    public UnknownToolException(String toolName) {
        super("unknown tool '" + toolName + "'");
        this.toolName = toolName;
    }

    /** @return the name that was asked for */
    public String toolName() {
        return toolName;
    }
}
