/**
 * External tools: scripts and executables described by YAML manifests, run in the sandbox.
 */
@Export
@Version("1.0.0")
package io.toka.tools.external;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
