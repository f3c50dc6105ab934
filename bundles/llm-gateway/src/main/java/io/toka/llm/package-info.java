/**
 * The LLM gateway: one way to ask a language model, with tool calling, per-agent rate limits, one queue per provider
 * (a concurrency cap, ordered by the agent's priority with aging, agents of one priority taking turns), retries, a
 * request sanitiser and usage accounting. Providers: Anthropic Messages API and OpenAI-compatible Chat Completions.
 *
 * <p>1.1.0: {@link io.toka.llm.LlmRequest#priority()}, {@link io.toka.llm.LlmResponse#queueWaitMs()},
 * {@link io.toka.llm.LlmGateway#queueStats()}.
 */
@Export
@Version("1.1.0")
package io.toka.llm;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
