package io.toka.bench.soak;

import com.fasterxml.jackson.databind.JsonNode;
import io.toka.bench.soak.Api.Failure;
import io.toka.bench.soak.Api.Reply;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The operations of the soak's mix, each a few REST calls whose answers are checked as a client would check them.
 * An operation returns when everything it saw was right and throws a {@link Failure} naming the first thing that
 * was not. Expected refusals (the revoked token's 401) are counted through {@link Stats#expected}.
 */
final class Operations {

    /** A WebAssembly module exporting add(i32, i32) -> i32. */
    static final String WASM_ADD = "AGFzbQEAAAABBwFgAn9/AX8DAgEABwcBA2FkZAAACgkBBwAgACABags=";
    static final Set<String> HELLO_VERSIONS = Set.of("1.0.0", "1.0.1");

    private final Api api;
    private final Stats stats;
    private final AtomicLong tokens = new AtomicLong();

    Operations(Api api, Stats stats) {
        this.api = api;
        this.stats = stats;
    }

    /** A call of the hot-deployed Java tool {@code hello}, which must answer from one of its two versions. */
    void hello() throws Failure {
        String name = "n" + ThreadLocalRandom.current().nextInt(1000);
        JsonNode b = call(api, "hello", Map.of("name", name));
        if (!HELLO_VERSIONS.contains(b.path("toolVersion").asText())) {
            throw new Failure("wrong-version", b.path("toolVersion").asText());
        }
        if (!b.path("output").asText().contains(name)) {
            throw new Failure("wrong-output", b.path("output").asText());
        }
    }

    /** A call of the built-in Java tool {@code file-reader} on the workspace's README. */
    void fileReader() throws Failure {
        JsonNode b = call(api, "file-reader", Map.of("path", "README.md"));
        if (b.path("output").asText().isEmpty()) {
            throw new Failure("empty-output", b.toString());
        }
    }

    /** A call of the script tool {@code word-count} (Python in the sandbox). */
    void wordCount() throws Failure {
        int words = 3 + ThreadLocalRandom.current().nextInt(20);
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < words; i++) {
            text.append(i == 0 ? "" : " ").append("w").append(i % 5);
        }
        JsonNode b = call(api, "word-count", Map.of("text", text.toString()));
        if (b.path("structured").path("words").asInt(-1) != words) {
            throw new Failure("wrong-output", b.path("structured").toString());
        }
    }

    /** One execution of dynamic code in a language, whose output must be the expected one. */
    void execute(String language) throws Failure {
        int a = ThreadLocalRandom.current().nextInt(1000);
        int b = ThreadLocalRandom.current().nextInt(1000);
        Map<String, Object> request = switch (language) {
            case "shell" -> Map.of("language", "shell", "code", "cat >/dev/null\necho $((" + a + " + " + b + "))");
            case "python" -> Map.of("language", "python",
                    "code", "import json,sys\nd = json.load(sys.stdin)\nprint(d['a'] + d['b'])",
                    "inputs", Map.of("a", a, "b", b));
            case "javascript" -> Map.of("language", "javascript", "code", "inputs.a + inputs.b",
                    "inputs", Map.of("a", a, "b", b));
            case "wasm" -> Map.of("language", "wasm", "code", WASM_ADD,
                    "inputs", Map.of("function", "add", "args", List.of(a, b)));
            default -> throw new IllegalArgumentException(language);
        };
        Reply r = api.post("/api/v1/executions", request);
        // 503 "busy" is the engine's back-pressure (its bounded queue is full), answered with Retry-After: 1. A
        // well-behaved client waits and retries; the retried refusal is counted apart, and only an execution still
        // refused after three tries is an error.
        for (int retry = 0; retry < 3 && r.status() == 503 && r.body().path("type").asText().endsWith(":busy");
                retry++) {
            stats.expected("exec-" + language, "busy-503-retried");
            try {
                Thread.sleep(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new Failure("interrupted", "waiting to retry a busy engine");
            }
            r = api.post("/api/v1/executions", request);
        }
        if (r.status() != 200) {
            throw new Failure("http-" + r.status(), r.body().toString());
        }
        if (!r.body().path("success").asBoolean()) {
            throw new Failure("failed", r.body().path("error").asText());
        }
        String out = r.body().path("output").asText();
        if (!out.contains(Integer.toString(a + b))) {
            throw new Failure("wrong-output", out);
        }
    }

    /**
     * A token's life: issued for {@code hello} only, used, revoked, then refused (the 401 is expected). One time in
     * {@code streamEvery}, an event stream opened with the token must end once it is revoked.
     */
    void tokenCycle(int streamEvery) throws Failure {
        long n = tokens.incrementAndGet();
        boolean withStream = streamEvery > 0 && n % streamEvery == 0;
        List<String> perms = withStream ? List.of("tool:invoke:hello", "event:read") : List.of("tool:invoke:hello");
        Reply issued = api.post("/api/v1/tokens", Map.of("subject", "soak-" + n, "permissions", perms, "ttlSeconds", 60));
        if (issued.status() != 201) {
            throw new Failure("issue-http-" + issued.status(), issued.body().toString());
        }
        String token = issued.body().path("token").asText();
        String jti = issued.body().path("jti").asText();
        Api holder = api.as(token);
        call(holder, "hello", Map.of("name", "t" + n));
        StreamEnd end = withStream ? StreamEnd.open(holder, "/api/v1/events/stream?kind=tool.invoked") : null;
        Reply revoked = api.delete("/api/v1/tokens/" + jti);
        if (revoked.status() != 200 || !jti.equals(revoked.body().path("revoked").asText())) {
            if (end != null) {
                end.close();
            }
            throw new Failure("revoke-http-" + revoked.status(), revoked.body().toString());
        }
        Reply after = holder.post("/api/v1/tools/hello/invoke", Map.of("arguments", Map.of("name", "late")));
        if (after.status() != 401) {
            if (end != null) {
                end.close();
            }
            throw new Failure("revoked-token-answered-" + after.status(), after.body().toString());
        }
        stats.expected("token", "revoked-refused-401");
        if (end != null) {
            if (!end.awaitEnd(5000)) {
                throw new Failure("stream-outlived-revocation", "open 5 s after the revocation");
            }
            stats.expected("token", "stream-ended-at-revocation");
        }
    }

    /**
     * The YAML of a soak agent: one task, the capability to read files (which covers {@code hello}, a tool that
     * requires nothing), so the fake model's call of {@code hello} is allowed.
     */
    static String agentYaml(String name) {
        return """
                metadata:
                  name: %s
                  version: v1.0.0
                  created: "2026-12-05"
                  workstream: Soak
                  branch: main
                spec:
                  name: Soak agent %s
                  domain: testing
                  priority: medium
                  description: Greets through the hello tool, for the soak test.
                capabilities:
                  primary: [greeting]
                objectives:
                  - description: Greet once
                    deliverable: one greeting from the hello tool
                    validation: the hello tool answered
                tasks:
                  default:
                    - description: Call the hello tool once with your name, then report the greeting
                      priority: medium
                dependencies:
                  required: {}
                  optional: {}
                reporting:
                  frequency: on-completion
                  channels: [kernel-events]
                  metrics:
                    - greetings: Number of greetings
                security:
                  sandbox: true
                  capabilities_required:
                    - filesystem:read
                  resource_limits:
                    max_memory: 64MB
                    max_cpu: 10%%
                    timeout: 2m
                """.formatted(name, name);
    }

    /** Defines an agent through the API (201, or 200/409 semantics are not used: names are fresh per unpack). */
    void defineAgent(String name) throws Failure {
        Reply r = api.postYaml("/api/v1/agents", agentYaml(name));
        if (r.status() != 201) {
            throw new Failure("define-http-" + r.status(), r.body().toString());
        }
    }

    /** One run of an agent, from the start request to its final state, which must be COMPLETED with success. */
    void agentRun(String name, long timeoutMillis) throws Failure {
        Reply started = api.post("/api/v1/agents/" + name + "/run", "");
        if (started.status() != 202) {
            throw new Failure("run-http-" + started.status(), started.body().toString());
        }
        String runId = started.body().path("runId").asText();
        long until = System.nanoTime() + timeoutMillis * 1_000_000L;
        long pause = 20;
        while (System.nanoTime() - until < 0) {
            sleep(pause);
            pause = Math.min(200, pause * 2);
            Reply r = api.get("/api/v1/agents/" + name);
            if (r.status() != 200) {
                throw new Failure("status-http-" + r.status(), r.body().toString());
            }
            JsonNode s = r.body().path("status");
            if (!runId.equals(s.path("runId").asText())) {
                throw new Failure("other-run", "expected run " + runId + ", found " + s.path("runId").asText());
            }
            String state = s.path("state").asText();
            switch (state) {
                case "COMPLETED" -> {
                    JsonNode tasks = s.path("tasks");
                    if (tasks.size() != 1 || !tasks.get(0).path("success").asBoolean() || tasks.get(0).path("toolCalls").asInt() != 1) {
                        throw new Failure("wrong-outcome", tasks.toString());
                    }
                    return;
                }
                case "FAILED", "TERMINATED" -> throw new Failure(state.toLowerCase(), s.path("message").asText() + " "
                        + s.path("tasks").toString());
                default -> {
                    // READY, RUNNING, PAUSED: still going
                }
            }
        }
        throw new Failure("timeout", "run " + runId + " of " + name + " not finished after " + timeoutMillis + " ms");
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The REST tool call of {@code tool}, which must answer 200 with success. */
    static JsonNode call(Api as, String tool, Map<String, Object> arguments) throws Failure {
        Reply r = as.post("/api/v1/tools/" + tool + "/invoke", Map.of("arguments", arguments));
        if (r.status() != 200) {
            throw new Failure("http-" + r.status(), r.body().toString());
        }
        if (!r.body().path("success").asBoolean()) {
            throw new Failure("failed", r.body().path("output").asText() + " " + r.body().path("error").asText());
        }
        return r.body();
    }

    /** An event stream that must end (the server closes it) within a bound. */
    private static final class StreamEnd {
        private final Thread reader;
        private final java.io.InputStream in;
        private volatile boolean ended;

        private StreamEnd(java.io.InputStream in) {
            this.in = in;
            this.reader = new Thread(() -> {
                try {
                    in.transferTo(java.io.OutputStream.nullOutputStream());
                    ended = true;
                } catch (java.io.IOException e) {
                    ended = true; // reset by the server: ended as well
                }
            }, "soak-revoked-stream");
            reader.setDaemon(true);
            reader.start();
        }

        static StreamEnd open(Api as, String path) throws Failure {
            return new StreamEnd(as.stream(path, null).body());
        }

        boolean awaitEnd(long millis) {
            try {
                reader.join(millis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (!ended) {
                close();
            }
            return ended;
        }

        void close() {
            try {
                in.close();
            } catch (java.io.IOException e) {
                // giving up on it
            }
        }
    }
}
