package io.toka.http.internal;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Maps a method and a path below {@code /api/v1} to a handler. A pattern is a path whose segments are literals or
 * {@code {name}} parameters (a parameter matches one non-empty segment). Patterns are tried in the order they were
 * added and the first that matches the path wins, so literals ({@code /tokens/self}) go before parameters
 * ({@code /tokens/{jti}}). A path no pattern matches is 404; a method the winning pattern lacks is 405 with
 * {@code Allow}. {@code HEAD} is served by the {@code GET} handler.
 */
final class Router {

    /** Answers one request. */
    @FunctionalInterface
    interface Handler {
        void handle(Exchange x) throws IOException, Exchange.Rejected;
    }

    private record Route(String method, String pattern, String[] segments, Handler handler) {

        /** The parameters if the path matches, else {@code null}. */
        Map<String, String> match(String[] path) {
            if (path.length != segments.length) {
                return null;
            }
            Map<String, String> params = new LinkedHashMap<>();
            for (int i = 0; i < segments.length; i++) {
                String s = segments[i];
                if (s.startsWith("{") && s.endsWith("}")) {
                    if (path[i].isEmpty()) {
                        return null;
                    }
                    params.put(s.substring(1, s.length() - 1), path[i]);
                } else if (!s.equals(path[i])) {
                    return null;
                }
            }
            return params;
        }

        boolean serves(String requestMethod) {
            return method.equals(requestMethod) || (method.equals("GET") && requestMethod.equals("HEAD"));
        }
    }

    /**
     * What a request resolved to: a route with its parameters, or the methods the path allows (405), or nothing
     * (404).
     *
     * @param handler the handler, or {@code null}
     * @param params the path parameters
     * @param allowed when {@code handler} is {@code null}: the methods of the matching pattern; empty for no match
     * @param pattern the pattern that matched, e.g. {@code /tools/{name}/invoke}, or {@code null} for no match
     */
    record Resolution(Handler handler, Map<String, String> params, List<String> allowed, String pattern) {
    }

    private final List<Route> routes = new ArrayList<>();

    Router get(String pattern, Handler handler) {
        return add("GET", pattern, handler);
    }

    Router post(String pattern, Handler handler) {
        return add("POST", pattern, handler);
    }

    Router delete(String pattern, Handler handler) {
        return add("DELETE", pattern, handler);
    }

    private Router add(String method, String pattern, Handler handler) {
        if (!pattern.startsWith("/")) {
            throw new IllegalArgumentException("a pattern starts with '/': " + pattern);
        }
        routes.add(new Route(method, pattern, segments(pattern), handler));
        return this;
    }

    Resolution resolve(String method, String path) {
        String[] segments = segments(path);
        String pattern = null;
        Map<String, String> params = null;
        List<String> allowed = new ArrayList<>();
        for (Route r : routes) {
            if (pattern == null) {
                params = r.match(segments);
                if (params == null) {
                    continue;
                }
                pattern = r.pattern();
            } else if (!r.pattern().equals(pattern)) {
                continue;
            }
            if (r.serves(method)) {
                return new Resolution(r.handler(), params, List.of(), pattern);
            }
            allowed.add(r.method());
        }
        return new Resolution(null, Map.of(), List.copyOf(allowed), pattern);
    }

    /** Answers 404 or 405 for a resolution without a handler. */
    static void refuse(Exchange x, Resolution r) throws IOException {
        if (r.allowed().isEmpty()) {
            x.problem(Problem.notFound("no resource at " + ApiContext.PATH + x.path()));
            return;
        }
        List<String> allowed = r.allowed();
        String methods = allowed.size() == 1 ? allowed.get(0)
                : String.join(", ", allowed.subList(0, allowed.size() - 1)) + " or " + allowed.get(allowed.size() - 1);
        x.resp.setHeader("Allow", String.join(", ", allowed));
        x.problem(Problem.methodNotAllowed(x.req.getMethod() + " is not allowed here; use " + methods));
    }

    private static String[] segments(String path) {
        return (path.startsWith("/") ? path.substring(1) : path).split("/", -1);
    }
}
