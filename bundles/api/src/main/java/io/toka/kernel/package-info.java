/**
 * The Toka kernel: every operation is checked against a capability token and recorded as exactly one event.
 */
@Export
@Version("1.3.0")
package io.toka.kernel;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
