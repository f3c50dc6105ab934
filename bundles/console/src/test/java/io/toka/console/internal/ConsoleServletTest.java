package io.toka.console.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.servlet.ServletOutputStream;
import javax.servlet.WriteListener;
import javax.servlet.http.HttpServletRequest;
import javax.servlet.http.HttpServletResponse;
import org.junit.jupiter.api.Test;

class ConsoleServletTest {

    private final ConsoleServlet servlet = new ConsoleServlet();

    /** What the servlet answered. */
    static final class Answer {
        int status = 200;
        String contentType;
        final Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        final ByteArrayOutputStream body = new ByteArrayOutputStream();

        String text() {
            return body.toString(StandardCharsets.UTF_8);
        }
    }

    /** Calls the servlet as the whiteboard does for pattern /console/*: servlet path /console, the rest as path info. */
    private Answer call(String method, String pathInfo, Map<String, String> requestHeaders) {
        HttpServletRequest req = (HttpServletRequest) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {HttpServletRequest.class}, (proxy, m, args) -> switch (m.getName()) {
                    case "getMethod" -> method;
                    case "getPathInfo" -> pathInfo;
                    case "getServletPath" -> "/console";
                    case "getContextPath" -> "";
                    case "getHeader" -> requestHeaders.get((String) args[0]);
                    default -> throw new UnsupportedOperationException(m.getName());
                });
        Answer a = new Answer();
        ServletOutputStream out = new ServletOutputStream() {
            @Override
            public void write(int b) {
                a.body.write(b);
            }

            @Override
            public boolean isReady() {
                return true;
            }

            @Override
            public void setWriteListener(WriteListener listener) {
                throw new UnsupportedOperationException();
            }
        };
        HttpServletResponse resp = (HttpServletResponse) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {HttpServletResponse.class}, (proxy, m, args) -> {
                    switch (m.getName()) {
                        case "setStatus" -> a.status = (Integer) args[0];
                        case "setHeader" -> a.headers.put((String) args[0], (String) args[1]);
                        case "setContentType" -> a.contentType = (String) args[0];
                        case "setContentLength" -> a.headers.put("Content-Length", String.valueOf(args[0]));
                        case "getOutputStream" -> {
                            return out;
                        }
                        default -> throw new UnsupportedOperationException(m.getName());
                    }
                    return null;
                });
        try {
            servlet.service(req, resp);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return a;
    }

    private Answer get(String pathInfo) {
        return call("GET", pathInfo, Map.of());
    }

    private static void assertSecurityHeaders(Answer a) {
        String csp = a.headers.get("Content-Security-Policy");
        assertThat(csp).contains("default-src 'none'", "script-src 'self'", "frame-ancestors 'none'",
                "require-trusted-types-for 'script'", "form-action 'none'");
        assertThat(csp).doesNotContain("unsafe-inline", "unsafe-eval");
        assertThat(a.headers.get("X-Content-Type-Options")).isEqualTo("nosniff");
        assertThat(a.headers.get("Referrer-Policy")).isEqualTo("no-referrer");
        assertThat(a.headers.get("X-Frame-Options")).isEqualTo("DENY");
    }

    @Test
    void thePageIsServedWithItsSecurityHeaders() {
        Answer a = get("/");

        assertThat(a.status).isEqualTo(200);
        assertThat(a.contentType).isEqualTo("text/html; charset=utf-8");
        assertThat(a.text()).contains("<title>Toka console</title>", "<script type=\"module\" src=\"app.js\">");
        assertSecurityHeaders(a);
        assertThat(a.headers.get("ETag")).matches("\"[0-9a-f]{32}\"");
    }

    @Test
    void scriptsAndStylesHaveTheirTypes() {
        assertThat(get("/app.js").contentType).isEqualTo("text/javascript; charset=utf-8");
        assertThat(get("/console.css").contentType).isEqualTo("text/css; charset=utf-8");
        assertSecurityHeaders(get("/app.js"));
    }

    @Test
    void withoutTheSlashTheBrowserIsSentToIt() {
        Answer a = get(null);

        assertThat(a.status).isEqualTo(302);
        assertThat(a.headers.get("Location")).isEqualTo("/console/");
    }

    @Test
    void nothingOutsideTheConsoleFilesIsServed() {
        for (String path : List.of("/../META-INF/MANIFEST.MF", "/io/toka/console/internal/ConsoleServlet.class",
                "/%2e%2e/x.js", "/app.js/", "/APP.JS", "/.hidden.js", "/index.html.bak", "/missing.js", "/a/b.js")) {
            Answer a = get(path);
            assertThat(a.status).as(path).isEqualTo(404);
            assertThat(a.contentType).as(path).isEqualTo("text/plain; charset=utf-8");
            assertSecurityHeaders(a);
        }
    }

    @Test
    void onlyGetAndHeadAreAllowed() {
        Answer post = call("POST", "/", Map.of());
        Answer head = call("HEAD", "/app.js", Map.of());

        assertThat(post.status).isEqualTo(405);
        assertThat(post.headers.get("Allow")).isEqualTo("GET, HEAD");
        assertThat(head.status).isEqualTo(200);
        assertThat(head.body.size()).isZero();
        assertThat(Integer.parseInt(head.headers.get("Content-Length"))).isPositive();
    }

    @Test
    void anUnchangedFileIsNotSentAgain() {
        String etag = get("/app.js").headers.get("ETag");

        Answer again = call("GET", "/app.js", Map.of("If-None-Match", etag));

        assertThat(again.status).isEqualTo(304);
        assertThat(again.body.size()).isZero();
    }

    /**
     * The page's rules, checked on the files themselves: no inline script or handler (the policy would block them),
     * no HTML sink, no eval, no storage but sessionStorage, and every imported module is a servable file.
     */
    @Test
    void theFilesKeepTheRulesTheirPolicyReliesOn() throws IOException {
        Path dir = Path.of("src/main/resources/console");
        List<Path> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.sorted().toList();
        }
        assertThat(files).extracting(p -> p.getFileName().toString()).contains("index.html", "app.js", "api.js");
        Pattern imports = Pattern.compile("from '\\./([^']+)'");
        for (Path f : files) {
            String name = f.getFileName().toString();
            assertThat(ConsoleServlet.FILE.matcher(name).matches()).as(name + " is servable").isTrue();
            String text = Files.readString(f);
            assertThat(text).as(name).doesNotContain("innerHTML", "outerHTML", "insertAdjacentHTML",
                    "document.write", "eval(", "new Function", "localStorage.", "document.cookie", "style=\"");
            if (name.endsWith(".html")) {
                assertThat(text).as(name).doesNotContainPattern("<script(?![^>]*\\ssrc=)");
                assertThat(text).as(name).doesNotContainPattern("\\son[a-z]+=");
            }
            Matcher m = imports.matcher(text);
            while (m.find()) {
                assertThat(dir.resolve(m.group(1))).as(name + " imports " + m.group(1)).exists();
            }
        }
    }
}
