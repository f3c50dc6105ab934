package io.toka.orchestration.internal.config;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.toka.orchestration.AgentConfig;
import io.toka.orchestration.AgentConfigException;
import java.nio.charset.StandardCharsets;

/**
 * Fuzzes the agent configuration parser (the YAML of {@code POST /agents}, {@code toka:agent-define} and the
 * {@code etc/agents} folder): any text must give a configuration or an {@link AgentConfigException} listing at least
 * one problem, never another exception. The committed inputs are the shipped-spec reproductions plus the list forms.
 */
class AgentConfigFuzzTest {

    private static final AgentConfigParser PARSER = new AgentConfigParser();

    @FuzzTest(maxDuration = "30s")
    void yaml(byte[] input) {
        String text = new String(input, StandardCharsets.UTF_8);
        FuzzBounds.check("parse", () -> {
            try {
                AgentConfig c = PARSER.parse(text, "fuzz");
                if (c.name() == null || c.name().isBlank()) {
                    throw new AssertionError("a configuration without a name");
                }
            } catch (AgentConfigException e) {
                if (e.problems().isEmpty() || e.problems().stream().anyMatch(p -> p == null || p.isBlank())) {
                    throw new AssertionError("a refusal without problems: " + e.problems(), e);
                }
            }
        });
    }
}
