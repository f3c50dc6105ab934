package io.toka.http.internal;

import java.io.ByteArrayInputStream;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import javax.servlet.ReadListener;
import javax.servlet.ServletInputStream;
import javax.servlet.http.HttpServletRequest;
import javax.servlet.http.HttpServletRequestWrapper;

/**
 * A request as the whiteboard hands it to the {@link ApiContext} and a servlet of {@code /api/v1}: the servlet path
 * and path info split as a {@code /area/*} pattern splits them. Methods a test does not set up throw.
 */
final class FakeRequest extends HttpServletRequestWrapper {

    private final String method;
    private final String servletPath;
    private final String pathInfo;
    private final Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    private final Map<String, Object> attributes = new HashMap<>();
    private final Map<String, String> parameters = new HashMap<>();
    private final Map<String, String[]> multiParameters = new HashMap<>();
    private byte[] body;
    private ByteArrayInputStream in;

    /** @param path below {@code /api/v1}, e.g. {@code /tools/file-reader/invoke} */
    FakeRequest(String method, String path) {
        super((HttpServletRequest) Proxy.newProxyInstance(FakeRequest.class.getClassLoader(),
                new Class<?>[] {HttpServletRequest.class}, (proxy, m, args) -> {
                    throw new UnsupportedOperationException("FakeRequest." + m.getName());
                }));
        this.method = method;
        int slash = path.indexOf('/', 1);
        this.servletPath = slash < 0 ? path : path.substring(0, slash);
        this.pathInfo = slash < 0 ? null : path.substring(slash);
    }

    static FakeRequest get(String path) {
        return new FakeRequest("GET", path);
    }

    static FakeRequest post(String path, String json) {
        return new FakeRequest("POST", path).body("application/json", json.getBytes(StandardCharsets.UTF_8));
    }

    FakeRequest header(String name, String value) {
        headers.put(name, value);
        return this;
    }

    FakeRequest bearer(String token) {
        return header("Authorization", "Bearer " + token);
    }

    FakeRequest body(String contentType, byte[] bytes) {
        header("Content-Type", contentType);
        this.body = bytes;
        return this;
    }

    FakeRequest param(String name, String value) {
        parameters.put(name, value);
        return this;
    }

    /** A parameter given several times, e.g. {@code ?check=a&check=b}. */
    FakeRequest params(String name, String... values) {
        multiParameters.put(name, values.clone());
        return param(name, values.length == 0 ? null : values[0]);
    }

    @Override
    public String getMethod() {
        return method;
    }

    @Override
    public String getContextPath() {
        return ApiContext.PATH;
    }

    @Override
    public String getServletPath() {
        return servletPath;
    }

    @Override
    public String getPathInfo() {
        return pathInfo;
    }

    @Override
    public String getRequestURI() {
        return ApiContext.PATH + servletPath + (pathInfo == null ? "" : pathInfo);
    }

    @Override
    public String getHeader(String name) {
        return headers.get(name);
    }

    @Override
    public String getContentType() {
        return headers.get("Content-Type");
    }

    @Override
    public long getContentLengthLong() {
        return body == null ? -1 : body.length;
    }

    @Override
    public int getContentLength() {
        return (int) getContentLengthLong();
    }

    @Override
    public ServletInputStream getInputStream() {
        if (in == null) {
            in = new ByteArrayInputStream(body == null ? new byte[0] : body);
        }
        return new ServletInputStream() {
            @Override
            public int read() {
                return in.read();
            }

            @Override
            public int read(byte[] b, int off, int len) {
                return in.read(b, off, len);
            }

            @Override
            public boolean isFinished() {
                return in.available() == 0;
            }

            @Override
            public boolean isReady() {
                return true;
            }

            @Override
            public void setReadListener(ReadListener listener) {
                throw new UnsupportedOperationException();
            }
        };
    }

    /** Whether the body was read to its end (or there was none). */
    boolean bodyConsumed() {
        return body == null || (in != null && in.available() == 0);
    }

    @Override
    public String getParameter(String name) {
        return parameters.get(name);
    }

    @Override
    public String[] getParameterValues(String name) {
        String[] many = multiParameters.get(name);
        if (many != null) {
            return many.clone();
        }
        String one = parameters.get(name);
        return one == null ? null : new String[] {one};
    }

    @Override
    public Object getAttribute(String name) {
        return attributes.get(name);
    }

    @Override
    public void setAttribute(String name, Object value) {
        attributes.put(name, value);
    }

    @Override
    public void removeAttribute(String name) {
        attributes.remove(name);
    }
}
