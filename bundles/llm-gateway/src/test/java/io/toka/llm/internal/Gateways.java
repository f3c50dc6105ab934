package io.toka.llm.internal;

import io.toka.llm.LlmException;
import io.toka.llm.LlmGateway;
import io.toka.llm.LlmMessage;
import io.toka.llm.LlmRequest;
import io.toka.llm.LlmTool;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/** Builds gateways and requests for the tests. */
final class Gateways {

    static final String ANTHROPIC_KEY = "sk-ant-api03-test0123456789abcdefghijklmnop";
    static final String OPENAI_KEY = "sk-proj-test0123456789abcdefghijklmnop";

    /** The waits the gateway asked for; they are really waited. */
    static final class RecordingSleeper implements HttpCaller.Sleeper {
        final List<Long> waits = new CopyOnWriteArrayList<>();

        @Override
        public void sleep(long millis) throws InterruptedException {
            waits.add(millis);
            Thread.sleep(millis);
        }
    }

    private Gateways() {
    }

    /** The configuration @interface with these values and the defaults for the rest. */
    static LlmConfig config(Map<String, ?> values) {
        return (LlmConfig) Proxy.newProxyInstance(LlmConfig.class.getClassLoader(), new Class<?>[] {LlmConfig.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("annotationType")) {
                        return LlmConfig.class;
                    }
                    if (method.getDeclaringClass() == Object.class) {
                        return method.getName().equals("toString") ? "LlmConfig" + values
                                : method.getName().equals("hashCode") ? System.identityHashCode(proxy)
                                : proxy == args[0];
                    }
                    Object v = values.get(method.getName());
                    return v != null ? v : method.getDefaultValue();
                });
    }

    static Settings settings(Map<String, ?> config, Map<String, String> env) {
        return Settings.resolve(config(config), env::get);
    }

    /** Settings for the fake: the provider, its key, short retry waits, no environment. */
    static Map<String, Object> fakeConfig(String provider, String url) {
        Map<String, Object> c = new HashMap<>();
        c.put("provider", provider);
        c.put("baseUrl", url);
        c.put("apiKey", provider.equals("anthropic") ? ANTHROPIC_KEY : OPENAI_KEY);
        c.put("model", provider.equals("anthropic") ? "claude-test" : "gpt-test");
        c.put("retryBaseMillis", 20L);
        c.put("retryMaxMillis", 200L);
        return c;
    }

    static String key(String provider) {
        return provider.equals("anthropic") ? ANTHROPIC_KEY : OPENAI_KEY;
    }

    static Settings withTimeout(Settings s, Duration timeout) {
        return new Settings(s.provider(), s.model(), s.baseUrl(), s.apiKey(), s.organization(),
                s.rateLimitPerMinute(), timeout, s.maxRetries(), s.retryBaseMillis(), s.retryMaxMillis(),
                s.anthropicVersion(), s.maxConcurrent(), s.agingMillis(), s.keyProblem());
    }

    static LlmGatewayImpl gateway(Settings settings, HttpCaller.Sleeper sleeper) {
        // jitter fixed at its top so waits are predictable: base, 2 x base, ...
        return new LlmGatewayImpl(settings, sleeper, bound -> bound);
    }

    static LlmRequest ask(String agent, String text) {
        return new LlmRequest(agent, null, List.of(LlmMessage.user(text)), List.of(), 256, 0.0);
    }

    static LlmTool fileReader() {
        return new LlmTool("file-reader", "Reads a file",
                "{\"type\":\"object\",\"properties\":{\"path\":{\"type\":\"string\"}},\"required\":[\"path\"]}");
    }

    /** The LlmException the request fails with; fails the test if it succeeds. */
    static LlmException failure(LlmGateway gateway, LlmRequest request) throws InterruptedException {
        try {
            gateway.complete(request);
        } catch (LlmException e) {
            return e;
        }
        throw new AssertionError("expected an LlmException");
    }
}
