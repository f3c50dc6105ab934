package io.toka.mcp.internal;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * One area of the protocol (lifecycle, tools, logging, subscriptions, ...): the methods it answers and what it adds
 * to the server's capabilities. A new area (resources, prompts) is one new class, listed in {@link McpServer}.
 */
interface McpArea {

    /** Registers the area's request and notification handlers. */
    void register(MethodTable table);

    /**
     * Adds the area's capabilities for a revision, e.g. {@code tools: {listChanged: true}}.
     *
     * @param revision the revision the capabilities are announced in
     * @param capabilities the server capabilities object to add to
     */
    default void capabilities(Revision revision, ObjectNode capabilities) {
    }
}
