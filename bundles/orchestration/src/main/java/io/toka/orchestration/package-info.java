/**
 * Agents and orchestration: agent configurations (the original Toka YAML format), agents that really run — they ask
 * the LLM gateway what to do and call tools with a narrowed token — and sessions that run sets of agents in
 * priority and dependency order.
 */
@Export
@Version("2.1.0")
package io.toka.orchestration;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
