/**
 * The cluster as one Toka node sees it: the members, where they are, how loaded they are and which tools each has
 * deployed. Registered only by the cluster bundle, and only while clustering is configured.
 */
@Export
@Version("1.0.0")
package io.toka.cluster;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
