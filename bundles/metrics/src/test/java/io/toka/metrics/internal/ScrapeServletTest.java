package io.toka.metrics.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.toka.security.RateLimitDecision;
import io.toka.security.RateLimiter;
import io.toka.security.testing.TestTokens;
import java.lang.annotation.Annotation;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Who may scrape: the real token authority; hostile callers get nothing of the exposition. */
class ScrapeServletTest {

    @TempDir
    Path dir;

    private TestTokens tokens;
    private final AtomicInteger allowed = new AtomicInteger(1000);
    private final MetricsRegistry registry = new MetricsRegistry();

    private final RateLimiter limiter = new RateLimiter() {
        @Override
        public RateLimitDecision tryAcquire(String subject) {
            return allowed.getAndDecrement() > 0 ? new RateLimitDecision(true, 100, 9, 1, 0)
                    : new RateLimitDecision(false, 100, 0, 6, 6);
        }

        @Override
        public Optional<RateLimitDecision> tryAcquire(String subject, String tool) {
            return Optional.empty();
        }

        @Override
        public RateLimitDecision tryAcquireCall(String subject, String tool) {
            return tryAcquire(subject);
        }
    };

    @BeforeEach
    void setUp() {
        tokens = new TestTokens(dir);
    }

    private ScrapeServlet servlet(boolean open) {
        return new ScrapeServlet(registry, tokens.service(), limiter, tokens.audit::add, config(open));
    }

    private static ScrapeServlet.Config config(boolean open) {
        return new ScrapeServlet.Config() {
            @Override
            public Class<? extends Annotation> annotationType() {
                return ScrapeServlet.Config.class;
            }

            @Override
            public boolean openScrape() {
                return open;
            }
        };
    }

    private Http.Response get(ScrapeServlet s, String remote, Map<String, String> headers) throws Exception {
        Http.Response r = new Http.Response();
        s.service(Http.request("GET", "/metrics", remote, headers), r.servlet());
        return r;
    }

    @Test
    void aTokenWithMetricsReadScrapesTheTextFormat() throws Exception {
        Http.Response r = get(servlet(false), "10.0.0.9",
                Map.of("Authorization", "Bearer " + tokens.issue("prometheus", "metrics:read")));
        assertThat(r.status).isEqualTo(200);
        assertThat(r.contentType).isEqualTo("text/plain; version=0.0.4; charset=utf-8");
        assertThat(r.headers).containsEntry("Cache-Control", "no-store");
        Scrapes s = new Scrapes(r.text());
        assertThat(s.has("jvm_memory_used_bytes")).isTrue();
        assertThat(s.has("jvm_threads_live_threads")).isTrue();
        assertThat(r.headers).containsKey("X-RateLimit-Remaining");
    }

    @Test
    void openMetricsWhenAskedFor() throws Exception {
        Http.Response r = get(servlet(false), "10.0.0.9", Map.of("Accept", "application/openmetrics-text",
                "Authorization", "Bearer " + tokens.issue("prometheus", "metrics:read")));
        assertThat(r.contentType).startsWith("application/openmetrics-text");
        assertThat(r.text()).endsWith("# EOF\n");
    }

    @Test
    void noTokenABadTokenOrARevokedOneIs401AndRevealsNothing() throws Exception {
        String revoked = tokens.issue("gone", "metrics:read");
        tokens.revoke(tokens.service().authenticate(revoked).token().orElseThrow().jti());
        for (Map<String, String> h : new Map[] {Map.of(), Map.of("Authorization", "Bearer garbage"),
                Map.of("Authorization", "Basic YTpi"), Map.of("Authorization", "Bearer " + revoked)}) {
            Http.Response r = get(servlet(false), "10.0.0.9", h);
            assertThat(r.status).as(h.toString()).isEqualTo(401);
            assertThat(r.headers).containsEntry("WWW-Authenticate", "Bearer realm=\"toka\"");
            assertThat(r.text()).doesNotContain("jvm_").doesNotContain("toka_");
        }
        assertThat(tokens.audit).filteredOn(e -> e.action().equals("authenticate") && e.outcome().equals("failure"))
                .hasSizeGreaterThanOrEqualTo(4);
    }

    @Test
    void aTokenWithoutMetricsReadIs403AndTheRefusalIsAudited() throws Exception {
        Http.Response r = get(servlet(false), "127.0.0.1",
                Map.of("Authorization", "Bearer " + tokens.issue("viewer", "tool:read", "system:read")));
        assertThat(r.status).isEqualTo(403);
        assertThat(r.text()).contains("metrics:read").doesNotContain("jvm_");
        assertThat(tokens.audit).anyMatch(e -> e.action().equals("authorize") && e.outcome().equals("denied")
                && "viewer".equals(e.subject()));
    }

    @Test
    void aScrapeCountsAgainstTheRateLimit() throws Exception {
        allowed.set(0);
        Http.Response r = get(servlet(false), "10.0.0.9",
                Map.of("Authorization", "Bearer " + tokens.issue("prometheus", "metrics:read")));
        assertThat(r.status).isEqualTo(429);
        assertThat(r.headers).containsEntry("Retry-After", "6");
        assertThat(r.text()).doesNotContain("jvm_");
    }

    @Test
    void theOpenScrapeIsLoopbackOnlyAndNeverThroughAProxy() throws Exception {
        ScrapeServlet open = servlet(true);
        assertThat(get(open, "127.0.0.1", Map.of()).status).isEqualTo(200);
        assertThat(get(open, "::1", Map.of()).status).isEqualTo(200);
        assertThat(get(open, "[0:0:0:0:0:0:0:1]", Map.of()).status).isEqualTo(200);
        assertThat(get(open, "10.0.0.9", Map.of()).status).isEqualTo(401);
        assertThat(get(open, "192.168.1.2", Map.of()).status).isEqualTo(401);
        assertThat(get(open, "localhost", Map.of()).status).as("names are never resolved").isEqualTo(401);
        for (String h : new String[] {"X-Forwarded-For", "Forwarded", "X-Real-IP", "X-Forwarded-Host"}) {
            assertThat(get(open, "127.0.0.1", Map.of(h, "203.0.113.7")).status).as(h).isEqualTo(401);
        }
        // closed (the default): loopback needs a token like anyone
        assertThat(get(servlet(false), "127.0.0.1", Map.of()).status).isEqualTo(401);
    }

    @Test
    void onlyGetAndHead() throws Exception {
        Http.Response r = new Http.Response();
        servlet(true).service(Http.request("POST", "/metrics", "127.0.0.1", Map.of()), r.servlet());
        assertThat(r.status).isEqualTo(405);
        assertThat(r.headers).containsEntry("Allow", "GET, HEAD");
        Http.Response head = new Http.Response();
        servlet(true).service(Http.request("HEAD", "/metrics", "127.0.0.1", Map.of()), head.servlet());
        assertThat(head.status).isEqualTo(200);
        assertThat(head.body.size()).isZero();
    }
}
