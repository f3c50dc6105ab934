package io.toka.mcp.internal;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import javax.servlet.http.HttpServletRequest;

/**
 * A tool's {@code x-mcp-header} parameters (2026-07-28): properties of its input schema, reached through
 * {@code properties} alone, whose values a client mirrors into {@code Mcp-Param-<name>} headers. On a 2026-07-28
 * {@code tools/call} every present value must come with its header, equal after decoding (integers compared
 * numerically); otherwise HeaderMismatch (-32020, HTTP 400).
 */
final class ParamHeaders {

    /** One mirrored parameter: its property path and header name. */
    record Binding(List<String> path, String header) {
    }

    static final ParamHeaders NONE = new ParamHeaders(List.of());

    private final List<Binding> bindings;

    private ParamHeaders(List<Binding> bindings) {
        this.bindings = bindings;
    }

    /** Reads the bindings of an input schema (a JSON object); a schema without any gives {@link #NONE}. */
    static ParamHeaders of(JsonNode schema) {
        List<Binding> out = new ArrayList<>();
        collect(schema, new ArrayList<>(), out);
        return out.isEmpty() ? NONE : new ParamHeaders(List.copyOf(out));
    }

    private static void collect(JsonNode schema, List<String> path, List<Binding> out) {
        JsonNode props = schema == null ? null : schema.get("properties");
        if (props == null || !props.isObject()) {
            return;
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = props.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> p = it.next();
            List<String> here = new ArrayList<>(path);
            here.add(p.getKey());
            JsonNode h = p.getValue().get("x-mcp-header");
            if (h != null && h.isTextual() && !h.textValue().isEmpty()) {
                out.add(new Binding(List.copyOf(here), h.textValue()));
            }
            collect(p.getValue(), here, out);
        }
    }

    boolean isEmpty() {
        return bindings.isEmpty();
    }

    /** Checks the request's {@code Mcp-Param-*} headers against the call's arguments. */
    void check(HttpServletRequest req, JsonNode arguments) throws RpcException {
        for (Binding b : bindings) {
            JsonNode v = arguments;
            for (String step : b.path()) {
                v = v == null || !v.isObject() ? null : v.get(step);
            }
            if (v == null || v.isNull()) {
                continue;
            }
            String name = "Mcp-Param-" + b.header();
            String header = req.getHeader(name);
            if (header == null) {
                throw RpcException.headerMismatch("the " + name + " header is required: the argument it mirrors "
                        + "is present");
            }
            String decoded = ModernHeaders.decode(header, name);
            if (!matches(v, decoded)) {
                throw RpcException.headerMismatch(name + " header value does not match the argument in the body");
            }
        }
    }

    private static boolean matches(JsonNode v, String header) {
        if (v.isTextual()) {
            return v.textValue().equals(header);
        }
        if (v.isBoolean()) {
            return Boolean.toString(v.booleanValue()).equals(header);
        }
        if (v.isNumber()) {
            try {
                return v.decimalValue().compareTo(new BigDecimal(header.trim())) == 0;
            } catch (NumberFormatException e) {
                return false;
            }
        }
        return false;
    }
}
