/**
 * The Toka tool SPI: what a tool bundle implements and registers.
 *
 * <p>A tool is an OSGi service of type {@link io.toka.tool.Tool} carrying the service property
 * {@link io.toka.tool.Tool#NAME}. The runtime's registry finds it, validates arguments against its
 * {@link io.toka.tool.ToolDescriptor#inputSchema() input schema}, enforces its timeout and turns every
 * failure into a {@link io.toka.tool.ToolResult}.
 */
@Export
@Version("1.2.0")
package io.toka.tool;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
