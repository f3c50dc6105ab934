package io.toka.mcp.internal;

import io.toka.runtime.registry.CallOptions;
import io.toka.runtime.registry.InvalidArgumentsException;
import io.toka.runtime.registry.RegisteredTool;
import io.toka.runtime.registry.ToolCallResult;
import io.toka.runtime.registry.ToolProvider;
import io.toka.runtime.registry.ToolRegistry;
import io.toka.runtime.registry.ToolRegistryListener;
import io.toka.runtime.registry.UnknownToolException;
import io.toka.security.Permissions;
import io.toka.security.RateLimitExceededException;
import io.toka.security.SecurityContext;
import io.toka.tool.CallObserver;
import io.toka.tool.ToolDescriptor;
import io.toka.tool.ToolResult;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A registry that enforces what the real one does before a call (live token, {@code tool:invoke:<name>} and the
 * required permissions through {@link SecurityContext#authorize}, an unknown name) and runs each tool's body on its
 * own thread, interrupted by the call's {@link io.toka.runtime.registry.CancellationSignal}. It tells its listeners
 * of every change, as the real registry does.
 */
final class FakeRegistry implements ToolRegistry {

    /** A tool's body. */
    @FunctionalInterface
    interface Body {
        ToolResult run(Map<String, Object> args, CallObserver observer) throws Exception;
    }

    private record Entry(ToolDescriptor descriptor, Body body) {
    }

    private final Map<String, Entry> tools = new ConcurrentSkipListMap<>();
    private final ExecutorService threads = Executors.newCachedThreadPool();
    final List<ToolRegistryListener> listeners = new CopyOnWriteArrayList<>();
    final List<String> calls = new CopyOnWriteArrayList<>();
    volatile RateLimitExceededException limit;

    FakeRegistry tool(ToolDescriptor d, Body body) {
        tools.put(d.name(), new Entry(d, body));
        listeners.forEach(l -> l.toolsChanged(Set.of(d.name())));
        return this;
    }

    FakeRegistry remove(String name) {
        tools.remove(name);
        listeners.forEach(l -> l.toolsChanged(Set.of(name)));
        return this;
    }

    static ToolDescriptor.Builder describe(String name) {
        return ToolDescriptor.builder(name).version("1.0.0").description("The " + name + " tool.");
    }

    @Override
    public List<String> names() {
        return List.copyOf(tools.keySet());
    }

    @Override
    public List<RegisteredTool> list() {
        List<RegisteredTool> out = new ArrayList<>();
        tools.values().forEach(e -> out.add(registered(e)));
        return out;
    }

    private static RegisteredTool registered(Entry e) {
        return new RegisteredTool(e.descriptor(), new ToolProvider(7, 0, 3, "test.tools", "1.0.0"), List.of());
    }

    @Override
    public Optional<RegisteredTool> find(String name) {
        Entry e = tools.get(name);
        return e == null ? Optional.empty() : Optional.of(registered(e));
    }

    @Override
    public ToolCallResult invoke(String name, Map<String, Object> arguments, SecurityContext caller)
            throws UnknownToolException, InvalidArgumentsException {
        return invoke(name, arguments, caller, CallOptions.NONE);
    }

    @Override
    public ToolCallResult invoke(String name, Map<String, Object> arguments, SecurityContext caller,
            CallOptions options) throws UnknownToolException, InvalidArgumentsException {
        caller.checkLive();
        if (limit != null) {
            throw limit;
        }
        Entry e = tools.get(name);
        if (e == null) {
            throw new UnknownToolException(name);
        }
        List<String> needed = new ArrayList<>();
        needed.add(Permissions.toolInvoke(name));
        needed.addAll(e.descriptor().requiredPermissions());
        caller.authorize("tool.invoke:" + name, needed);
        calls.add(name);
        Future<ToolResult> f = threads.submit(() -> e.body().run(arguments, options.observer()));
        if (options.cancellation() != null) {
            options.cancellation().onCancel(() -> f.cancel(true));
        }
        try {
            ToolResult r = f.get(10, TimeUnit.SECONDS);
            return new ToolCallResult(r.isSuccess() ? ToolCallResult.Status.SUCCESS : ToolCallResult.Status.FAILURE,
                    r, 1, "1.0.0");
        } catch (java.util.concurrent.CancellationException c) {
            return new ToolCallResult(ToolCallResult.Status.CANCELLED,
                    ToolResult.failure("cancelled: " + options.cancellation().reason()), 1, "1.0.0");
        } catch (ExecutionException x) {
            if (x.getCause() instanceof InvalidArgumentsException ia) {
                throw ia;
            }
            return new ToolCallResult(ToolCallResult.Status.FAILURE, ToolResult.failure(String.valueOf(x.getCause())),
                    1, "1.0.0");
        } catch (TimeoutException t) {
            f.cancel(true);
            return new ToolCallResult(ToolCallResult.Status.TIMEOUT, ToolResult.failure("timed out"), 1, "1.0.0");
        } catch (InterruptedException i) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(i);
        }
    }
}
