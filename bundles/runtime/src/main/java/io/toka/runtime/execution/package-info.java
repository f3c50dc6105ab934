/**
 * One runtime for every execution model: dynamic code (shell, Python, JavaScript, WebAssembly and any language a
 * bundle contributes), tool execution and agent workflows.
 *
 * <p>Callers use the {@link io.toka.runtime.execution.RuntimeManager} service. Languages are
 * {@link io.toka.runtime.execution.ExecutionEngine} whiteboard services, discovered live.
 */
@Export
@Version("1.0.0")
package io.toka.runtime.execution;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
