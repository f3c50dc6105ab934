package io.toka.metrics.internal;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import javax.servlet.FilterChain;
import javax.servlet.FilterConfig;
import javax.servlet.ServletException;
import javax.servlet.ServletRequest;
import javax.servlet.ServletResponse;
import javax.servlet.http.HttpServletRequest;
import javax.servlet.http.HttpServletResponse;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.http.whiteboard.Preprocessor;

/**
 * Times every HTTP request Toka's Jetty serves, REST, MCP and the scrape itself, as a whiteboard
 * {@link Preprocessor}: it runs before any context's security, so refused requests (401, 429) are counted too, and
 * the REST and MCP code is not touched. Labels: {@code route}, {@code method}, {@code status}.
 *
 * <p>The route is what the serving code names in the request attribute {@link #ROUTE_ATTRIBUTE} once it has matched
 * the request: the REST API's route pattern ({@code /api/v1/tools/{name}/invoke}) or the MCP method
 * ({@code /mcp tools/call}). A request answered before that (a refused token, a rate limit, an unknown path) gets a
 * coarse route from its path: {@code /api/v1/*}, {@code /mcp}, {@code /metrics}, {@code /console/*} or
 * {@code other}. Paths never become labels as they are, so the number of series stays bounded.
 */
@Component(service = Preprocessor.class)
public final class HttpMeters implements Preprocessor {

    /**
     * The request attribute naming a request's route for metrics, set by the code that serves it (a String from a
     * small fixed set). The REST API and the MCP server set it; other servlets may.
     */
    public static final String ROUTE_ATTRIBUTE = "io.toka.metrics.route";

    static final Duration[] BUCKETS = {
        Duration.ofMillis(1), Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(25),
        Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500),
        Duration.ofSeconds(1), Duration.ofMillis(2500), Duration.ofSeconds(5), Duration.ofSeconds(10),
        Duration.ofSeconds(30), Duration.ofSeconds(60)};

    private final MeterRegistry meters;
    private final LabelGuard routes = new LabelGuard(300);
    private final ConcurrentMap<String, Timer> timers = new ConcurrentHashMap<>();

    @Activate
    public HttpMeters(@Reference MetricsRegistry registry) {
        this(registry.meters());
    }

    HttpMeters(MeterRegistry meters) {
        this.meters = meters;
    }

    @Override
    public void init(FilterConfig config) {
        // nothing to set up
    }

    @Override
    public void destroy() {
        // meters stay in the registry
    }

    @Override
    public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain)
            throws IOException, ServletException {
        if (!(request instanceof HttpServletRequest req) || !(response instanceof HttpServletResponse resp)) {
            chain.doFilter(request, response);
            return;
        }
        long started = System.nanoTime();
        int status = 500;
        try {
            chain.doFilter(request, response);
            status = resp.getStatus();
        } finally {
            // an exception that escapes becomes the container's 500; a started stream (SSE) is timed to its return
            timer(route(req), method(req.getMethod()), status).record(System.nanoTime() - started,
                    java.util.concurrent.TimeUnit.NANOSECONDS);
        }
    }

    private Timer timer(String route, String method, int status) {
        String key = route + ' ' + method + ' ' + status;
        Timer t = timers.get(key);
        if (t == null) {
            t = timers.computeIfAbsent(key, k -> Timer.builder("toka.http.requests")
                    .description("HTTP requests (REST, MCP, scrapes), by route, method and status")
                    .tag("route", route).tag("method", method).tag("status", Integer.toString(status))
                    .serviceLevelObjectives(BUCKETS).minimumExpectedValue(BUCKETS[0])
                    .maximumExpectedValue(BUCKETS[BUCKETS.length - 1]).register(meters));
        }
        return t;
    }

    String route(HttpServletRequest req) {
        Object named = req.getAttribute(ROUTE_ATTRIBUTE);
        if (named instanceof String s) {
            return routes.admit(s);
        }
        return coarse(req.getRequestURI());
    }

    /** A route from the path alone, for requests answered before their servlet named one. */
    static String coarse(String uri) {
        if (uri == null) {
            return "other";
        }
        if (uri.equals("/api/v1") || uri.startsWith("/api/v1/")) {
            return "/api/v1/*";
        }
        if (uri.equals("/mcp") || uri.startsWith("/mcp/")) {
            return "/mcp";
        }
        if (uri.equals("/metrics")) {
            return "/metrics";
        }
        if (uri.equals("/console") || uri.startsWith("/console/")) {
            return "/console/*";
        }
        return "other";
    }

    static String method(String m) {
        return switch (m == null ? "" : m) {
            case "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS" -> m;
            default -> "OTHER";
        };
    }
}
