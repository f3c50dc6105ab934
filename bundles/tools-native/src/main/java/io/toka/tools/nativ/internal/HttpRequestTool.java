package io.toka.tools.nativ.internal;

import io.toka.tool.Tool;
import io.toka.tool.ToolDescriptor;
import io.toka.tool.ToolException;
import io.toka.tool.ToolInvocation;
import io.toka.tool.ToolName;
import io.toka.tool.ToolResult;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLException;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.metatype.annotations.Designate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends an HTTP GET or POST to a public http(s) URL. Every host, including each redirect target, is resolved
 * and refused if any of its addresses is internal (see {@link AddressPolicy}); redirects are followed here, not
 * by the client, so that each hop is checked. Output is the body; the structured result is
 * {@code {status, url, headers, body, truncated, redirects}}. Statuses of 400 and above are failures.
 */
@Component(service = Tool.class, configurationPid = HttpConfig.PID)
@Designate(ocd = HttpConfig.class)
@ToolName(HttpRequestTool.NAME)
public final class HttpRequestTool implements Tool {

    static final String NAME = "http-request";

    private static final Logger LOG = LoggerFactory.getLogger(HttpRequestTool.class);

    /** Headers the client owns: setting them could smuggle a second request or mislead the server. */
    static final Set<String> RESTRICTED_HEADERS = Set.of("host", "content-length", "connection", "keep-alive",
            "transfer-encoding", "te", "trailer", "upgrade", "expect", "proxy-authorization", "proxy-authenticate",
            "proxy-connection", "http2-settings");

    private static final Pattern TOKEN = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");
    private static final Pattern CHARSET = Pattern.compile("(?i)charset\\s*=\\s*\"?([^\";\\s]+)");
    private static final Set<Integer> REDIRECTS = Set.of(301, 302, 303, 307, 308);

    private static final String SCHEMA = """
            {
              "$schema": "https://json-schema.org/draft/2020-12/schema",
              "type": "object",
              "properties": {
                "url": {"type": "string", "minLength": 1, "maxLength": 8192, "description": "An http or https URL on a public host"},
                "method": {"type": "string", "enum": ["GET", "POST"], "description": "GET (default) or POST"},
                "headers": {"type": "object", "additionalProperties": {"type": "string"}, "maxProperties": 64,
                            "description": "Request headers; Host, Content-Length, Connection and other hop-by-hop headers cannot be set"},
                "body": {"type": "string", "description": "Request body, sent as UTF-8; POST only"}
              },
              "required": ["url"],
              "additionalProperties": false
            }""";

    /** The structured value of a result: the response, whatever its status. */
    static final String OUTPUT_SCHEMA = """
            {
              "type": "object",
              "properties": {
                "status": {"type": "integer"},
                "url": {"type": "string"},
                "headers": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}},
                "body": {"type": "string"},
                "truncated": {"type": "boolean"},
                "redirects": {"type": "integer", "minimum": 0}
              },
              "required": ["status", "url", "headers", "body", "truncated", "redirects"]
            }""";

    private final AddressPolicy policy;
    private final long maxResponseBytes;
    private final Duration timeout;
    private final int maxRedirects;
    private final long maxRequestBodyBytes;
    private final HttpClient client;
    private final ToolDescriptor descriptor;

    @Activate
    public HttpRequestTool(HttpConfig config) {
        this(config, InetAddress::getAllByName);
    }

    /**
     * @throws IllegalArgumentException if the configuration is invalid, so that the component is not activated
     */
    HttpRequestTool(HttpConfig config, AddressPolicy.Resolver resolver) {
        if (config.timeoutSeconds() < 1) {
            throw new IllegalArgumentException("timeoutSeconds must be at least 1, was " + config.timeoutSeconds());
        }
        if (config.maxResponseBytes() < 0 || config.maxResponseBytes() > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("maxResponseBytes must be between 0 and " + (Integer.MAX_VALUE - 8)
                    + ", was " + config.maxResponseBytes());
        }
        if (config.maxRedirects() < 0) {
            throw new IllegalArgumentException("maxRedirects must not be negative, was " + config.maxRedirects());
        }
        if (config.maxRequestBodyBytes() < 0) {
            throw new IllegalArgumentException("maxRequestBodyBytes must not be negative, was " + config.maxRequestBodyBytes());
        }
        this.policy = new AddressPolicy(config.allowHosts(), resolver);
        this.maxResponseBytes = config.maxResponseBytes();
        this.timeout = Duration.ofSeconds(config.timeoutSeconds());
        this.maxRedirects = config.maxRedirects();
        this.maxRequestBodyBytes = config.maxRequestBodyBytes();
        // no proxy: a proxy would resolve and connect on its own, past the address check. No redirects: each hop
        // must be checked. No cookie handler or authenticator: calls must not share state. (Java 17's HttpClient
        // has no close(); its selector thread ends once the client is unreachable, after deactivation.)
        this.client = HttpClient.newBuilder()
                .followRedirects(HttpClient.Redirect.NEVER)
                .proxy(HttpClient.Builder.NO_PROXY)
                .connectTimeout(timeout)
                .version(HttpClient.Version.HTTP_1_1)
                .build();
        this.descriptor = ToolDescriptor.builder(NAME)
                .version("1.0.0")
                .description("Sends an HTTP GET or POST to a public http(s) URL and returns the response body."
                        + " Internal addresses (loopback, private networks, cloud metadata) are refused.")
                .title("Send an HTTP request")
                .inputSchema(SCHEMA)
                .outputSchema(OUTPUT_SCHEMA)
                .requiredPermissions("network:http")
                // GET is read-only but POST is not, and the hint cannot differ per call
                .readOnly(false)
                .openWorld(true)
                .timeout(timeout.plusSeconds(5))
                .build();
    }

    @Override
    public ToolDescriptor descriptor() {
        return descriptor;
    }

    @Override
    public ToolResult invoke(ToolInvocation invocation) throws ToolException {
        String url = invocation.stringArgument("url");
        if (url == null || url.isBlank()) {
            throw new ToolException("argument 'url' must not be blank");
        }
        String method = Objects.requireNonNullElse(invocation.stringArgument("method"), "GET");
        if (!method.equals("GET") && !method.equals("POST")) {
            throw new ToolException("method '" + method + "' is not supported; use GET or POST");
        }
        Map<String, String> headers = headers(invocation.arguments().get("headers"));
        String bodyText = invocation.stringArgument("body");
        if (bodyText != null && method.equals("GET")) {
            throw new ToolException("argument 'body' is only allowed with method POST");
        }
        byte[] body = bodyText == null ? new byte[0] : bodyText.getBytes(StandardCharsets.UTF_8);
        if (body.length > maxRequestBodyBytes) {
            throw new ToolException("body is " + body.length + " bytes, over the limit of " + maxRequestBodyBytes + " bytes");
        }
        URI uri = parse(url);
        target(uri, null);

        Instant deadline = Instant.now().plus(timeout);
        if (invocation.deadline().isBefore(deadline)) {
            deadline = invocation.deadline();
        }
        int redirects = 0;
        while (true) {
            HttpResponse<Body> response = exchange(uri, method, headers, body, deadline);
            int status = response.statusCode();
            var location = response.headers().firstValue("location");
            if (REDIRECTS.contains(status) && location.isPresent()) {
                if (redirects >= maxRedirects) {
                    throw new ToolException("too many redirects: " + uri + " redirects again after " + maxRedirects);
                }
                URI next = redirectTarget(uri, location.get());
                target(next, uri);
                if (status == 303 || ((status == 301 || status == 302) && method.equals("POST"))) {
                    // as browsers and curl do: the redirected request is a GET without the body
                    method = "GET";
                    body = new byte[0];
                }
                if (!sameOrigin(uri, next)) {
                    // credentials given for one origin must not travel to another
                    headers = Map.of();
                }
                uri = next;
                redirects++;
                continue;
            }
            return result(uri, response, redirects);
        }
    }

    private HttpResponse<Body> exchange(URI uri, String method, Map<String, String> headers, byte[] body, Instant deadline)
            throws ToolException {
        Duration left = Duration.between(Instant.now(), deadline);
        if (left.isNegative() || left.isZero()) {
            throw new ToolException("request to " + uri + " timed out after " + timeout.toSeconds() + " s");
        }
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(left);
        try {
            headers.forEach(b::header);
        } catch (IllegalArgumentException e) {
            throw new ToolException("a request header is not allowed: " + e.getMessage());
        }
        b.method(method, method.equals("POST") ? HttpRequest.BodyPublishers.ofByteArray(body) : HttpRequest.BodyPublishers.noBody());
        CompletableFuture<HttpResponse<Body>> future = client.sendAsync(b.build(), info ->
                // the body of a redirect is not wanted: read none of it
                new LimitedBody(REDIRECTS.contains(info.statusCode()) && info.headers().firstValue("location").isPresent()
                        ? 0 : maxResponseBytes));
        try {
            return future.get(left.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            future.cancel(true);
            throw new ToolException("request to " + uri + " timed out after " + timeout.toSeconds() + " s");
        } catch (InterruptedException e) {
            future.cancel(true);
            Thread.currentThread().interrupt();
            throw new ToolException("request to " + uri + " was interrupted");
        } catch (CancellationException e) {
            throw new ToolException("request to " + uri + " was cancelled");
        } catch (ExecutionException e) {
            throw failure(uri, e.getCause());
        }
    }

    private ToolException failure(URI uri, Throwable cause) {
        LOG.debug("Request to {} failed", uri, cause);
        String where = uri.getHost() + (uri.getPort() < 0 ? "" : ":" + uri.getPort());
        if (cause instanceof HttpConnectTimeoutException) {
            return new ToolException("connecting to " + where + " timed out after " + timeout.toSeconds() + " s");
        }
        if (cause instanceof HttpTimeoutException) {
            return new ToolException("request to " + uri + " timed out after " + timeout.toSeconds() + " s");
        }
        if (cause instanceof ConnectException) {
            return new ToolException("cannot connect to " + where);
        }
        if (cause instanceof SSLException) {
            return new ToolException("TLS with " + where + " failed: " + cause.getClass().getSimpleName());
        }
        if (cause instanceof IllegalArgumentException) {
            return new ToolException("request to " + uri + " is invalid: " + cause.getMessage());
        }
        return new ToolException("request to " + uri + " failed: "
                + (cause == null ? "unknown error" : cause.getClass().getSimpleName()), cause);
    }

    private ToolResult result(URI uri, HttpResponse<Body> response, int redirects) {
        Map<String, List<String>> headers = new TreeMap<>();
        response.headers().map().forEach((k, v) -> headers.put(k.toLowerCase(Locale.ROOT), List.copyOf(v)));
        String contentType = response.headers().firstValue("content-type").orElse("");
        String text = new String(response.body().bytes(), charset(contentType));
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("status", response.statusCode());
        out.put("url", uri.toString());
        out.put("headers", headers);
        out.put("body", text);
        out.put("truncated", response.body().truncated());
        out.put("redirects", redirects);
        return response.statusCode() < 400
                ? ToolResult.success(text, out)
                : ToolResult.failure("HTTP " + response.statusCode() + " from " + uri, out);
    }

    private static Charset charset(String contentType) {
        Matcher m = CHARSET.matcher(contentType);
        if (m.find()) {
            try {
                return Charset.forName(m.group(1));
            } catch (IllegalArgumentException e) {
                // an unknown or malformed charset name: fall back to UTF-8
            }
        }
        return StandardCharsets.UTF_8;
    }

    private static Map<String, String> headers(Object value) throws ToolException {
        if (value == null) {
            return Map.of();
        }
        if (!(value instanceof Map<?, ?> map)) {
            throw new ToolException("argument 'headers' must be an object of string values");
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : map.entrySet()) {
            if (!(e.getKey() instanceof String name) || !(e.getValue() instanceof String v)) {
                throw new ToolException("argument 'headers' must be an object of string values");
            }
            if (!TOKEN.matcher(name).matches()) {
                throw new ToolException("header name '" + name.replaceAll("\\p{Cntrl}", "?") + "' is not a valid HTTP header name");
            }
            if (RESTRICTED_HEADERS.contains(name.toLowerCase(Locale.ROOT))) {
                throw new ToolException("header '" + name + "' cannot be set: the HTTP client controls it");
            }
            if (v.chars().anyMatch(c -> c == '\r' || c == '\n' || c == 0)) {
                throw new ToolException("header '" + name + "' has a line break or NUL in its value");
            }
            out.put(name, v);
        }
        return out;
    }

    private static URI parse(String url) throws ToolException {
        try {
            URI uri = new URI(url.strip());
            if (uri.getRawFragment() != null) { // never sent to the server; the first '#' starts it
                String s = uri.toString();
                uri = new URI(s.substring(0, s.indexOf('#')));
            }
            return uri;
        } catch (URISyntaxException e) {
            throw new ToolException("url '" + url.replaceAll("\\p{Cntrl}", "?") + "' is not a valid URL: " + e.getReason());
        }
    }

    private URI redirectTarget(URI from, String location) throws ToolException {
        try {
            return parse(from.resolve(new URI(location)).toString());
        } catch (URISyntaxException | IllegalArgumentException e) {
            throw new ToolException("redirect from " + from + " to an invalid location '"
                    + location.replaceAll("\\p{Cntrl}", "?") + "'");
        }
    }

    /**
     * Checks scheme, credentials and host of a URL before anything is sent to it.
     *
     * @param from the URL that redirected here, or {@code null} for the caller's URL
     */
    private void target(URI uri, URI from) throws ToolException {
        try {
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            if (!scheme.equals("http") && !scheme.equals("https")) {
                throw new ToolException(scheme.isEmpty()
                        ? "url '" + uri + "' has no scheme; use http:// or https://"
                        : "url scheme '" + scheme + "' is not allowed; use http or https");
            }
            if (uri.getRawUserInfo() != null) {
                throw new ToolException("credentials in the URL are not supported; send an Authorization header");
            }
            if (uri.getHost() == null || uri.getHost().isEmpty()) {
                throw new ToolException("url '" + uri + "' has no valid host");
            }
            policy.check(uri.getHost());
        } catch (ToolException e) {
            throw from == null ? e : new ToolException("redirect from " + from + " to " + uri + " refused: " + e.getMessage());
        }
    }

    private static boolean sameOrigin(URI a, URI b) {
        return a.getScheme().equalsIgnoreCase(b.getScheme())
                && a.getHost().equalsIgnoreCase(b.getHost())
                && port(a) == port(b);
    }

    private static int port(URI u) {
        return u.getPort() >= 0 ? u.getPort() : u.getScheme().equalsIgnoreCase("https") ? 443 : 80;
    }

    /** A response body: at most the limit's bytes, and whether more was there. */
    record Body(byte[] bytes, boolean truncated) {
    }

    /**
     * Collects at most {@code limit} bytes, then cancels the subscription so the rest is never read: a huge or
     * endless response costs no more than the limit.
     */
    private static final class LimitedBody implements HttpResponse.BodySubscriber<Body> {
        private final long limit;
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        private final CompletableFuture<Body> result = new CompletableFuture<>();
        private Flow.Subscription subscription;

        LimitedBody(long limit) {
            this.limit = limit;
        }

        @Override
        public CompletionStage<Body> getBody() {
            return result;
        }

        @Override
        public void onSubscribe(Flow.Subscription s) {
            subscription = s;
            s.request(1);
        }

        @Override
        public void onNext(List<ByteBuffer> items) {
            if (result.isDone()) {
                return;
            }
            boolean over = false;
            for (ByteBuffer item : items) {
                int room = (int) Math.min(Integer.MAX_VALUE, limit - bytes.size());
                int take = Math.min(room, item.remaining());
                byte[] chunk = new byte[take];
                item.get(chunk);
                bytes.write(chunk, 0, take);
                over |= item.hasRemaining();
            }
            if (over) {
                subscription.cancel();
                result.complete(new Body(bytes.toByteArray(), true));
            } else {
                subscription.request(1);
            }
        }

        @Override
        public void onError(Throwable t) {
            result.completeExceptionally(t);
        }

        @Override
        public void onComplete() {
            result.complete(new Body(bytes.toByteArray(), false));
        }
    }
}
