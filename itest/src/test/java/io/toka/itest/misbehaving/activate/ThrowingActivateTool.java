package io.toka.itest.misbehaving.activate;

import io.toka.tool.Tool;
import io.toka.tool.ToolDescriptor;
import io.toka.tool.ToolInvocation;
import io.toka.tool.ToolResult;

/** A Declarative Services component (delayed, as bnd makes tool components) whose activate method throws. */
public final class ThrowingActivateTool implements Tool {

    /** Called by DS before the first call; fails as a tool with a missing configuration would. */
    public void activate() {
        throw new IllegalStateException("bad-activate needs a database URL and has none");
    }

    @Override
    public ToolDescriptor descriptor() {
        return ToolDescriptor.builder("bad-activate").description("fails to activate").build();
    }

    @Override
    public ToolResult invoke(ToolInvocation invocation) {
        return ToolResult.success("unreachable");
    }
}
