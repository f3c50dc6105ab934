/**
 * The LLM gateway: one way to ask a language model, with tool calling, per-agent rate limits, retries, a request
 * sanitiser and usage accounting. Providers: Anthropic Messages API and OpenAI-compatible Chat Completions.
 */
@Export
@Version("1.0.0")
package io.toka.llm;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
