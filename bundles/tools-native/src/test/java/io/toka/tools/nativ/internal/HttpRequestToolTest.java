package io.toka.tools.nativ.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.toka.tool.ToolException;
import io.toka.tool.ToolInvocation;
import io.toka.tool.ToolResult;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.annotation.Annotation;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class HttpRequestToolTest {

    private HttpServer server;
    private HttpServer other;
    private String base;
    private String otherBase;
    /** What the servers received, by path: "METHOD body | header values". */
    private final Map<String, String> received = new ConcurrentHashMap<>();
    private final AtomicInteger hits = new AtomicInteger();

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0), 0);
        base = "http://127.0.0.1:" + server.getAddress().getPort();
        other = HttpServer.create(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0), 0);
        otherBase = "http://127.0.0.1:" + other.getAddress().getPort();
        server.createContext("/", this::handle);
        other.createContext("/", this::handle);
        server.start();
        other.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
        other.stop(0);
    }

    private void handle(HttpExchange ex) throws IOException {
        hits.incrementAndGet();
        String path = ex.getRequestURI().getPath();
        String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        received.put(path, ex.getRequestMethod() + " " + body + " | X-Custom=" + ex.getRequestHeaders().get("X-Custom")
                + " Authorization=" + ex.getRequestHeaders().get("Authorization")
                + " Content-Type=" + ex.getRequestHeaders().get("Content-Type"));
        String query = ex.getRequestURI().getQuery();
        switch (path) {
            case "/hello" -> {
                ex.getResponseHeaders().add("X-Test", "a");
                ex.getResponseHeaders().add("X-Test", "b");
                respond(ex, 200, "text/plain; charset=utf-8", "hello wörld");
            }
            case "/latin1" -> {
                byte[] b = "grüße".getBytes(StandardCharsets.ISO_8859_1);
                ex.getResponseHeaders().add("Content-Type", "text/plain; charset=ISO-8859-1");
                ex.sendResponseHeaders(200, b.length);
                ex.getResponseBody().write(b);
                ex.close();
            }
            case "/echo" -> respond(ex, 201, "text/plain", ex.getRequestMethod() + ":" + body);
            case "/big" -> respond(ex, 200, "text/plain", "x".repeat(3000));
            case "/exact" -> respond(ex, 200, "text/plain", "y".repeat(1000));
            case "/missing" -> respond(ex, 404, "text/plain", "nope");
            case "/redirect" -> redirect(ex, Integer.parseInt(query.substring(0, 3)), query.substring(4));
            case "/loop" -> redirect(ex, 302, "/loop");
            default -> respond(ex, 500, "text/plain", "unexpected " + path);
        }
    }

    private static void respond(HttpExchange ex, int status, String type, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().add("Content-Type", type);
        ex.sendResponseHeaders(status, b.length == 0 ? -1 : b.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(b);
        }
    }

    private static void redirect(HttpExchange ex, int status, String location) throws IOException {
        ex.getResponseHeaders().add("Location", location);
        respond(ex, status, "text/plain", "redirect body that is not read");
    }

    private static HttpConfig config(long maxResponseBytes, int timeoutSeconds, int maxRedirects, String... allow) {
        return new HttpConfig() {
            @Override
            public Class<? extends Annotation> annotationType() {
                return HttpConfig.class;
            }

            @Override
            public String[] allowHosts() {
                return allow;
            }

            @Override
            public long maxResponseBytes() {
                return maxResponseBytes;
            }

            @Override
            public int timeoutSeconds() {
                return timeoutSeconds;
            }

            @Override
            public int maxRedirects() {
                return maxRedirects;
            }

            @Override
            public long maxRequestBodyBytes() {
                return 100;
            }
        };
    }

    /** A tool that may reach 127.0.0.1 only, as an operator would allow a local service. */
    private static HttpRequestTool allowingLocal() {
        return new HttpRequestTool(config(1000, 5, 5, "127.0.0.1"));
    }

    private static ToolResult call(HttpRequestTool tool, Map<String, Object> args) throws ToolException {
        return tool.invoke(ToolInvocation.of(args, Duration.ofSeconds(30)));
    }

    private static ToolResult get(HttpRequestTool tool, String url) throws ToolException {
        return call(tool, Map.of("url", url));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> report(ToolResult r) {
        return (Map<String, Object>) r.structured();
    }

    @Test
    void describesItself() {
        HttpRequestTool tool = allowingLocal();
        assertThat(tool.descriptor().name()).isEqualTo("http-request");
        assertThat(tool.descriptor().requiredPermissions()).containsExactly("network:http");
        assertThat(tool.descriptor().openWorld()).isTrue();
        assertThat(tool.descriptor().readOnly()).isFalse();
        assertThat(tool.descriptor().timeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(tool.descriptor().inputSchema())
                .contains("\"enum\": [\"GET\", \"POST\"]")
                .contains("\"additionalProperties\": false");
    }

    @Test
    void getsAnAllowedLocalUrl() throws Exception {
        ToolResult r = get(allowingLocal(), base + "/hello#fragment");

        assertThat(r.isSuccess()).isTrue();
        assertThat(r.output()).isEqualTo("hello wörld");
        Map<String, Object> out = report(r);
        assertThat(out.keySet()).containsExactly("status", "url", "headers", "body", "truncated", "redirects");
        assertThat(out).containsEntry("status", 200)
                .containsEntry("url", base + "/hello")
                .containsEntry("body", "hello wörld")
                .containsEntry("truncated", false)
                .containsEntry("redirects", 0);
        @SuppressWarnings("unchecked")
        Map<String, List<String>> headers = (Map<String, List<String>>) out.get("headers");
        assertThat(headers).containsEntry("x-test", List.of("a", "b"))
                .containsEntry("content-type", List.of("text/plain; charset=utf-8"));
        OutputSchemas.assertMatches(allowingLocal(), r);
    }

    @Test
    void decodesTheDeclaredCharset() throws Exception {
        assertThat(get(allowingLocal(), base + "/latin1").output()).isEqualTo("grüße");
    }

    @Test
    void postsABodyWithHeaders() throws Exception {
        ToolResult r = call(allowingLocal(), Map.of("url", base + "/echo", "method", "POST", "body", "{\"a\": \"ü\"}",
                "headers", Map.of("Content-Type", "application/json", "X-Custom", "42")));

        assertThat(r.isSuccess()).isTrue();
        assertThat(report(r)).containsEntry("status", 201);
        assertThat(r.output()).isEqualTo("POST:{\"a\": \"ü\"}");
        assertThat(received.get("/echo")).isEqualTo("POST {\"a\": \"ü\"} | X-Custom=[42] Authorization=null Content-Type=[application/json]");
    }

    @Test
    void aStatusOf400OrMoreIsAFailureThatStillCarriesTheResponse() throws Exception {
        ToolResult r = get(allowingLocal(), base + "/missing");

        assertThat(r.isSuccess()).isFalse();
        assertThat(r.output()).isEqualTo("HTTP 404 from " + base + "/missing");
        assertThat(report(r)).containsEntry("status", 404).containsEntry("body", "nope");
        OutputSchemas.assertMatches(allowingLocal(), r);
    }

    @Test
    void readsAtMostTheConfiguredNumberOfBytes() throws Exception {
        ToolResult big = get(allowingLocal(), base + "/big");
        assertThat(big.isSuccess()).isTrue();
        assertThat(big.output()).isEqualTo("x".repeat(1000));
        assertThat(report(big)).containsEntry("truncated", true);

        ToolResult exact = get(allowingLocal(), base + "/exact");
        assertThat(exact.output()).hasSize(1000);
        assertThat(report(exact)).containsEntry("truncated", false);
    }

    @Test
    void followsRedirectsAndChecksEachHop() throws Exception {
        String chain = base + "/redirect?301:/redirect?307:" + otherBase + "/hello";

        ToolResult r = get(allowingLocal(), chain);

        assertThat(r.output()).isEqualTo("hello wörld");
        assertThat(report(r)).containsEntry("redirects", 2).containsEntry("url", otherBase + "/hello");
    }

    @Test
    void aSeeOtherRedirectTurnsAPostIntoAGetButA307KeepsIt() throws Exception {
        call(allowingLocal(), Map.of("url", base + "/redirect?303:/echo", "method", "POST", "body", "data"));
        assertThat(received.get("/echo")).startsWith("GET  |");

        ToolResult kept = call(allowingLocal(), Map.of("url", base + "/redirect?307:/echo", "method", "POST", "body", "data"));
        assertThat(kept.output()).isEqualTo("POST:data");
    }

    @Test
    void headersAreNotSentToAnotherOriginAfterARedirect() throws Exception {
        Map<String, Object> headers = Map.of("Authorization", "Bearer secret", "X-Custom", "1");
        call(allowingLocal(), Map.of("url", base + "/redirect?302:/echo", "headers", headers));
        assertThat(received.get("/echo")).contains("X-Custom=[1] Authorization=[Bearer secret]");

        received.clear();
        call(allowingLocal(), Map.of("url", base + "/redirect?302:" + otherBase + "/echo", "headers", headers));
        assertThat(received.get("/echo")).contains("X-Custom=null Authorization=null");
    }

    @Test
    void refusesARedirectToTheMetadataServiceOrAPrivateAddress() throws Exception {
        HttpRequestTool tool = allowingLocal();
        assertThatThrownBy(() -> get(tool, base + "/redirect?302:http://169.254.169.254/latest/meta-data/"))
                .isInstanceOf(ToolException.class)
                .hasMessageStartingWith("redirect from " + base + "/redirect?302:http://169.254.169.254/latest/meta-data/"
                        + " to http://169.254.169.254/latest/meta-data/ refused: address 169.254.169.254 is a link-local address");
        assertThatThrownBy(() -> get(tool, base + "/redirect?301:http://10.0.0.1/"))
                .isInstanceOf(ToolException.class)
                .hasMessageContaining("to http://10.0.0.1/ refused: address 10.0.0.1 is a private address");
        assertThatThrownBy(() -> get(tool, base + "/redirect?308:http://[::ffff:10.0.0.1]/"))
                .isInstanceOf(ToolException.class)
                .hasMessageContaining("refused: address 10.0.0.1 is a private address");
        assertThatThrownBy(() -> get(tool, base + "/redirect?302:http://metadata.google.internal/"))
                .isInstanceOf(ToolException.class)
                .hasMessageContaining("is a cloud metadata service");
        assertThatThrownBy(() -> get(tool, base + "/redirect?302:ftp://127.0.0.1/file"))
                .isInstanceOf(ToolException.class)
                .hasMessageContaining("refused: url scheme 'ftp' is not allowed; use http or https");
        // only the local redirecting server was ever contacted
        assertThat(received.keySet()).containsOnly("/redirect");
    }

    @Test
    void stopsAfterTooManyRedirects() {
        HttpRequestTool tool = new HttpRequestTool(config(1000, 5, 3, "127.0.0.1"));
        assertThatThrownBy(() -> get(tool, base + "/loop"))
                .isInstanceOf(ToolException.class)
                .hasMessage("too many redirects: " + base + "/loop redirects again after 3");
        assertThat(hits.get()).isEqualTo(4);
    }

    @Test
    void refusesLoopbackWithoutAnAllowList() {
        HttpRequestTool strict = new HttpRequestTool(config(1000, 5, 5));
        assertThatThrownBy(() -> get(strict, base + "/hello"))
                .isInstanceOf(ToolException.class)
                .hasMessage("address 127.0.0.1 is a loopback address; requests to internal addresses are refused"
                        + " unless allowed in the io.toka.tools.http configuration");
        assertThatThrownBy(() -> get(strict, "http://[::1]:" + server.getAddress().getPort() + "/hello"))
                .isInstanceOf(ToolException.class)
                .hasMessageStartingWith("address 0:0:0:0:0:0:0:1 is a loopback address");
        assertThatThrownBy(() -> get(strict, "http://[::ffff:127.0.0.1]:" + server.getAddress().getPort() + "/hello"))
                .isInstanceOf(ToolException.class)
                .hasMessageStartingWith("address 127.0.0.1 is a loopback address");
        assertThatThrownBy(() -> get(strict, "http://0.0.0.0:" + server.getAddress().getPort() + "/hello"))
                .isInstanceOf(ToolException.class)
                .hasMessageContaining("unspecified");
        assertThat(hits.get()).isZero();
    }

    @Test
    void refusesAHostThatResolvesToAPrivateAddress() {
        AddressPolicy.Resolver fake = host -> {
            if (host.equals("internal.example")) {
                return new InetAddress[] {InetAddress.getByName("93.184.216.34"), InetAddress.getByName("192.168.0.10")};
            }
            throw new UnknownHostException(host);
        };
        HttpRequestTool tool = new HttpRequestTool(config(1000, 5, 5), fake);
        assertThatThrownBy(() -> get(tool, "https://internal.example/admin"))
                .isInstanceOf(ToolException.class)
                .hasMessageStartingWith("host 'internal.example' resolves to 192.168.0.10, a private address");
    }

    @Test
    void refusesOtherSchemesCredentialsAndBadUrls() {
        HttpRequestTool tool = allowingLocal();
        assertThatThrownBy(() -> get(tool, "ftp://127.0.0.1/file"))
                .isInstanceOf(ToolException.class)
                .hasMessage("url scheme 'ftp' is not allowed; use http or https");
        assertThatThrownBy(() -> get(tool, "file:///etc/passwd"))
                .isInstanceOf(ToolException.class)
                .hasMessage("url scheme 'file' is not allowed; use http or https");
        assertThatThrownBy(() -> get(tool, "127.0.0.1/hello"))
                .isInstanceOf(ToolException.class)
                .hasMessage("url '127.0.0.1/hello' has no scheme; use http:// or https://");
        assertThatThrownBy(() -> get(tool, "http://user:pw@127.0.0.1/"))
                .isInstanceOf(ToolException.class)
                .hasMessage("credentials in the URL are not supported; send an Authorization header");
        assertThatThrownBy(() -> get(tool, "http://exa mple.com/"))
                .isInstanceOf(ToolException.class)
                .hasMessageStartingWith("url 'http://exa mple.com/' is not a valid URL");
        assertThat(hits.get()).isZero();
    }

    @Test
    void refusesRestrictedAndMalformedHeadersAndMisplacedBodies() {
        HttpRequestTool tool = allowingLocal();
        for (String name : List.of("Host", "content-length", "Connection", "Transfer-Encoding", "Upgrade", "Expect")) {
            assertThatThrownBy(() -> call(tool, Map.of("url", base + "/hello", "headers", Map.of(name, "x"))))
                    .isInstanceOf(ToolException.class)
                    .hasMessage("header '" + name + "' cannot be set: the HTTP client controls it");
        }
        assertThatThrownBy(() -> call(tool, Map.of("url", base + "/hello", "headers", Map.of("X-A", "1\r\nX-Injected: 2"))))
                .isInstanceOf(ToolException.class)
                .hasMessage("header 'X-A' has a line break or NUL in its value");
        assertThatThrownBy(() -> call(tool, Map.of("url", base + "/hello", "headers", Map.of("Bad Name", "1"))))
                .isInstanceOf(ToolException.class)
                .hasMessage("header name 'Bad Name' is not a valid HTTP header name");
        assertThatThrownBy(() -> call(tool, Map.of("url", base + "/hello", "body", "x")))
                .isInstanceOf(ToolException.class)
                .hasMessage("argument 'body' is only allowed with method POST");
        assertThatThrownBy(() -> call(tool, Map.of("url", base + "/echo", "method", "POST", "body", "x".repeat(101))))
                .isInstanceOf(ToolException.class)
                .hasMessage("body is 101 bytes, over the limit of 100 bytes");
        Map<String, Object> lower = new HashMap<>(Map.of("url", base + "/hello", "method", "DELETE"));
        assertThatThrownBy(() -> call(tool, lower))
                .isInstanceOf(ToolException.class)
                .hasMessage("method 'DELETE' is not supported; use GET or POST");
        assertThat(hits.get()).isZero();
    }

    @Test
    void aServerThatNeverAnswersTimesOutQuickly() throws Exception {
        HttpRequestTool tool = new HttpRequestTool(config(1000, 1, 5, "127.0.0.1"));
        // accepted by the kernel's backlog, never read or answered
        try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"))) {
            String url = "http://127.0.0.1:" + silent.getLocalPort() + "/";
            long start = System.nanoTime();
            assertThatThrownBy(() -> get(tool, url))
                    .isInstanceOf(ToolException.class)
                    .hasMessage("request to " + url + " timed out after 1 s");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(4));
        }
    }

    @Test
    void aClosedPortSaysSo() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            port = s.getLocalPort();
        }
        assertThatThrownBy(() -> get(allowingLocal(), "http://127.0.0.1:" + port + "/"))
                .isInstanceOf(ToolException.class)
                .hasMessage("cannot connect to 127.0.0.1:" + port);
    }

    @Test
    void refusesInvalidConfiguration() {
        assertThatThrownBy(() -> new HttpRequestTool(config(1000, 0, 5)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("timeoutSeconds must be at least 1, was 0");
        assertThatThrownBy(() -> new HttpRequestTool(config(-1, 5, 5)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("maxResponseBytes must be between 0 and");
        assertThatThrownBy(() -> new HttpRequestTool(config(1000, 5, -1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("maxRedirects must not be negative, was -1");
        assertThatThrownBy(() -> new HttpRequestTool(config(1000, 5, 5, "10.0.0.0/40")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("invalid prefix length");
    }
}
