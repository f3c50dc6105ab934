package io.toka.mcp.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import javax.servlet.ServletOutputStream;
import javax.servlet.WriteListener;
import javax.servlet.http.HttpServletResponse;
import javax.servlet.http.HttpServletResponseWrapper;

/**
 * A response that keeps what was set and written, thread-safe (SSE events arrive from other threads); a test can
 * make every further write fail, as a client that went away does.
 */
final class FakeResponse extends HttpServletResponseWrapper {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    private final ByteArrayOutputStream body = new ByteArrayOutputStream();
    private volatile int status = 200;
    private volatile String contentType;
    private volatile boolean committed;
    volatile boolean broken;
    /** When set, every write waits for it (a client that stopped reading); {@link #stalled} counts waiting writes. */
    volatile java.util.concurrent.CountDownLatch stall;
    final java.util.concurrent.atomic.AtomicInteger stalled = new java.util.concurrent.atomic.AtomicInteger();

    FakeResponse() {
        super((HttpServletResponse) Proxy.newProxyInstance(FakeResponse.class.getClassLoader(),
                new Class<?>[] {HttpServletResponse.class}, (proxy, m, args) -> {
                    throw new UnsupportedOperationException("FakeResponse." + m.getName());
                }));
    }

    @Override
    public void setStatus(int sc) {
        status = sc;
    }

    @Override
    public int getStatus() {
        return status;
    }

    @Override
    public void sendError(int sc) {
        status = sc;
        committed = true;
    }

    @Override
    public synchronized void setHeader(String name, String value) {
        headers.put(name, value);
    }

    @Override
    public synchronized String getHeader(String name) {
        return headers.get(name);
    }

    @Override
    public synchronized boolean containsHeader(String name) {
        return headers.containsKey(name);
    }

    @Override
    public void setContentType(String type) {
        contentType = type;
    }

    @Override
    public String getContentType() {
        return contentType;
    }

    @Override
    public void setContentLength(int len) {
        // the body is kept whole
    }

    @Override
    public boolean isCommitted() {
        return committed;
    }

    @Override
    public synchronized void reset() {
        headers.clear();
        body.reset();
        status = 200;
        contentType = null;
    }

    @Override
    public void flushBuffer() throws IOException {
        if (broken) {
            throw new IOException("broken pipe");
        }
        committed = true;
    }

    @Override
    public ServletOutputStream getOutputStream() {
        return new ServletOutputStream() {
            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                java.util.concurrent.CountDownLatch wait = stall;
                if (wait != null) {
                    stalled.incrementAndGet();
                    try {
                        wait.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new java.io.InterruptedIOException("interrupted");
                    }
                }
                if (broken) {
                    throw new IOException("broken pipe");
                }
                synchronized (FakeResponse.this) {
                    body.write(b, off, len);
                    FakeResponse.this.notifyAll();
                }
                committed = true;
            }

            @Override
            public void flush() throws IOException {
                if (broken) {
                    throw new IOException("broken pipe");
                }
            }

            @Override
            public boolean isReady() {
                return true;
            }

            @Override
            public void setWriteListener(WriteListener listener) {
                throw new UnsupportedOperationException();
            }
        };
    }

    synchronized String text() {
        return body.toString(StandardCharsets.UTF_8);
    }

    JsonNode json() {
        try {
            return JSON.readTree(text());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The JSON messages of an SSE body (the data of events that have data). */
    List<JsonNode> events() {
        List<JsonNode> out = new ArrayList<>();
        for (String block : text().split("\n\n")) {
            for (String line : block.split("\n")) {
                if (line.startsWith("data: ") && line.length() > 6) {
                    try {
                        out.add(JSON.readTree(line.substring(6)));
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }
            }
        }
        return out;
    }

    /** The ids of an SSE body's events, in order. */
    List<String> eventIds() {
        List<String> out = new ArrayList<>();
        for (String line : text().split("\n")) {
            if (line.startsWith("id: ")) {
                out.add(line.substring(4));
            }
        }
        return out;
    }
}
