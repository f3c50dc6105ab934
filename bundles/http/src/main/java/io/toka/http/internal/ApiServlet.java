package io.toka.http.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.toka.security.AccessDeniedException;
import io.toka.security.RateLimitExceededException;
import io.toka.security.TokenStateException;
import java.io.IOException;
import java.util.UUID;
import javax.servlet.http.HttpServlet;
import javax.servlet.http.HttpServletRequest;
import javax.servlet.http.HttpServletResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The servlet of one area of the API, in the {@link ApiContext}: the context has authenticated the caller and taken
 * one request from its rate-limit bucket; this class routes the request and turns what the handler throws into an
 * RFC 9457 {@code application/problem+json} answer without internals. Each area is its own component with only the
 * references it needs, so that a service coming or going re-registers at most that area's servlet.
 */
abstract class ApiServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(ApiServlet.class);

    /**
     * The request attribute naming a request's route for the metrics bundle's HTTP meters ({@code route} label): the
     * matched pattern, e.g. {@code /api/v1/tools/{name}/invoke}. A string contract, so that this bundle does not
     * depend on the metrics.
     */
    static final String METRICS_ROUTE = "io.toka.metrics.route";

    final transient ObjectMapper mapper = Exchange.newMapper();

    /** The area's routes (built once, in a field initializer). */
    abstract Router router();

    /**
     * Called before routing: throws to answer every request of the area the same way, e.g. while an optional
     * service the area needs is absent.
     */
    void checkAvailable() throws Exchange.Rejected {
        // available by default
    }

    @Override
    protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        Exchange x = new Exchange(req, resp, mapper);
        try {
            String path = x.path();
            if (x.caller() == null && !ApiContext.OPEN.contains(path)) {
                // never reached behind the ApiContext; a servlet registered outside it still refuses
                x.resp.setHeader("WWW-Authenticate", "Bearer realm=\"toka\"");
                x.problem(Problem.unauthorized());
                return;
            }
            checkAvailable();
            Router.Resolution r = router().resolve(req.getMethod(), path);
            if (r.pattern() != null) {
                // the route for metrics (a fixed pattern, never the path itself): read by the metrics bundle
                req.setAttribute(METRICS_ROUTE, ApiContext.PATH + r.pattern());
            }
            if (r.handler() == null) {
                Router.refuse(x, r);
                return;
            }
            x.params(r.params());
            r.handler().handle(x);
        } catch (Exchange.Rejected e) {
            x.problem(e.problem);
        } catch (TokenStateException e) {
            // the token was valid when the request began and is not any more (revoked, expired, outside its window)
            x.resp.setHeader("WWW-Authenticate", "Bearer realm=\"toka\", error=\"invalid_token\"");
            x.problem(Problem.unauthorized());
        } catch (AccessDeniedException e) {
            x.problem(Problem.forbidden(e.getMessage()));
        } catch (RateLimitExceededException e) {
            x.resp.setHeader("Retry-After", Long.toString(e.decision().retryAfterSeconds()));
            x.problem(new Problem(429, "urn:toka:problem:rate-limited", "Too Many Requests", e.getMessage()));
        } catch (RuntimeException e) {
            String ref = UUID.randomUUID().toString().substring(0, 8);
            LOG.error("Request {} {} failed (reference {})", req.getMethod(), req.getRequestURI(), ref, e);
            x.problem(Problem.internal("the request failed; reference " + ref + " in the Toka log"));
        }
    }
}
