package io.toka.tools.nativ.internal;

import io.toka.tool.ToolInvocation;

/** Helpers for arguments shared by the native tools. */
final class Arguments {

    /**
     * JSON Schema fragment (without the closing brace) for a flag. The original tools took every argument as a
     * string, so "true" and "false" are accepted as well as JSON booleans.
     */
    static final String FLAG = "{\"type\": [\"boolean\", \"string\"], \"enum\": [true, false, \"true\", \"false\"]";

    private Arguments() {
    }

    /**
     * @param invocation the call
     * @param name the argument name
     * @return {@code true} if the argument is {@code true} or {@code "true"}; {@code false} if absent
     */
    static boolean flag(ToolInvocation invocation, String name) {
        Object v = invocation.arguments().get(name);
        return v instanceof Boolean b ? b : "true".equals(v);
    }
}
