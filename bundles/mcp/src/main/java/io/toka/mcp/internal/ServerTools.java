package io.toka.mcp.internal;

import java.util.List;

/**
 * A source of {@link ServerTool}s, registered as an OSGi service inside this bundle by a component that needs an
 * optional Toka service (the agent tools need the orchestration bundle, which an MCP-only installation lacks).
 */
public interface ServerTools {

    List<ServerTool> tools();
}
