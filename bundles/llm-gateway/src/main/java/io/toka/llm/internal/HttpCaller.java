package io.toka.llm.internal;

import io.toka.llm.LlmException;
import io.toka.llm.LlmException.Reason;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongUnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Posts a JSON body with retries: on 429, 5xx, connection failures and timeouts, with {@link RetryPolicy}'s waits.
 * Each attempt has one deadline, connect to last byte; response bodies are read up to {@link #MAX_RESPONSE_BYTES}.
 * Headers are never logged: they carry the key.
 */
final class HttpCaller {

    /** The largest response body accepted: 1 MiB. */
    static final int MAX_RESPONSE_BYTES = 1024 * 1024;

    private static final Logger LOG = LoggerFactory.getLogger(HttpCaller.class);

    /** Waits between attempts; must throw {@link InterruptedException} when the thread is interrupted. */
    interface Sleeper {
        void sleep(long millis) throws InterruptedException;
    }

    /**
     * The last answer.
     *
     * @param status the HTTP status
     * @param body the body, at most {@link #MAX_RESPONSE_BYTES}
     * @param retries retries made
     */
    record Reply(int status, byte[] body, int retries) {
    }

    private final HttpClient client;
    private final Duration timeout;
    private final RetryPolicy policy;
    private final Sleeper sleeper;
    private final LongUnaryOperator random;

    HttpCaller(HttpClient client, Duration timeout, RetryPolicy policy, Sleeper sleeper, LongUnaryOperator random) {
        this.client = client;
        this.timeout = timeout;
        this.policy = policy;
        this.sleeper = sleeper;
        this.random = random;
    }

    /**
     * @param label the provider as users know it, e.g. {@code Anthropic}
     * @param agent whose request this is, for the log
     * @param headers name, value, name, value...
     * @param onRetry called before each retry
     * @return the first answer that is not retryable, or the last one when the retries ran out
     * @throws LlmException TIMEOUT or PROVIDER when no answer came after the retries, TOO_LARGE for a body over 1 MiB
     */
    Reply post(String label, String agent, URI uri, String[] headers, byte[] body, Runnable onRetry)
            throws LlmException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(uri).timeout(timeout).headers(headers)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
        for (int attempt = 0;; attempt++) {
            String retryAfter = null;
            String why;
            Throwable failure;
            try {
                HttpResponse<byte[]> response = send(request);
                if (!RetryPolicy.retryable(response.statusCode()) || attempt >= policy.maxRetries()) {
                    return new Reply(response.statusCode(), response.body(), attempt);
                }
                retryAfter = response.headers().firstValue("Retry-After").orElse(null);
                why = "answered " + response.statusCode();
                failure = null;
            } catch (AttemptTimedOut e) {
                if (attempt >= policy.maxRetries()) {
                    throw new LlmException(Reason.TIMEOUT, label + " did not answer within " + seconds(timeout)
                            + after(attempt));
                }
                why = "did not answer within " + seconds(timeout);
                failure = e;
            } catch (IOException e) {
                if (attempt >= policy.maxRetries()) {
                    throw new LlmException(Reason.PROVIDER, "Cannot reach " + label + " at " + uri.getScheme() + "://"
                            + uri.getAuthority() + ": " + describe(e) + after(attempt), e);
                }
                why = "failed: " + describe(e);
                failure = e;
            }
            long delay = policy.delayMillis(attempt + 1, retryAfter, Instant.now(), random);
            LOG.info("{} {} for agent '{}'; retry {} of {} in {} ms", label, why, agent, attempt + 1,
                    policy.maxRetries(), delay);
            if (failure != null && !(failure instanceof AttemptTimedOut)) {
                LOG.trace("{} attempt {} failed", label, attempt + 1, failure);
            }
            onRetry.run();
            sleeper.sleep(delay);
        }
    }

    static String after(int retries) {
        return retries == 0 ? "" : " (after " + retries + (retries == 1 ? " retry)" : " retries)");
    }

    private static String seconds(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
    }

    private static String describe(IOException e) {
        if (e instanceof ConnectException) {
            return "connection refused";
        }
        String message = e.getMessage();
        return message == null || message.isBlank() ? e.getClass().getSimpleName() : message;
    }

    private HttpResponse<byte[]> send(HttpRequest request) throws IOException, InterruptedException, LlmException {
        CompletableFuture<HttpResponse<byte[]>> future = client.sendAsync(request, info -> new CappedBody(
                info.headers().firstValueAsLong("Content-Length").orElse(-1)));
        try {
            return future.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            future.cancel(true);
            throw new AttemptTimedOut();
        } catch (InterruptedException e) {
            future.cancel(true);
            throw e;
        } catch (ExecutionException e) {
            for (Throwable t = e.getCause(); t != null; t = t.getCause()) {
                if (t instanceof ResponseTooLarge) {
                    throw new LlmException(Reason.TOO_LARGE, "Response too large: more than " + MAX_RESPONSE_BYTES
                            + " bytes");
                }
                if (t instanceof HttpTimeoutException) {
                    throw new AttemptTimedOut();
                }
            }
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw new IOException(e.getCause() == null ? "request failed" : e.getCause().toString(), e.getCause());
        }
    }

    /** One attempt ran past its deadline. */
    private static final class AttemptTimedOut extends IOException {
        private static final long serialVersionUID = 1L;
    }

    /** The body passed {@link #MAX_RESPONSE_BYTES}. */
    private static final class ResponseTooLarge extends IOException {
        private static final long serialVersionUID = 1L;
    }

    /** Collects a body up to the cap, and cancels the stream as soon as it is passed. */
    private static final class CappedBody implements HttpResponse.BodySubscriber<byte[]> {
        private final CompletableFuture<byte[]> result = new CompletableFuture<>();
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        private final long declaredLength;
        private Flow.Subscription subscription;

        CappedBody(long declaredLength) {
            this.declaredLength = declaredLength;
        }

        @Override
        public CompletionStage<byte[]> getBody() {
            return result;
        }

        @Override
        public void onSubscribe(Flow.Subscription s) {
            subscription = s;
            if (declaredLength > MAX_RESPONSE_BYTES) {
                s.cancel();
                result.completeExceptionally(new ResponseTooLarge());
                return;
            }
            s.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(List<ByteBuffer> items) {
            if (result.isDone()) {
                return;
            }
            for (ByteBuffer item : items) {
                if (bytes.size() + (long) item.remaining() > MAX_RESPONSE_BYTES) {
                    subscription.cancel();
                    result.completeExceptionally(new ResponseTooLarge());
                    return;
                }
                byte[] chunk = new byte[item.remaining()];
                item.get(chunk);
                bytes.write(chunk, 0, chunk.length);
            }
        }

        @Override
        public void onError(Throwable t) {
            result.completeExceptionally(t);
        }

        @Override
        public void onComplete() {
            result.complete(bytes.toByteArray());
        }
    }
}
