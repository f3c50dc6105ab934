package io.toka.metrics.internal;

import io.toka.security.AccessDeniedException;
import io.toka.security.AuditEvent;
import io.toka.security.AuditLog;
import io.toka.security.AuthenticationException;
import io.toka.security.Permissions;
import io.toka.security.RateLimitDecision;
import io.toka.security.RateLimiter;
import io.toka.security.SecurityContext;
import io.toka.security.TokenService;
import io.toka.security.TokenStateException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import javax.servlet.Servlet;
import javax.servlet.http.HttpServlet;
import javax.servlet.http.HttpServletRequest;
import javax.servlet.http.HttpServletResponse;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.http.whiteboard.propertytypes.HttpWhiteboardContextSelect;
import org.osgi.service.http.whiteboard.propertytypes.HttpWhiteboardServletName;
import org.osgi.service.http.whiteboard.propertytypes.HttpWhiteboardServletPattern;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * {@code GET /metrics}: the Prometheus exposition, on the same Jetty as the REST API. A scrape authenticates the way
 * every REST request does: a {@code Bearer} capability token ({@link TokenService#authenticate}, refusals audited),
 * one request from the subject's rate-limit bucket, and the permission {@code metrics:read} (a refusal audited).
 * With {@code openScrape=true} in {@code etc/io.toka.metrics.cfg} a scrape from a loopback address needs no token,
 * unless it carries a proxy's forwarding header: a reverse proxy on the same host must not open the metrics to
 * whoever it serves.
 */
@Component(service = Servlet.class, configurationPid = ScrapeServlet.PID)
@Designate(ocd = ScrapeServlet.Config.class)
@HttpWhiteboardContextSelect("(osgi.http.whiteboard.context.name=default)")
@HttpWhiteboardServletPattern(ScrapeServlet.PATH)
@HttpWhiteboardServletName("toka-metrics")
public final class ScrapeServlet extends HttpServlet {

    static final String PID = "io.toka.metrics";
    static final String PATH = "/metrics";

    private static final long serialVersionUID = 1L;
    private static final String[] FORWARDING = {"Forwarded", "X-Forwarded-For", "X-Forwarded-Host", "X-Real-IP"};

    /** The metrics configuration. */
    @ObjectClassDefinition(name = "Toka metrics", description = "Who may scrape /metrics.")
    public @interface Config {
        @AttributeDefinition(name = "Open scrape from loopback", description = "Let a scrape from 127.0.0.1 or ::1"
                + " in without a token (never one carrying a proxy's forwarding header). Off: every scrape needs a"
                + " token with metrics:read.")
        boolean openScrape() default false;
    }

    private final transient MetricsRegistry registry;
    private final transient TokenService tokens;
    private final transient RateLimiter rateLimiter;
    private final transient AuditLog audit;
    private volatile boolean openScrape;

    @Activate
    public ScrapeServlet(@Reference MetricsRegistry registry, @Reference TokenService tokens,
            @Reference RateLimiter rateLimiter, @Reference AuditLog audit, Config config) {
        this.registry = registry;
        this.tokens = tokens;
        this.rateLimiter = rateLimiter;
        this.audit = audit;
        this.openScrape = config.openScrape();
    }

    @Modified
    void modified(Config config) {
        this.openScrape = config.openScrape();
    }

    @Override
    protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        req.setAttribute(HttpMeters.ROUTE_ATTRIBUTE, PATH);
        String method = req.getMethod();
        if (!"GET".equals(method) && !"HEAD".equals(method)) {
            resp.setHeader("Allow", "GET, HEAD");
            problem(resp, 405, "Method not allowed", method + " is not allowed here; use GET");
            return;
        }
        if (!(openScrape && fromLoopbackDirectly(req)) && !admitted(req, resp)) {
            return;
        }
        String type = MetricsRegistry.contentType(req.getHeader("Accept"));
        byte[] body = registry.scrape(type).getBytes(StandardCharsets.UTF_8);
        resp.setStatus(200);
        resp.setContentType(type);
        resp.setHeader("Cache-Control", "no-store");
        resp.setContentLength(body.length);
        if ("GET".equals(method)) {
            resp.getOutputStream().write(body);
        }
    }

    /** Token, rate limit and {@code metrics:read}; answers the refusal and returns false. */
    private boolean admitted(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        String header = req.getHeader("Authorization");
        String raw = header != null && header.regionMatches(true, 0, "Bearer ", 0, 7) ? header.substring(7).trim()
                : null;
        SecurityContext caller;
        try {
            if (raw == null || raw.isEmpty()) {
                audit.record(new AuditEvent(Instant.now(), "authenticate", "failure", null, null,
                        "no Bearer token in the Authorization header (" + method(req) + " " + PATH + ")"));
                throw new AuthenticationException("no Bearer token");
            }
            caller = tokens.authenticate(raw);
        } catch (AuthenticationException e) {
            unauthorized(resp);
            return false;
        }
        RateLimitDecision d = rateLimiter.tryAcquire(caller.subject());
        resp.setHeader("X-RateLimit-Limit", Long.toString(d.limit()));
        resp.setHeader("X-RateLimit-Remaining", Long.toString(d.remaining()));
        resp.setHeader("X-RateLimit-Reset", Long.toString(d.resetSeconds()));
        if (!d.allowed()) {
            resp.setHeader("Retry-After", Long.toString(d.retryAfterSeconds()));
            problem(resp, 429, "Too Many Requests", "Rate limit exceeded. Try again in " + d.retryAfterSeconds()
                    + " seconds.");
            return false;
        }
        try {
            if (!caller.isPermitted(Permissions.METRICS_READ)) {
                // audits the refusal and throws
                caller.authorize("metrics.read", List.of(Permissions.METRICS_READ));
            }
        } catch (TokenStateException e) {
            unauthorized(resp);
            return false;
        } catch (AccessDeniedException e) {
            problem(resp, 403, "Forbidden", "scraping the metrics needs the permission " + Permissions.METRICS_READ);
            return false;
        }
        return true;
    }

    private static String method(HttpServletRequest req) {
        String m = req.getMethod();
        return m != null && m.length() <= 10 ? m : "?";
    }

    /** A loopback peer that is not relaying someone else's request. */
    static boolean fromLoopbackDirectly(HttpServletRequest req) {
        for (String h : FORWARDING) {
            if (req.getHeader(h) != null) {
                return false;
            }
        }
        String addr = req.getRemoteAddr();
        if (addr == null || addr.isEmpty() || !(addr.indexOf(':') >= 0 || Character.isDigit(addr.charAt(0)))) {
            return false; // only literal addresses: never resolve a name
        }
        try {
            return InetAddress.getByName(addr.startsWith("[") ? addr.substring(1, addr.length() - 1) : addr)
                    .isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    private static void unauthorized(HttpServletResponse resp) throws IOException {
        resp.setHeader("WWW-Authenticate", "Bearer realm=\"toka\"");
        problem(resp, 401, "Unauthorized", "a valid capability token with " + Permissions.METRICS_READ
                + " is required: send 'Authorization: Bearer <token>'");
    }

    private static void problem(HttpServletResponse resp, int status, String title, String detail) throws IOException {
        String json = "{\"type\":\"urn:toka:problem:" + title.toLowerCase().replace(' ', '-') + "\",\"title\":\""
                + title + "\",\"status\":" + status + ",\"detail\":\"" + detail.replace("\"", "'") + "\"}";
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        resp.setStatus(status);
        resp.setContentType("application/problem+json");
        resp.setHeader("Cache-Control", "no-store");
        resp.setContentLength(body.length);
        resp.getOutputStream().write(body);
    }
}
