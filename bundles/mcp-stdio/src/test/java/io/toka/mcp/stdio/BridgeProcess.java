package io.toka.mcp.stdio;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * The real bridge as a child process, driven over its standard streams like an MCP client would: lines in, lines
 * out, read with a timeout (no sleeps).
 */
final class BridgeProcess implements AutoCloseable {

    private static final String EOF = "\u0000EOF";

    private final Process process;
    private final OutputStream stdin;
    private final BlockingQueue<String> stdout = new LinkedBlockingQueue<>();
    /** Every line read from standard output, in order. */
    final List<String> transcript = new CopyOnWriteArrayList<>();
    private final List<String> stderr = new CopyOnWriteArrayList<>();
    private Thread errorPump;
    /** Messages read but not yet asked for (they matched no predicate so far). */
    private final List<Map<String, Object>> backlog = new ArrayList<>();

    private BridgeProcess(Process process) {
        this.process = process;
        this.stdin = process.getOutputStream();
        pump(process.getInputStream(), line -> {
            transcript.add(line);
            stdout.add(line);
        }, true);
        errorPump = pump(process.getErrorStream(), stderr::add, false);
    }

    /**
     * Starts {@code java -cp <classes>:<jackson-core>:<client-support> io.toka.mcp.stdio.Main args} with a clean environment plus {@code env}.
     *
     * @param env environment variables to set (TOKA_* are otherwise removed)
     * @param args the arguments
     * @return the process
     */
    static BridgeProcess start(Map<String, String> env, String... args) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(java().toString());
        command.add("-cp");
        command.add(String.join(java.io.File.pathSeparator, classes().toString(), jackson().toString(),
                clientSupport().toString()));
        command.add("io.toka.mcp.stdio.Main");
        command.addAll(List.of(args));
        return start(command, env);
    }

    /**
     * Starts any command with a clean environment plus {@code env}.
     *
     * @param command the command
     * @param env environment variables to set
     * @return the process
     */
    static BridgeProcess start(List<String> command, Map<String, String> env) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().keySet().removeIf(k -> k.startsWith("TOKA_") || k.equals("JAVA_HOME"));
        pb.environment().putAll(env);
        return new BridgeProcess(pb.start());
    }

    static Path java() {
        return Path.of(System.getProperty("java.home"), "bin", "java");
    }

    static Path classes() {
        return location(Main.class);
    }

    /** The jackson-core jar the bridge's classes were compiled against (the build shades it into the bridge's jar). */
    static Path jackson() {
        return location(com.fasterxml.jackson.core.JsonFactory.class);
    }

    /** The shared client classes (a directory in the reactor, a jar from the local repository). */
    static Path clientSupport() {
        return location(io.toka.client.SseReader.class);
    }

    private static Path location(Class<?> type) {
        try {
            return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Writes one line to the bridge's standard input. */
    void send(String line) throws IOException {
        stdin.write((line + "\n").getBytes(StandardCharsets.UTF_8));
        stdin.flush();
    }

    void closeStdin() throws IOException {
        stdin.close();
    }

    /**
     * The next message on standard output that matches, waiting up to 20 s; messages passed over are kept for later
     * calls.
     */
    Map<String, Object> await(String what, Predicate<Map<String, Object>> matches) throws InterruptedException {
        synchronized (backlog) {
            for (Iterator<Map<String, Object>> it = backlog.iterator(); it.hasNext(); ) {
                Map<String, Object> m = it.next();
                if (matches.test(m)) {
                    it.remove();
                    return m;
                }
            }
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (true) {
            long left = deadline - System.nanoTime();
            String line = left <= 0 ? null : stdout.poll(left, TimeUnit.NANOSECONDS);
            if (line == null || line.equals(EOF)) {
                if (line != null) {
                    stdout.add(EOF);
                }
                throw new AssertionError("no " + what + " on standard output; got " + transcript + "; stderr: "
                        + stderr);
            }
            Map<String, Object> m = parse(line);
            if (matches.test(m)) {
                return m;
            }
            synchronized (backlog) {
                backlog.add(m);
            }
        }
    }

    /** The response to the request with this id. */
    Map<String, Object> response(Object id) throws InterruptedException {
        return await("response to " + id, m -> !m.containsKey("method") && m.containsKey("id")
                && JsonRpc.idKey(m.get("id")).equals(JsonRpc.idKey(id instanceof Integer i ? new Json.Num("" + i) : id)));
    }

    /** A notification with this method. */
    Map<String, Object> notification(String method) throws InterruptedException {
        return await(method, m -> method.equals(m.get("method")));
    }

    /**
     * Waits for the process to exit.
     *
     * @return its exit status
     */
    int exitCode(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("the bridge did not exit within " + timeout + "; stderr: " + stderr);
        }
        return process.exitValue();
    }

    /** Standard error so far; once the process has exited, all of it (this waits for its pump to drain). */
    String stderr() throws InterruptedException {
        if (!process.isAlive()) {
            errorPump.join(TimeUnit.SECONDS.toMillis(10));
        }
        return String.join("\n", stderr);
    }

    /** Every line of standard output, once the process has exited and the pump reached the end. */
    List<String> allOutput() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!stdout.contains(EOF)) {
            String line = stdout.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (line == null) {
                throw new AssertionError("standard output did not end");
            }
            if (line.equals(EOF)) {
                stdout.add(EOF);
            }
        }
        return List.copyOf(transcript);
    }

    /** Waits until standard error has a line containing {@code text}. */
    void awaitStderr(String text) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        synchronized (stderr) {
            while (stderr.stream().noneMatch(l -> l.contains(text))) {
                long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (left <= 0) {
                    throw new AssertionError("no '" + text + "' on standard error: " + stderr);
                }
                stderr.wait(left);
            }
        }
    }

    static Map<String, Object> parse(String line) {
        try {
            Map<String, Object> m = Json.object(Json.parse(line));
            if (m == null) {
                throw new AssertionError("not a JSON object on standard output: " + line);
            }
            return m;
        } catch (Json.JsonException e) {
            throw new AssertionError("not JSON on standard output: " + line, e);
        }
    }

    private Thread pump(InputStream in, java.util.function.Consumer<String> sink, boolean markEnd) {
        Thread t = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    sink.accept(line);
                    if (!markEnd) {
                        synchronized (stderr) {
                            stderr.notifyAll();
                        }
                    }
                }
            } catch (IOException e) {
                // the process ended
            } finally {
                if (markEnd) {
                    stdout.add(EOF);
                }
            }
        }, "bridge-pump");
        t.setDaemon(true);
        t.start();
        return t;
    }

    @Override
    public void close() {
        process.destroyForcibly();
    }
}
