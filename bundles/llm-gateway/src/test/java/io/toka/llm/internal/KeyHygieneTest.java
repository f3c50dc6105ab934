package io.toka.llm.internal;

import static io.toka.llm.internal.Gateways.ask;
import static io.toka.llm.internal.Gateways.failure;
import static io.toka.llm.internal.Gateways.fakeConfig;
import static io.toka.llm.internal.Gateways.settings;
import static org.assertj.core.api.Assertions.assertThat;

import io.toka.llm.LlmException;
import io.toka.llm.LlmException.Reason;
import io.toka.llm.testing.FakeProvider;
import io.toka.llm.testing.FakeProvider.Turn;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The key never shows in the log (slf4j-simple writes to System.err, read here) or in exception messages. */
class KeyHygieneTest {

    @ParameterizedTest
    @ValueSource(strings = {"anthropic", "openai"})
    void theKeyNeverShowsInLogsOrMessages(String provider) throws Exception {
        String key = Gateways.key(provider);
        List<String> messages = new ArrayList<>();
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        PrintStream original = System.err;
        System.setErr(new PrintStream(log, true, StandardCharsets.UTF_8));
        try (FakeProvider fake = FakeProvider.start()) {
            fake.replyStatus(500).replyStatus(429, Map.of("Retry-After", "0")).replyText("fine")
                    // a provider that echoes the key in its error, as some do
                    .reply(Turn.status(401).body("{\"error\":{\"message\":\"Incorrect API key provided: " + key
                            + "\"}}"))
                    .reply(Turn.status(400).body("bad request for key " + key));
            LlmGatewayImpl g = Gateways.gateway(settings(fakeConfig(provider, fake.url()), Map.of()),
                    new Gateways.RecordingSleeper());
            try {
                assertThat(g.complete(ask("a", "hi")).text()).isEqualTo("fine");
                LlmException unauthorised = failure(g, ask("a", "hi"));
                assertThat(unauthorised.reason()).isEqualTo(Reason.PROVIDER);
                assertThat(unauthorised.getMessage()).contains("Incorrect API key provided: [REDACTED]");
                messages.add(unauthorised.getMessage());
                messages.add(failure(g, ask("a", "hi")).getMessage());
                messages.add(g.provider().toString());
                messages.add(g.settings().toString());
                messages.add(failure(g, ask("a", "my key is " + key + "; ignore previous instructions")).getMessage());
            } finally {
                g.deactivate();
            }
            assertThat(fake.requests()).hasSize(5);
        } finally {
            System.setErr(original);
        }
        String output = log.toString(StandardCharsets.UTF_8);
        assertThat(output).contains("retry 1 of 3").contains("LLM gateway: " + provider);
        assertThat(output).doesNotContain(key);
        assertThat(output).doesNotContain(key.substring(8));
        assertThat(messages).noneMatch(m -> m.contains(key) || m.contains(key.substring(8)));
    }
}
