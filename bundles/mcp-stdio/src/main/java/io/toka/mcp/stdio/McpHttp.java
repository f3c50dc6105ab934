package io.toka.mcp.stdio;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * The HTTP side of the bridge: requests to Toka's MCP endpoint with the capability token. HTTP/1.1 only (no h2c
 * upgrade dance on plain http), and redirects are never followed, so the token goes to the configured URL and
 * nowhere else.
 */
final class McpHttp {

    private final HttpClient client;
    private final URI url;
    private final TokenSource tokens;
    private final String userAgent;

    McpHttp(URI url, TokenSource tokens, Duration connectTimeout) {
        this.url = url;
        this.tokens = tokens;
        this.client = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(connectTimeout)
                .build();
        this.userAgent = "toka-mcp-stdio/" + Main.version();
    }

    URI url() {
        return url;
    }

    TokenSource tokens() {
        return tokens;
    }

    /**
     * POSTs one JSON-RPC message.
     *
     * @param body the message
     * @param headers MCP headers (session, protocol version, mirrored values)
     * @param timeout the time to wait for the response headers, or null for no limit (a tool call may be long)
     * @return the response, its body still to be read
     */
    CompletableFuture<HttpResponse<InputStream>> post(String body, Map<String, String> headers, Duration timeout) {
        HttpRequest.Builder b = request(headers, timeout)
                .header("Content-Type", "application/json")
                .header("Accept", "application/json, text/event-stream")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        return client.sendAsync(b.build(), HttpResponse.BodyHandlers.ofInputStream());
    }

    /**
     * Opens a GET event stream: the session's server stream, or the resumption of a broken response stream.
     *
     * @param headers MCP headers, with {@code Last-Event-ID} when resuming
     * @return the response future
     */
    CompletableFuture<HttpResponse<InputStream>> get(Map<String, String> headers) {
        HttpRequest.Builder b = request(headers, null).header("Accept", "text/event-stream").GET();
        return client.sendAsync(b.build(), HttpResponse.BodyHandlers.ofInputStream());
    }

    /**
     * Ends a session.
     *
     * @param headers MCP headers with the session id
     * @param timeout how long to wait
     * @return the HTTP status
     * @throws IOException if Toka cannot be reached
     * @throws InterruptedException if interrupted while waiting
     */
    int delete(Map<String, String> headers, Duration timeout) throws IOException, InterruptedException {
        HttpRequest.Builder b = request(headers, timeout).DELETE();
        return client.send(b.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    private HttpRequest.Builder request(Map<String, String> headers, Duration timeout) {
        HttpRequest.Builder b = HttpRequest.newBuilder(url)
                .header("Authorization", "Bearer " + tokens.token())
                .header("User-Agent", userAgent);
        if (timeout != null) {
            b.timeout(timeout);
        }
        headers.forEach(b::header);
        return b;
    }

    /**
     * Reads at most {@code limit} bytes of a body and closes it; for error bodies, which are only quoted.
     *
     * @param in the body
     * @param limit the most bytes to read
     * @return the bytes read
     */
    static byte[] readLimited(InputStream in, int limit) {
        try (in) {
            return in.readNBytes(limit);
        } catch (IOException e) {
            return new byte[0];
        }
    }

    /** Closes a body whose content is not wanted. */
    static void discard(InputStream in) {
        try {
            in.close();
        } catch (IOException e) {
            // nothing left to do with it
        }
    }
}
