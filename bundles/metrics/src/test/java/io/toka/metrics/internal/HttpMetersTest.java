package io.toka.metrics.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.Map;
import javax.servlet.ServletException;
import javax.servlet.http.HttpServletRequest;
import org.junit.jupiter.api.Test;

/** Every request timed by route, method and status; routes named by the serving code, never raw paths. */
class HttpMetersTest {

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final HttpMeters meters = new HttpMeters(registry);

    private void serve(String method, String uri, String route, int status) throws Exception {
        HttpServletRequest req = Http.request(method, uri, "127.0.0.1", Map.of());
        Http.Response resp = new Http.Response();
        meters.doFilter(req, resp.servlet(), (rq, rs) -> {
            if (route != null) {
                rq.setAttribute(HttpMeters.ROUTE_ATTRIBUTE, route);
            }
            ((javax.servlet.http.HttpServletResponse) rs).setStatus(status);
        });
    }

    private long count(Map<String, String> labels) {
        return new Scrapes(registry.scrape(MetricsRegistry.TEXT_FORMAT))
                .histogram("toka_http_requests_seconds", labels).getSampleCount();
    }

    @Test
    void requestsAreCountedByTheirNamedRouteAndStatus() throws Exception {
        for (int i = 0; i < 3; i++) {
            serve("POST", "/api/v1/tools/t" + i + "/invoke", "/api/v1/tools/{name}/invoke", 200);
        }
        serve("POST", "/api/v1/tools/x/invoke", "/api/v1/tools/{name}/invoke", 429);
        serve("GET", "/api/v1/tools/secret-name", null, 401);
        serve("POST", "/mcp", "/mcp tools/call", 200);
        serve("GET", "/somewhere/else", null, 404);
        serve("BREW", "/metrics", null, 405);

        assertThat(count(Map.of("route", "/api/v1/tools/{name}/invoke", "method", "POST", "status", "200")))
                .isEqualTo(3);
        assertThat(count(Map.of("route", "/api/v1/tools/{name}/invoke", "status", "429"))).isEqualTo(1);
        assertThat(count(Map.of("route", "/api/v1/*", "status", "401"))).isEqualTo(1);
        assertThat(count(Map.of("route", "/mcp tools/call"))).isEqualTo(1);
        assertThat(count(Map.of("route", "other", "status", "404"))).isEqualTo(1);
        assertThat(count(Map.of("route", "/metrics", "method", "OTHER"))).isEqualTo(1);
        assertThat(registry.scrape(MetricsRegistry.TEXT_FORMAT)).doesNotContain("secret-name").doesNotContain("t1");
    }

    @Test
    void aRequestThatThrowsIsCountedAs500() {
        HttpServletRequest req = Http.request("GET", "/api/v1/tools", "127.0.0.1", Map.of());
        assertThatThrownBy(() -> meters.doFilter(req, new Http.Response().servlet(), (rq, rs) -> {
            throw new ServletException("boom");
        })).isInstanceOf(ServletException.class);
        assertThat(count(Map.of("route", "/api/v1/*", "status", "500"))).isEqualTo(1);
    }

    @Test
    void coarseRoutes() {
        assertThat(HttpMeters.coarse("/api/v1")).isEqualTo("/api/v1/*");
        assertThat(HttpMeters.coarse("/api/v1x")).isEqualTo("other");
        assertThat(HttpMeters.coarse("/mcp/anything")).isEqualTo("/mcp");
        assertThat(HttpMeters.coarse("/console/app.js")).isEqualTo("/console/*");
        assertThat(HttpMeters.coarse(null)).isEqualTo("other");
    }
}
