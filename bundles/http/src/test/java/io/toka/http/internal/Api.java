package io.toka.http.internal;

import io.toka.security.testing.TestTokens;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

/**
 * The {@code /api/v1} context with a real token authority, in front of one servlet, called as the whiteboard calls
 * them: {@link ApiContext#handleSecurity} first, the servlet only if it let the request through.
 */
final class Api {

    final TestTokens tokens;
    final FakeRateLimiter limiter;
    final ApiContext context;

    Api(Path dir, long requestsPerSubject) {
        tokens = new TestTokens(dir);
        limiter = new FakeRateLimiter(requestsPerSubject);
        context = new ApiContext(tokens.service(), limiter, tokens.audit::add);
    }

    Api(Path dir) {
        this(dir, 1_000);
    }

    FakeResponse call(ApiServlet servlet, FakeRequest req) {
        FakeResponse resp = new FakeResponse();
        try {
            if (context.handleSecurity(req, resp)) {
                servlet.service(req, resp);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return resp;
    }

    /** A token whose subject holds the permissions. */
    String token(String subject, String... permissions) {
        return tokens.issue(subject, permissions);
    }
}
