/**
 * Where the security state lives: the service provider interfaces that let the security bundle keep its signing keys,
 * revocations and token ledger, and its rate-limit buckets, in a store shared by several Toka nodes, without
 * depending on that store's bundle.
 *
 * <p>The security bundle ships the local implementation of {@link io.toka.security.spi.SecurityStateStore} (files
 * in its data directory) and keeps its buckets in memory; a cluster bundle may register a shared
 * {@link io.toka.security.spi.SecurityStateStore} (selected by configuration) and
 * {@link io.toka.security.spi.SharedRateBuckets} (used as soon as it is registered).
 */
@Export
@Version("1.0.0")
package io.toka.security.spi;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
