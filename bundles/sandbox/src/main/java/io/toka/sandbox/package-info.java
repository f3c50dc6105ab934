/**
 * The sandbox launcher: runs an external program (a tool script, a code snippet) isolated from the host.
 *
 * <p>{@link io.toka.sandbox.SandboxLauncher} is a service. A caller describes the run with a
 * {@link io.toka.sandbox.SandboxRequest} (argv, stdin, files for the private work directory, path grants,
 * {@link io.toka.sandbox.SandboxLimits}) and gets back a {@link io.toka.sandbox.SandboxResult}. What the host
 * can enforce is probed once at startup and reported as an {@link io.toka.sandbox.Isolation}.
 */
@Export
@Version("1.1.0")
package io.toka.sandbox;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
