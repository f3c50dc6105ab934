package io.toka.console.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.servlet.Servlet;
import javax.servlet.http.HttpServlet;
import javax.servlet.http.HttpServletRequest;
import javax.servlet.http.HttpServletResponse;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.http.whiteboard.propertytypes.HttpWhiteboardServletName;
import org.osgi.service.http.whiteboard.propertytypes.HttpWhiteboardServletPattern;

/**
 * The web console's static files at {@code /console/}, on the same HTTP service as the API. The page is public: it
 * holds no data, and everything it shows comes from {@code /api/v1} with the token the operator pastes (kept in the
 * tab's {@code sessionStorage}, sent only as an {@code Authorization} header).
 *
 * <p>Only flat file names under {@code console/} in this bundle are served ({@link #FILE}: no directories, so no
 * path can climb out), with their type fixed by the extension. Every answer, errors included, carries a Content
 * Security Policy that allows only this origin's scripts and styles (no inline script, no {@code eval}), requires
 * Trusted Types (so that no string can reach an HTML sink such as {@code innerHTML}), forbids framing, form
 * submission and plugins; and {@code nosniff}, {@code no-referrer} and a same-origin opener policy.
 */
@Component(service = Servlet.class)
@HttpWhiteboardServletPattern({"/console", "/console/*"})
@HttpWhiteboardServletName(ConsoleServlet.NAME)
public final class ConsoleServlet extends HttpServlet {

    static final String NAME = "toka-console";
    static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            + "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; "
            + "require-trusted-types-for 'script'; trusted-types 'none'";
    /** A servable file: a flat name of lower-case letters, digits and dashes, and one known extension. */
    static final Pattern FILE = Pattern.compile("[a-z0-9][a-z0-9-]{0,63}\\.(html|css|js|png|svg)");

    private static final long serialVersionUID = 1L;
    private static final Map<String, String> TYPES = Map.of(
            "html", "text/html; charset=utf-8",
            "css", "text/css; charset=utf-8",
            "js", "text/javascript; charset=utf-8",
            "png", "image/png",
            "svg", "image/svg+xml");

    /** A file's bytes and its entity tag. */
    private record Asset(String type, byte[] bytes, String etag) {
    }

    /** Files read once (the bundle's content does not change while it is installed); absent names are not kept. */
    private final transient Map<String, Asset> assets = new ConcurrentHashMap<>();

    @Override
    protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        securityHeaders(resp);
        String method = req.getMethod();
        if (!method.equals("GET") && !method.equals("HEAD")) {
            resp.setHeader("Allow", "GET, HEAD");
            plain(resp, 405, "The console's files are read with GET.");
            return;
        }
        String rest = req.getPathInfo();
        if (rest == null) {
            // /console: relative links in the page need the trailing slash
            resp.setStatus(302);
            resp.setHeader("Location", req.getContextPath() + "/console/");
            return;
        }
        String name = rest.equals("/") ? "index.html" : rest.substring(1);
        Optional<Asset> asset = asset(name);
        if (asset.isEmpty()) {
            plain(resp, 404, "No such file in the console.");
            return;
        }
        Asset a = asset.get();
        resp.setHeader("ETag", a.etag());
        // revalidate each time: an updated bundle must not leave a stale script next to a new page
        resp.setHeader("Cache-Control", "no-cache");
        if (a.etag().equals(req.getHeader("If-None-Match"))) {
            resp.setStatus(304);
            return;
        }
        resp.setStatus(200);
        resp.setContentType(a.type());
        resp.setContentLength(a.bytes().length);
        if (method.equals("GET")) {
            resp.getOutputStream().write(a.bytes());
        }
    }

    /** The file of a request path below {@code /console/}, if it is a servable name that exists. */
    private Optional<Asset> asset(String name) {
        Matcher m = FILE.matcher(name);
        if (!m.matches()) {
            return Optional.empty();
        }
        Asset cached = assets.get(name);
        if (cached != null) {
            return Optional.of(cached);
        }
        URL url = ConsoleServlet.class.getResource("/console/" + name);
        if (url == null) {
            return Optional.empty();
        }
        try (InputStream in = url.openStream()) {
            byte[] bytes = in.readAllBytes();
            Asset a = new Asset(TYPES.get(m.group(1)), bytes, "\"" + sha256(bytes).substring(0, 32) + "\"");
            assets.put(name, a);
            return Optional.of(a);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the console file " + name, e);
        }
    }

    static void securityHeaders(HttpServletResponse resp) {
        resp.setHeader("Content-Security-Policy", CSP);
        resp.setHeader("X-Content-Type-Options", "nosniff");
        resp.setHeader("Referrer-Policy", "no-referrer");
        resp.setHeader("X-Frame-Options", "DENY");
        resp.setHeader("Cross-Origin-Opener-Policy", "same-origin");
        resp.setHeader("Cross-Origin-Resource-Policy", "same-origin");
        resp.setHeader("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=(), usb=()");
    }

    private static void plain(HttpServletResponse resp, int status, String text) throws IOException {
        byte[] bytes = (text + "\n").getBytes(StandardCharsets.UTF_8);
        resp.setStatus(status);
        resp.setContentType("text/plain; charset=utf-8");
        resp.setHeader("Cache-Control", "no-store");
        resp.setContentLength(bytes.length);
        resp.getOutputStream().write(bytes);
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java has SHA-256", e);
        }
    }
}
