package io.toka.mcp.internal;

import java.io.ByteArrayInputStream;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import javax.servlet.AsyncContext;
import javax.servlet.AsyncEvent;
import javax.servlet.AsyncListener;
import javax.servlet.ReadListener;
import javax.servlet.ServletContext;
import javax.servlet.ServletInputStream;
import javax.servlet.ServletRequest;
import javax.servlet.ServletResponse;
import javax.servlet.http.HttpServletRequest;
import javax.servlet.http.HttpServletRequestWrapper;

/** A request to the MCP endpoint as the whiteboard hands it over; methods a test does not set up throw. */
final class FakeRequest extends HttpServletRequestWrapper {

    private final String method;
    private final String path;
    private final Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    private final Map<String, Object> attributes = new HashMap<>();
    private byte[] body;
    private ByteArrayInputStream in;
    private Long declaredLength;
    volatile FakeAsync async;

    FakeRequest(String method, String path) {
        super((HttpServletRequest) Proxy.newProxyInstance(FakeRequest.class.getClassLoader(),
                new Class<?>[] {HttpServletRequest.class}, (proxy, m, args) -> {
                    throw new UnsupportedOperationException("FakeRequest." + m.getName());
                }));
        this.method = method;
        this.path = path;
        headers.put("Host", "127.0.0.1:8181");
    }

    FakeRequest header(String name, String value) {
        if (value == null) {
            headers.remove(name);
        } else {
            headers.put(name, value);
        }
        return this;
    }

    FakeRequest body(String contentType, String text) {
        header("Content-Type", contentType);
        this.body = text.getBytes(StandardCharsets.UTF_8);
        return this;
    }

    FakeRequest declaredLength(long length) {
        this.declaredLength = length;
        return this;
    }

    @Override
    public String getMethod() {
        return method;
    }

    @Override
    public String getScheme() {
        return "http";
    }

    @Override
    public String getServerName() {
        return "127.0.0.1";
    }

    @Override
    public int getServerPort() {
        return 8181;
    }

    @Override
    public String getContextPath() {
        return "";
    }

    @Override
    public String getServletPath() {
        return path;
    }

    @Override
    public String getPathInfo() {
        return null;
    }

    @Override
    public String getRequestURI() {
        return path;
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
        return declaredLength != null ? declaredLength : body == null ? -1 : body.length;
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

    @Override
    public AsyncContext startAsync() {
        async = new FakeAsync(this);
        return async;
    }

    @Override
    public boolean isAsyncStarted() {
        return async != null;
    }

    /** An async context that records its completion and can report a container error. */
    static final class FakeAsync implements AsyncContext {
        private final FakeRequest request;
        private final List<AsyncListener> listeners = new ArrayList<>();
        volatile boolean completed;
        volatile long timeout = 30_000;

        FakeAsync(FakeRequest request) {
            this.request = request;
        }

        @Override
        public synchronized void complete() {
            if (completed) {
                throw new IllegalStateException("already completed");
            }
            completed = true;
            for (AsyncListener l : listeners) {
                try {
                    l.onComplete(new AsyncEvent(this));
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }
        }

        /** What the container does when the client goes away: onError, then complete. */
        void fail() throws java.io.IOException {
            for (AsyncListener l : List.copyOf(listeners)) {
                l.onError(new AsyncEvent(this));
            }
            if (!completed) {
                complete();
            }
        }

        @Override
        public void addListener(AsyncListener listener) {
            listeners.add(listener);
        }

        @Override
        public void setTimeout(long timeout) {
            this.timeout = timeout;
        }

        @Override
        public long getTimeout() {
            return timeout;
        }

        @Override
        public ServletRequest getRequest() {
            return request;
        }

        @Override
        public ServletResponse getResponse() {
            return null;
        }

        @Override
        public boolean hasOriginalRequestAndResponse() {
            return true;
        }

        @Override
        public void dispatch() {
            throw new UnsupportedOperationException();
        }

        @Override
        public void dispatch(String path) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void dispatch(ServletContext context, String path) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void start(Runnable run) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void addListener(AsyncListener listener, ServletRequest req, ServletResponse resp) {
            listeners.add(listener);
        }

        @Override
        public <T extends AsyncListener> T createListener(Class<T> clazz) {
            throw new UnsupportedOperationException();
        }
    }
}
