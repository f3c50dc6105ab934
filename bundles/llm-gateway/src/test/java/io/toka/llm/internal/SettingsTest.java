package io.toka.llm.internal;

import static io.toka.llm.internal.Gateways.ask;
import static io.toka.llm.internal.Gateways.failure;
import static io.toka.llm.internal.Gateways.settings;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.toka.llm.LlmException;
import io.toka.llm.LlmException.Reason;
import io.toka.llm.LlmGateway;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Dictionary;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;

/** Configuration first, then the original environment variables, then the defaults. */
class SettingsTest {

    @Test
    void defaultsWithNothingSetAreAnthropicWithoutAKey() {
        Settings s = settings(Map.of(), Map.of());
        assertThat(s.provider()).isEqualTo("anthropic");
        assertThat(s.model()).isEqualTo(Settings.ANTHROPIC_MODEL);
        assertThat(s.baseUrl()).hasToString("https://api.anthropic.com");
        assertThat(s.endpoint()).hasToString("https://api.anthropic.com/v1/messages");
        assertThat(s.rateLimitPerMinute()).isEqualTo(60);
        assertThat(s.timeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(s.maxRetries()).isEqualTo(3);
        assertThat(s.retryBaseMillis()).isEqualTo(1000);
        assertThat(s.retryMaxMillis()).isEqualTo(60000);
        assertThat(s.anthropicVersion()).isEqualTo("2023-06-01");
        assertThat(s.keyProblem()).isEqualTo("ANTHROPIC_API_KEY required for Anthropic provider (or set apiKey in "
                + "etc/io.toka.llm.cfg)");
    }

    @Test
    void theGatewayStartsWithoutAKeyAndEveryRequestNamesTheVariable() throws Exception {
        LlmGatewayImpl g = LlmGatewayImpl.create(settings(Map.of(), Map.of()));
        try {
            LlmException e = failure(g, ask("a", "hi"));
            assertThat(e.reason()).isEqualTo(Reason.CONFIGURATION);
            assertThat(e.getMessage()).isEqualTo("ANTHROPIC_API_KEY required for Anthropic provider (or set apiKey "
                    + "in etc/io.toka.llm.cfg)");
            assertThat(g.usage().get("a").failures()).isEqualTo(1);
        } finally {
            g.deactivate();
        }
    }

    @Test
    void openAiWithoutAKeyNamesItsVariable() {
        assertThat(settings(Map.of("provider", "openai"), Map.of()).keyProblem())
                .isEqualTo("OPENAI_API_KEY required for OpenAI provider (or set apiKey in etc/io.toka.llm.cfg)");
    }

    @Test
    void theOriginalKeyPrefixChecksHoldForTheOfficialHostsOnly() {
        assertThat(settings(Map.of(), Map.of("ANTHROPIC_API_KEY", "abc")).keyProblem())
                .isEqualTo("Invalid Anthropic API key format: it must start with sk-ant- (check ANTHROPIC_API_KEY or "
                        + "apiKey in etc/io.toka.llm.cfg)");
        assertThat(settings(Map.of("provider", "openai"), Map.of("OPENAI_API_KEY", "abc")).keyProblem())
                .startsWith("Invalid OpenAI API key format: it must start with sk-");
        assertThat(settings(Map.of("baseUrl", "https://proxy.internal"), Map.of("ANTHROPIC_API_KEY", "abc"))
                .keyProblem()).isNull();
    }

    @Test
    void anOpenAiCompatibleServerElsewhereNeedsNoKey() {
        Settings s = settings(Map.of("provider", "openai", "baseUrl", "http://127.0.0.1:11434/v1"), Map.of());
        assertThat(s.keyProblem()).isNull();
        assertThat(s.apiKey()).isEmpty();
        assertThat(s.endpoint()).hasToString("http://127.0.0.1:11434/v1/chat/completions");
    }

    @Test
    void theEnvironmentFillsWhatTheConfigurationLeavesOut() {
        Settings s = settings(Map.of(), Map.of("LLM_PROVIDER", "openai", "LLM_MODEL", "llama3.1",
                "LLM_BASE_URL", "http://127.0.0.1:8000/", "OPENAI_API_KEY", "sk-local", "LLM_RATE_LIMIT", "5",
                "LLM_TIMEOUT", "7", "OPENAI_ORGANIZATION", "org-1"));
        assertThat(s.provider()).isEqualTo("openai");
        assertThat(s.model()).isEqualTo("llama3.1");
        assertThat(s.baseUrl()).hasToString("http://127.0.0.1:8000");
        assertThat(s.apiKey()).isEqualTo("sk-local");
        assertThat(s.organization()).isEqualTo("org-1");
        assertThat(s.rateLimitPerMinute()).isEqualTo(5);
        assertThat(s.timeout()).isEqualTo(Duration.ofSeconds(7));
    }

    @Test
    void theConfigurationWinsOverTheEnvironment() {
        Settings s = settings(Map.of("provider", "anthropic", "model", "claude-x", "apiKey", "sk-ant-config",
                "rateLimitPerMinute", 9, "timeoutSeconds", 3), Map.of("LLM_PROVIDER", "openai", "LLM_MODEL", "m",
                        "ANTHROPIC_API_KEY", "sk-ant-env", "LLM_RATE_LIMIT", "5", "LLM_TIMEOUT", "7"));
        assertThat(s.provider()).isEqualTo("anthropic");
        assertThat(s.model()).isEqualTo("claude-x");
        assertThat(s.apiKey()).isEqualTo("sk-ant-config");
        assertThat(s.rateLimitPerMinute()).isEqualTo(9);
        assertThat(s.timeout()).isEqualTo(Duration.ofSeconds(3));
    }

    @Test
    void theProviderIsInferredFromWhichKeyIsSetAsTheOriginalDid() {
        assertThat(settings(Map.of(), Map.of("OPENAI_API_KEY", "sk-1")).provider()).isEqualTo("openai");
        assertThat(settings(Map.of(), Map.of("OPENAI_API_KEY", "sk-1", "ANTHROPIC_API_KEY", "sk-ant-1")).provider())
                .isEqualTo("anthropic");
        assertThat(settings(Map.of(), Map.of("ANTHROPIC_API_KEY", "sk-ant-1")).model())
                .isEqualTo(Settings.ANTHROPIC_MODEL);
        assertThat(settings(Map.of(), Map.of("OPENAI_API_KEY", "sk-1")).model()).isEqualTo(Settings.OPENAI_MODEL);
        Settings local = settings(Map.of(), Map.of("LOCAL_LLM_ENDPOINT", "http://127.0.0.1:8080",
                "LOCAL_LLM_AUTH_TOKEN", "t"));
        assertThat(local.provider()).isEqualTo("openai");
        assertThat(local.model()).isEqualTo("local-model");
        assertThat(local.apiKey()).isEqualTo("t");
        assertThat(local.baseUrl()).hasToString("http://127.0.0.1:8080");
        assertThat(settings(Map.of("provider", "local"), Map.of()).keyProblem())
                .isEqualTo("LOCAL_LLM_ENDPOINT required for local provider (or set baseUrl in etc/io.toka.llm.cfg)");
    }

    @Test
    void badValuesAreRefusedWithAMessageNamingThem() {
        assertThatThrownBy(() -> settings(Map.of(), Map.of("LLM_RATE_LIMIT", "0")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("The rate limit must be a positive number of requests per minute per agent, not 0 "
                        + "(from LLM_RATE_LIMIT)");
        assertThatThrownBy(() -> settings(Map.of("rateLimitPerMinute", 0), Map.of()))
                .hasMessageEndingWith("not 0 (from rateLimitPerMinute)");
        assertThatThrownBy(() -> settings(Map.of(), Map.of("LLM_RATE_LIMIT", "lots")))
                .hasMessage("LLM_RATE_LIMIT must be a whole number, not 'lots'");
        assertThatThrownBy(() -> settings(Map.of(), Map.of("LLM_TIMEOUT", "0")))
                .hasMessage("The timeout must be a positive number of seconds, not 0 (from LLM_TIMEOUT)");
        assertThatThrownBy(() -> settings(Map.of(), Map.of("LLM_PROVIDER", "gemini")))
                .hasMessage("Unknown LLM provider: gemini (from LLM_PROVIDER). Supported: anthropic, openai, local");
        assertThatThrownBy(() -> settings(Map.of("baseUrl", "ftp://x"), Map.of()))
                .hasMessageStartingWith("baseUrl must be an http or https URL");
        assertThatThrownBy(() -> settings(Map.of("maxRetries", -1), Map.of()))
                .hasMessage("maxRetries must be between 0 and 20, not -1");
        assertThatThrownBy(() -> settings(Map.of("retryBaseMillis", 100L, "retryMaxMillis", 10L), Map.of()))
                .hasMessageStartingWith("retryBaseMillis must be positive");
        assertThatThrownBy(() -> settings(Map.of("maxConcurrent", 0), Map.of()))
                .hasMessage("maxConcurrent must be between 1 and 1024 model calls at once, not 0");
        assertThatThrownBy(() -> settings(Map.of("maxConcurrent", 1025), Map.of()))
                .hasMessage("maxConcurrent must be between 1 and 1024 model calls at once, not 1025");
        assertThatThrownBy(() -> settings(Map.of("agingMillis", 0L), Map.of()))
                .hasMessage("agingMillis must be between 1 and 86400000 (one day), not 0");
        assertThatThrownBy(() -> settings(Map.of("agingMillis", 86_400_001L), Map.of()))
                .hasMessage("agingMillis must be between 1 and 86400000 (one day), not 86400001");
    }

    @Test
    void theQueueDefaultsToEightCallsAtOnceAndTenSecondsOfAging() {
        Settings s = settings(Map.of(), Map.of());
        assertThat(s.maxConcurrent()).isEqualTo(8);
        assertThat(s.agingMillis()).isEqualTo(10_000);
        Settings set = settings(Map.of("maxConcurrent", 2, "agingMillis", 500L), Map.of());
        assertThat(set.maxConcurrent()).isEqualTo(2);
        assertThat(set.agingMillis()).isEqualTo(500);
    }

    @Test
    void toStringNeverShowsTheKey() {
        Settings s = settings(Map.of("apiKey", Gateways.ANTHROPIC_KEY), Map.of());
        assertThat(s.toString()).doesNotContain(Gateways.ANTHROPIC_KEY).contains("apiKey=****");
    }

    @Test
    void activationRegistersTheServiceWithoutConfigurationProperties() {
        List<Object[]> registrations = new ArrayList<>();
        ServiceRegistration<?> registration = (ServiceRegistration<?>) Proxy.newProxyInstance(
                getClass().getClassLoader(), new Class<?>[] {ServiceRegistration.class}, (p, m, a) -> {
                    registrations.add(new Object[] {"unregister"});
                    return null;
                });
        BundleContext context = (BundleContext) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {BundleContext.class}, (p, m, a) -> {
                    if (m.getName().equals("registerService")) {
                        registrations.add(a);
                        return registration;
                    }
                    throw new UnsupportedOperationException(m.getName());
                });
        LlmGatewayImpl g = new LlmGatewayImpl(context, Gateways.config(Map.of("provider", "anthropic",
                "model", "claude-m", "apiKey", Gateways.ANTHROPIC_KEY, "baseUrl", "http://127.0.0.1:9")));
        assertThat(registrations).hasSize(1);
        assertThat(registrations.get(0)[0]).isEqualTo(LlmGateway.class);
        assertThat((Dictionary<?, ?>) registrations.get(0)[2]).isNull();
        assertThat(g.provider()).isEqualTo(new LlmGateway.ProviderInfo("anthropic", "claude-m",
                "http://127.0.0.1:9"));
        g.deactivate();
        g.deactivate();
        assertThat(registrations).hasSize(2);
    }
}
