package io.toka.llm.internal;

import io.toka.llm.LlmUsage;
import java.util.concurrent.atomic.LongAdder;

/** One agent's running totals. */
final class AgentUsage {
    final LongAdder requests = new LongAdder();
    final LongAdder failures = new LongAdder();
    final LongAdder retries = new LongAdder();
    final LongAdder inputTokens = new LongAdder();
    final LongAdder outputTokens = new LongAdder();

    LlmUsage snapshot() {
        return new LlmUsage(requests.sum(), failures.sum(), retries.sum(), inputTokens.sum(), outputTokens.sum());
    }
}
