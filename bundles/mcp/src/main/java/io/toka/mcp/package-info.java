/**
 * Toka's MCP server: the {@link io.toka.mcp.McpSessions} service shows and ends the live sessions of the
 * {@code /mcp} endpoint.
 */
@Export
@Version("1.0.0")
package io.toka.mcp;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
