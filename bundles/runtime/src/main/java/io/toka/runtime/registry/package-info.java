/**
 * The tool registry: a live view of the {@link io.toka.tool.Tool} services, and the one way to call a tool.
 */
@Export
@Version("1.3.0")
package io.toka.runtime.registry;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
