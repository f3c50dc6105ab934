/**
 * What a cluster provides to the agent runtime: {@link io.toka.orchestration.spi.RunLeases}, so that each durable
 * run and session is executed by exactly one node (a lease with a fencing epoch), and
 * {@link io.toka.orchestration.spi.TokenKeeper}, where the tokens of durable runs, queued tasks and sessions are kept
 * so that another node can resume them. Without a provider, the runtime keeps tokens in owner-only files and every
 * lease is its own (one node). Since 1.1 a provider may also place new runs on the least-loaded node, by handing
 * their leases over.
 */
@Export
@Version("1.1.0")
package io.toka.orchestration.spi;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
