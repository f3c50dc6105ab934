package io.toka.llm.testing;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * A small stand-in for an LLM provider, for tests: an HTTP server on 127.0.0.1 that speaks both the Anthropic Messages
 * API ({@code POST /v1/messages}) and OpenAI Chat Completions ({@code POST /v1/chat/completions}) and replays a
 * script of turns, tool calls included. Whichever path a request comes in on, the turn is answered in that format.
 *
 * <pre>
 * try (FakeProvider fake = FakeProvider.start()) {
 *     fake.replyToolCall("file-reader", Map.of("path", "a.txt")).replyText("done");
 *     // point the gateway at fake.url(), run the agent
 *     assertThat(fake.requests()).hasSize(2);
 *     assertThat(fake.requests().get(1).body().at("/messages/2/content/0/type").asText()).isEqualTo("tool_result");
 *     assertThat(fake.problems()).isEmpty();
 * }
 * </pre>
 *
 * <p>It checks what the real services check and answers violations the way they do (status and error body), so a
 * client that passes here is likely to pass there: the auth headers ({@code x-api-key} and
 * {@code anthropic-version}; {@code Authorization: Bearer} when {@link #expectKey} is set), required fields, roles,
 * block types, tool definitions, and that every tool call is answered by a result with its id in the next message
 * (and no result without its call). Each violation, failed {@link Turn#expect} check or request beyond the script is
 * answered with an error and listed in {@link #problems()}. Requests are recorded whether or not they pass.
 *
 * <p>Thread-safe; answers concurrent requests in script order of arrival.
 */
public final class FakeProvider implements AutoCloseable {

    /** The Anthropic path. */
    public static final String ANTHROPIC_PATH = "/v1/messages";
    /** The OpenAI path. */
    public static final String OPENAI_PATH = "/v1/chat/completions";

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern TOOL_NAME = Pattern.compile("[a-zA-Z0-9_-]{1,64}");

    private final HttpServer server;
    private final ExecutorService threads;
    private final Queue<Turn> script = new ConcurrentLinkedQueue<>();
    private final List<Recorded> requests = new CopyOnWriteArrayList<>();
    private final List<String> problems = new CopyOnWriteArrayList<>();
    private final CountDownLatch closed = new CountDownLatch(1);
    private final AtomicInteger ids = new AtomicInteger();
    private volatile String expectedKey;

    private FakeProvider() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        threads = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "fake-llm-provider");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(threads);
        server.createContext("/", this::handle);
        server.start();
    }

    /** Starts a fake on 127.0.0.1 and a free port. */
    public static FakeProvider start() {
        try {
            return new FakeProvider();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The base URL, e.g. {@code http://127.0.0.1:41234}; the paths are {@code /v1/...} under it. */
    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /**
     * Requires this key: {@code x-api-key} (Anthropic) or {@code Authorization: Bearer} (OpenAI). Without it, any
     * non-empty {@code x-api-key} passes and OpenAI requests need no key (as Ollama).
     */
    public FakeProvider expectKey(String key) {
        this.expectedKey = key;
        return this;
    }

    /** Queues a turn. */
    public FakeProvider reply(Turn turn) {
        script.add(turn);
        return this;
    }

    /** Queues a text reply ({@code end_turn}). */
    public FakeProvider replyText(String text) {
        return reply(Turn.text(text));
    }

    /** Queues a reply that is one tool call ({@code tool_use}), with a generated id. */
    public FakeProvider replyToolCall(String tool, Map<String, ?> input) {
        return reply(Turn.toolCall(tool, input));
    }

    /** Queues an error status with the provider's error body. */
    public FakeProvider replyStatus(int status) {
        return reply(Turn.status(status));
    }

    /** Queues an error status with headers, e.g. {@code Map.of("Retry-After", "1")}. */
    public FakeProvider replyStatus(int status, Map<String, String> headers) {
        Turn turn = Turn.status(status);
        headers.forEach(turn::header);
        return reply(turn);
    }

    /** Every request received, in order, including refused ones. */
    public List<Recorded> requests() {
        return List.copyOf(requests);
    }

    /** The last request; fails if there was none. */
    public Recorded lastRequest() {
        if (requests.isEmpty()) {
            throw new AssertionError("the fake provider received no request");
        }
        return requests.get(requests.size() - 1);
    }

    /** Turns not used yet. */
    public int pending() {
        return script.size();
    }

    /** Protocol violations, failed {@link Turn#expect} checks and requests beyond the script, in order. */
    public List<String> problems() {
        return List.copyOf(problems);
    }

    /** Stops the server; delayed turns end at once. */
    @Override
    public void close() {
        closed.countDown();
        server.stop(0);
        threads.shutdownNow();
    }

    /**
     * A request as received.
     *
     * @param format {@code anthropic} or {@code openai}, by path ({@code null} for any other path)
     * @param path the request path
     * @param headers the headers, names in lower case
     * @param body the parsed body, or a text node holding the raw body if it was not JSON
     */
    public record Recorded(String format, String path, Map<String, List<String>> headers, JsonNode body) {

        /** The first value of a header (any case), or {@code null}. */
        public String header(String name) {
            List<String> values = headers.get(name.toLowerCase(Locale.ROOT));
            return values == null || values.isEmpty() ? null : values.get(0);
        }

        /** The text at a JSON pointer in the body, e.g. {@code /messages/0/role}; empty when missing. */
        public String at(String pointer) {
            return body.at(pointer).asText("");
        }
    }

    /** One scripted answer: a reply (text and/or tool calls), an error status, or raw bytes. */
    public static final class Turn {
        private final int status;
        private final List<Object[]> blocks = new ArrayList<>(); // {"text", text} or {"tool", id, name, input, raw}
        private final Map<String, String> headers = new LinkedHashMap<>();
        private String body;
        private byte[] raw;
        private String contentType = "application/json";
        private String stopReason;
        private long inputTokens = -1;
        private long outputTokens = -1;
        private Duration delay = Duration.ZERO;
        private boolean chunked;
        private Consumer<Recorded> check;

        private Turn(int status) {
            this.status = status;
        }

        /** A text reply. */
        public static Turn text(String text) {
            return new Turn(200).andText(text);
        }

        /** A reply that is one tool call. */
        public static Turn toolCall(String tool, Map<String, ?> input) {
            return new Turn(200).andToolCall(null, tool, input);
        }

        /** An error status; the body is the provider's error JSON unless {@link #body} sets one. */
        public static Turn status(int status) {
            return new Turn(status);
        }

        /** Exactly these bytes with this status, whatever the format: oversized or malformed answers. */
        public static Turn raw(int status, String contentType, byte[] body) {
            Turn turn = new Turn(status);
            turn.raw = body.clone();
            turn.contentType = contentType;
            return turn;
        }

        /** Adds a text block. */
        public Turn andText(String text) {
            blocks.add(new Object[] {"text", text});
            return this;
        }

        /** Adds a tool call with a generated id. */
        public Turn andToolCall(String tool, Map<String, ?> input) {
            return andToolCall(null, tool, input);
        }

        /** Adds a tool call with this id ({@code null} to generate one). */
        public Turn andToolCall(String id, String tool, Map<String, ?> input) {
            blocks.add(new Object[] {"tool", id, tool, input == null ? Map.of() : input, null});
            return this;
        }

        /**
         * Adds a tool call whose arguments are this text verbatim: in OpenAI's format the {@code arguments} string,
         * in Anthropic's the {@code input} value parsed if it is JSON, else the text as a JSON string. For testing
         * malformed arguments.
         */
        public Turn andRawToolCall(String tool, String arguments) {
            blocks.add(new Object[] {"tool", null, tool, Map.of(), arguments});
            return this;
        }

        /** Adds a response header. */
        public Turn header(String name, String value) {
            headers.put(name, value);
            return this;
        }

        /** The body of an error status. */
        public Turn body(String body) {
            this.body = body;
            return this;
        }

        /**
         * Why the model stopped, in Anthropic's words: {@code end_turn}, {@code tool_use}, {@code max_tokens} (sent to
         * OpenAI clients as {@code stop}, {@code tool_calls}, {@code length}). Default: tool_use when there are tool
         * calls, else end_turn.
         */
        public Turn stopReason(String reason) {
            this.stopReason = reason;
            return this;
        }

        /** Token counts to report. Default: about a quarter of the request and reply sizes in bytes. */
        public Turn usage(long input, long output) {
            this.inputTokens = input;
            this.outputTokens = output;
            return this;
        }

        /** Sends the body chunked, without a Content-Length, so a client learns its size only by reading it. */
        public Turn chunked() {
            this.chunked = true;
            return this;
        }

        /** Waits this long before answering (ended early by {@link FakeProvider#close()}). */
        public Turn delay(Duration delay) {
            this.delay = delay;
            return this;
        }

        /**
         * A check on the request this turn answers, e.g. AssertJ assertions. If it throws, the request is answered
         * 400 and the failure is listed in {@link FakeProvider#problems()}.
         */
        public Turn expect(Consumer<Recorded> check) {
            this.check = check;
            return this;
        }
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getPath();
            String format = path.equals(ANTHROPIC_PATH) ? "anthropic" : path.equals(OPENAI_PATH) ? "openai" : null;
            byte[] bytes;
            try (InputStream in = exchange.getRequestBody()) {
                bytes = in.readAllBytes();
            }
            JsonNode body;
            boolean isJson;
            try {
                body = JSON.readTree(bytes);
                isJson = body != null && body.isObject();
                if (body == null) {
                    body = JSON.getNodeFactory().textNode("");
                }
            } catch (IOException e) {
                body = JSON.getNodeFactory().textNode(new String(bytes, StandardCharsets.UTF_8));
                isJson = false;
            }
            Map<String, List<String>> headers = new TreeMap<>();
            exchange.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(Locale.ROOT), List.copyOf(v)));
            Recorded recorded = new Recorded(format, path, Collections.unmodifiableMap(headers), body);
            requests.add(recorded);
            int n = requests.size();

            if (format == null) {
                refuse(exchange, null, 404, "not_found_error", "fake provider: no such path " + path, n);
                return;
            }
            if (!exchange.getRequestMethod().equals("POST")) {
                refuse(exchange, format, 405, "invalid_request_error", "fake provider: " + path + " takes POST", n);
                return;
            }
            String authProblem = authProblem(format, recorded);
            if (authProblem != null) {
                refuse(exchange, format, 401, "authentication_error", authProblem, n);
                return;
            }
            String contentType = recorded.header("content-type");
            String problem = contentType == null || !contentType.startsWith("application/json")
                    ? "Content-Type must be application/json"
                    : !isJson ? "the body is not a JSON object"
                    : format.equals("anthropic") ? anthropicProblem(recorded) : openAiProblem(recorded.body());
            if (problem != null) {
                refuse(exchange, format, 400, "invalid_request_error", problem, n);
                return;
            }
            Turn turn = script.poll();
            if (turn == null) {
                refuse(exchange, format, 500, "api_error", "fake provider: no scripted turn left", n);
                return;
            }
            if (turn.check != null) {
                try {
                    turn.check.accept(recorded);
                } catch (AssertionError | RuntimeException e) {
                    refuse(exchange, format, 400, "invalid_request_error", "expectation failed: " + e.getMessage(), n);
                    return;
                }
            }
            if (!turn.delay.isZero() && closed.await(turn.delay.toMillis(), TimeUnit.MILLISECONDS)) {
                return;
            }
            answer(exchange, format, recorded, bytes.length, turn);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            // the client went away (a timeout, say): nothing to answer
        }
    }

    private String authProblem(String format, Recorded r) {
        String key = expectedKey;
        if (format.equals("anthropic")) {
            String given = r.header("x-api-key");
            if (given == null || given.isEmpty()) {
                return "x-api-key header is required";
            }
            if (key != null && !key.equals(given)) {
                return "invalid x-api-key";
            }
            return null;
        }
        if (key != null && !("Bearer " + key).equals(r.header("authorization"))) {
            return "Incorrect API key provided";
        }
        return null;
    }

    private void refuse(HttpExchange exchange, String format, int status, String type, String message, int request)
            throws IOException {
        problems.add("request " + request + (format == null ? "" : " (" + format + ")") + ": " + status + " "
                + message);
        send(exchange, status, "application/json", errorBody(format, status, type, message), Map.of(), false);
    }

    private static byte[] errorBody(String format, int status, String type, String message) {
        ObjectNode root = JSON.createObjectNode();
        if ("openai".equals(format)) {
            root.putObject("error").put("message", message).put("type", type).putNull("param").putNull("code");
        } else {
            root.put("type", "error");
            root.putObject("error").put("type", type).put("message", message);
        }
        return bytes(root);
    }

    private String anthropicProblem(Recorded r) {
        if (r.header("anthropic-version") == null) {
            return "anthropic-version: header is required";
        }
        JsonNode b = r.body();
        if (!b.path("model").isTextual()) {
            return "model: Field required";
        }
        if (!b.path("max_tokens").isInt() || b.path("max_tokens").asInt() <= 0) {
            return "max_tokens: Field required (a positive integer)";
        }
        if (b.path("stream").asBoolean(false)) {
            return "fake provider: streaming is not supported";
        }
        if (b.has("temperature") && (!b.path("temperature").isNumber() || b.path("temperature").asDouble() < 0
                || b.path("temperature").asDouble() > 1)) {
            return "temperature: must be between 0 and 1";
        }
        if (b.has("system") && !(b.path("system").isTextual() || b.path("system").isArray())) {
            return "system: must be a string or a list of text blocks";
        }
        JsonNode messages = b.path("messages");
        if (!messages.isArray() || messages.isEmpty()) {
            return "messages: at least one message is required";
        }
        if (!"user".equals(messages.path(0).path("role").asText())) {
            return "messages: the first message must use the user role";
        }
        Set<String> openCalls = new HashSet<>();
        for (int i = 0; i < messages.size(); i++) {
            JsonNode m = messages.get(i);
            String role = m.path("role").asText();
            if (!role.equals("user") && !role.equals("assistant")) {
                return "messages." + i + ".role: must be user or assistant";
            }
            JsonNode content = m.path("content");
            if (content.isTextual()) {
                if (!openCalls.isEmpty()) {
                    return "messages." + i + ": tool_use ids were found without tool_result blocks immediately "
                            + "after: " + openCalls;
                }
                continue;
            }
            if (!content.isArray() || content.isEmpty()) {
                return "messages." + i + ".content: must be a string or a non-empty list of blocks";
            }
            Set<String> answered = new HashSet<>();
            Set<String> calls = new HashSet<>();
            for (int j = 0; j < content.size(); j++) {
                JsonNode block = content.get(j);
                String where = "messages." + i + ".content." + j;
                switch (block.path("type").asText()) {
                    case "text" -> {
                        if (!block.path("text").isTextual() || block.path("text").asText().isEmpty()) {
                            return where + ": text content blocks must be non-empty";
                        }
                    }
                    case "tool_use" -> {
                        if (!role.equals("assistant")) {
                            return where + ": tool_use blocks are only allowed in assistant messages";
                        }
                        if (!block.path("id").isTextual() || !block.path("name").isTextual()
                                || !block.path("input").isObject()) {
                            return where + ": tool_use needs id, name and an object input";
                        }
                        calls.add(block.path("id").asText());
                    }
                    case "tool_result" -> {
                        if (!role.equals("user")) {
                            return where + ": tool_result blocks are only allowed in user messages";
                        }
                        String id = block.path("tool_use_id").asText(null);
                        if (id == null || !openCalls.contains(id)) {
                            return where + ": unexpected tool_use_id found in tool_result blocks: " + id
                                    + ". Each tool_result block must have a corresponding tool_use block in the "
                                    + "previous message.";
                        }
                        if (!(block.path("content").isTextual() || block.path("content").isArray()
                                || block.path("content").isMissingNode())) {
                            return where + ".content: must be a string or a list of blocks";
                        }
                        if (block.has("is_error") && !block.path("is_error").isBoolean()) {
                            return where + ".is_error: must be a boolean";
                        }
                        answered.add(id);
                    }
                    case "image", "document" -> {
                        // accepted as the API does
                    }
                    default -> {
                        return where + ".type: unknown block type '" + block.path("type").asText() + "'";
                    }
                }
            }
            if (!answered.containsAll(openCalls)) {
                Set<String> missing = new HashSet<>(openCalls);
                missing.removeAll(answered);
                return "messages." + i + ": tool_use ids were found without tool_result blocks immediately after: "
                        + missing;
            }
            openCalls = calls;
        }
        JsonNode tools = b.path("tools");
        if (b.has("tools")) {
            if (!tools.isArray()) {
                return "tools: must be a list";
            }
            for (int i = 0; i < tools.size(); i++) {
                JsonNode tool = tools.get(i);
                if (!TOOL_NAME.matcher(tool.path("name").asText()).matches()) {
                    return "tools." + i + ".name: String should match pattern '^[a-zA-Z0-9_-]{1,64}$'";
                }
                if (!tool.path("input_schema").isObject() || !"object".equals(tool.path("input_schema")
                        .path("type").asText())) {
                    return "tools." + i + ".input_schema: must be a JSON Schema object with type 'object'";
                }
            }
        }
        return null;
    }

    private static String openAiProblem(JsonNode b) {
        if (!b.path("model").isTextual()) {
            return "you must provide a model parameter";
        }
        if (b.path("stream").asBoolean(false)) {
            return "fake provider: streaming is not supported";
        }
        if (b.has("max_tokens") && (!b.path("max_tokens").isInt() || b.path("max_tokens").asInt() <= 0)) {
            return "max_tokens: must be a positive integer";
        }
        if (b.has("temperature") && (!b.path("temperature").isNumber() || b.path("temperature").asDouble() < 0
                || b.path("temperature").asDouble() > 2)) {
            return "temperature: must be between 0 and 2";
        }
        JsonNode messages = b.path("messages");
        if (!messages.isArray() || messages.isEmpty()) {
            return "messages: must be a non-empty array";
        }
        Set<String> openCalls = new HashSet<>();
        for (int i = 0; i < messages.size(); i++) {
            JsonNode m = messages.get(i);
            String role = m.path("role").asText();
            String where = "messages[" + i + "]";
            if (role.equals("tool")) {
                String id = m.path("tool_call_id").asText(null);
                if (id == null || !openCalls.remove(id)) {
                    return "Invalid parameter: " + where + " with role 'tool' must be a response to a preceding "
                            + "message with 'tool_calls' (tool_call_id " + id + ")";
                }
                if (!m.path("content").isTextual()) {
                    return where + ".content: must be a string";
                }
                continue;
            }
            if (!openCalls.isEmpty()) {
                return "An assistant message with 'tool_calls' must be followed by tool messages responding to each "
                        + "'tool_call_id'. The following tool_call_ids did not have response messages: " + openCalls;
            }
            switch (role) {
                case "system", "user", "developer" -> {
                    if (!m.path("content").isTextual() && !m.path("content").isArray()) {
                        return where + ".content: must be a string or an array of parts";
                    }
                }
                case "assistant" -> {
                    JsonNode calls = m.path("tool_calls");
                    if (!(m.path("content").isTextual() || m.path("content").isNull()
                            || m.path("content").isArray()) && !calls.isArray()) {
                        return where + ": an assistant message needs content or tool_calls";
                    }
                    for (JsonNode call : calls) {
                        if (!call.path("id").isTextual() || !"function".equals(call.path("type").asText())
                                || !call.path("function").path("name").isTextual()) {
                            return where + ".tool_calls: each needs id, type 'function' and function.name";
                        }
                        if (!call.path("function").path("arguments").isTextual()) {
                            return where + ".tool_calls: function.arguments must be a JSON string";
                        }
                        openCalls.add(call.path("id").asText());
                    }
                }
                default -> {
                    return where + ".role: must be system, user, assistant or tool, not '" + role + "'";
                }
            }
        }
        if (!openCalls.isEmpty()) {
            return "An assistant message with 'tool_calls' must be followed by tool messages responding to each "
                    + "'tool_call_id'. The following tool_call_ids did not have response messages: " + openCalls;
        }
        if (b.has("tools")) {
            JsonNode tools = b.path("tools");
            if (!tools.isArray()) {
                return "tools: must be an array";
            }
            for (int i = 0; i < tools.size(); i++) {
                JsonNode tool = tools.get(i);
                if (!"function".equals(tool.path("type").asText())) {
                    return "tools[" + i + "].type: must be 'function'";
                }
                if (!TOOL_NAME.matcher(tool.path("function").path("name").asText()).matches()) {
                    return "tools[" + i + "].function.name: must match '^[a-zA-Z0-9_-]{1,64}$'";
                }
                if (tool.path("function").has("parameters") && !tool.path("function").path("parameters").isObject()) {
                    return "tools[" + i + "].function.parameters: must be an object";
                }
            }
        }
        return null;
    }

    private void answer(HttpExchange exchange, String format, Recorded request, int requestBytes, Turn turn)
            throws IOException {
        if (turn.raw != null) {
            send(exchange, turn.status, turn.contentType, turn.raw, turn.headers, turn.chunked);
            return;
        }
        if (turn.status / 100 != 2) {
            byte[] body = turn.body != null ? turn.body.getBytes(StandardCharsets.UTF_8)
                    : errorBody(format, turn.status, errorType(turn.status), "fake provider: scripted status "
                            + turn.status);
            send(exchange, turn.status, "application/json", body, turn.headers, turn.chunked);
            return;
        }
        boolean tools = turn.blocks.stream().anyMatch(b -> b[0].equals("tool"));
        String stop = turn.stopReason != null ? turn.stopReason : tools ? "tool_use" : "end_turn";
        long outputChars = 0;
        String model = request.body().path("model").asText("fake-model");
        ObjectNode root = JSON.createObjectNode();
        if (format.equals("anthropic")) {
            root.put("id", "msg_fake_" + ids.incrementAndGet()).put("type", "message").put("role", "assistant")
                    .put("model", model);
            ArrayNode content = root.putArray("content");
            for (Object[] block : turn.blocks) {
                if (block[0].equals("text")) {
                    content.addObject().put("type", "text").put("text", (String) block[1]);
                    outputChars += ((String) block[1]).length();
                } else {
                    String id = block[1] != null ? (String) block[1] : "toolu_fake_" + ids.incrementAndGet();
                    ObjectNode use = content.addObject().put("type", "tool_use").put("id", id)
                            .put("name", (String) block[2]);
                    use.set("input", block[4] != null ? parseOrText((String) block[4]) : JSON.valueToTree(block[3]));
                    outputChars += use.toString().length();
                }
            }
            root.put("stop_reason", stop).putNull("stop_sequence");
            root.putObject("usage").put("input_tokens", tokens(turn.inputTokens, requestBytes))
                    .put("output_tokens", tokens(turn.outputTokens, outputChars));
        } else {
            root.put("id", "chatcmpl-fake-" + ids.incrementAndGet()).put("object", "chat.completion")
                    .put("created", System.currentTimeMillis() / 1000).put("model", model);
            ObjectNode choice = root.putArray("choices").addObject().put("index", 0);
            ObjectNode message = choice.putObject("message").put("role", "assistant");
            StringBuilder text = new StringBuilder();
            ArrayNode calls = JSON.createArrayNode();
            for (Object[] block : turn.blocks) {
                if (block[0].equals("text")) {
                    text.append(text.length() == 0 ? "" : "\n").append((String) block[1]);
                } else {
                    String id = block[1] != null ? (String) block[1] : "call_fake_" + ids.incrementAndGet();
                    String arguments = block[4] != null ? (String) block[4] : JSON.valueToTree(block[3]).toString();
                    calls.addObject().put("id", id).put("type", "function").putObject("function")
                            .put("name", (String) block[2]).put("arguments", arguments);
                    outputChars += arguments.length();
                }
            }
            outputChars += text.length();
            if (text.length() == 0 && !calls.isEmpty()) {
                message.putNull("content");
            } else {
                message.put("content", text.toString());
            }
            if (!calls.isEmpty()) {
                message.set("tool_calls", calls);
            }
            choice.put("finish_reason", switch (stop) {
                case "end_turn" -> "stop";
                case "tool_use" -> "tool_calls";
                case "max_tokens" -> "length";
                default -> stop;
            });
            long in = tokens(turn.inputTokens, requestBytes);
            long out = tokens(turn.outputTokens, outputChars);
            root.putObject("usage").put("prompt_tokens", in).put("completion_tokens", out).put("total_tokens",
                    in + out);
        }
        send(exchange, turn.status, "application/json", bytes(root), turn.headers, turn.chunked);
    }

    private static JsonNode parseOrText(String text) {
        try {
            return JSON.readTree(text);
        } catch (IOException e) {
            return JSON.getNodeFactory().textNode(text);
        }
    }

    private static long tokens(long given, long bytes) {
        return given >= 0 ? given : Math.max(1, bytes / 4);
    }

    private static String errorType(int status) {
        return switch (status) {
            case 400 -> "invalid_request_error";
            case 401 -> "authentication_error";
            case 403 -> "permission_error";
            case 404 -> "not_found_error";
            case 429 -> "rate_limit_error";
            case 529 -> "overloaded_error";
            default -> "api_error";
        };
    }

    private static void send(HttpExchange exchange, int status, String contentType, byte[] body,
            Map<String, String> headers, boolean chunked) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", contentType);
        headers.forEach((k, v) -> exchange.getResponseHeaders().set(k, v));
        exchange.sendResponseHeaders(status, body.length == 0 ? -1 : chunked ? 0 : body.length);
        if (body.length > 0) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        }
    }

    private static byte[] bytes(JsonNode node) {
        try {
            return JSON.writeValueAsBytes(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
