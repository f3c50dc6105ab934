package io.toka.mcp.stdio;

import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.channels.UnresolvedAddressException;

/**
 * Turns what went wrong between the bridge and Toka into one sentence for the MCP client (and its user): what
 * happened and what to do about it.
 */
final class Failures {

    private Failures() {
    }

    /**
     * @param url the MCP endpoint
     * @param e the failure of a request that got no HTTP response
     * @return the message
     */
    static String unreachable(URI url, Throwable e) {
        Throwable cause = e;
        while (cause.getCause() != null && !(cause instanceof ConnectException)) {
            cause = cause.getCause();
        }
        if (cause instanceof ConnectException || e instanceof ConnectException) {
            return "cannot reach Toka at " + url + ": connection refused. Is Toka running? Start it with bin/start "
                    + "(its port is set in etc/org.apache.felix.http.cfg), or pass the right --url";
        }
        if (e instanceof HttpConnectTimeoutException) {
            return "no connection to Toka at " + url + " within the connect timeout; is the host right?";
        }
        if (e instanceof HttpTimeoutException) {
            return "Toka at " + url + " did not answer in time";
        }
        if (cause instanceof UnresolvedAddressException) {
            return "cannot reach Toka at " + url + ": unknown host " + url.getHost();
        }
        String what = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return "the connection to Toka at " + url + " failed: " + what;
    }

    /**
     * @param status the HTTP status of an error answer without a JSON-RPC body for our request
     * @param url the MCP endpoint
     * @param tokenOrigin where the token came from
     * @param body the first bytes of the body, quoted when it says something
     * @return the message
     */
    static String status(int status, URI url, String tokenOrigin, byte[] body) {
        String detail = detail(body);
        String base = switch (status) {
            case 401 -> "Toka rejected the token from " + tokenOrigin + " (HTTP 401): it is invalid, expired or "
                    + "revoked. Use a current one, e.g. Toka's admin token (data/toka/admin.token), or issue one with "
                    + "toka:token-issue";
            case 403 -> "Toka refused the request (HTTP 403): the token lacks a permission it needs, or the request "
                    + "came from a disallowed origin";
            case 404 -> "there is no MCP endpoint at " + url + " (HTTP 404): is Toka's MCP feature installed, and is "
                    + "--url right?";
            case 405 -> "Toka does not accept this request at " + url + " (HTTP 405)";
            case 408 -> "Toka timed out waiting for the request (HTTP 408)";
            case 413 -> "the message is too large for Toka (HTTP 413)";
            case 429 -> "Toka's rate limit for this token was reached (HTTP 429); try again later";
            case 503 -> "Toka is not ready (HTTP 503): it may still be starting, or the MCP service is unavailable";
            default -> status >= 500 ? "Toka failed to handle the request (HTTP " + status + "); its log "
                    + "(data/log/karaf.log) says why"
                    : status >= 300 && status < 400 ? "Toka answered with a redirect (HTTP " + status + "); the "
                    + "bridge does not follow redirects (the token must not go elsewhere): check --url"
                    : "Toka answered HTTP " + status;
        };
        return detail == null ? base : base + ": " + detail;
    }

    /** The message in an error body: a JSON {@code error.message}, {@code error} or {@code message}, or short text. */
    private static String detail(byte[] body) {
        if (body == null || body.length == 0) {
            return null;
        }
        String text = new String(body, StandardCharsets.UTF_8).strip();
        try {
            Object json = Json.parse(text);
            Object error = Json.member(json, "error");
            if (Json.member(error, "message") instanceof String m) {
                return m;
            }
            if (error instanceof String s) {
                return s;
            }
            if (Json.member(json, "message") instanceof String m) {
                return m;
            }
            return null;
        } catch (Json.JsonException e) {
            if (text.isEmpty() || text.startsWith("<")) {
                return null;
            }
            String line = text.lines().findFirst().orElse("");
            return line.length() > 200 ? line.substring(0, 200) + "..." : line;
        }
    }
}
