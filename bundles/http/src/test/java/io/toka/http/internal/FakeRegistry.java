package io.toka.http.internal;

import io.toka.runtime.registry.CallOptions;
import io.toka.runtime.registry.InvalidArgumentsException;
import io.toka.runtime.registry.RegisteredTool;
import io.toka.runtime.registry.ToolCallResult;
import io.toka.runtime.registry.ToolProvider;
import io.toka.runtime.registry.ToolRegistry;
import io.toka.runtime.registry.UnknownToolException;
import io.toka.security.SecurityContext;
import io.toka.tool.ToolDescriptor;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentSkipListMap;

/** A registry of descriptors whose calls answer as the test says; it records the last call. */
final class FakeRegistry implements ToolRegistry {

    /** What a call does: return a result or throw what the registry would. */
    @FunctionalInterface
    interface Call {
        ToolCallResult invoke(String name, Map<String, Object> arguments, SecurityContext caller)
                throws UnknownToolException, InvalidArgumentsException;
    }

    private final Map<String, RegisteredTool> tools = new ConcurrentSkipListMap<>();
    volatile Call call = (name, arguments, caller) -> {
        throw new UnknownToolException(name);
    };
    volatile Map<String, Object> lastArguments;
    volatile CallOptions lastOptions;
    volatile List<io.toka.runtime.registry.ToolProblem> problems = List.of();

    FakeRegistry tool(ToolDescriptor d) {
        tools.put(d.name(), new RegisteredTool(d, new ToolProvider(7, 0, 3, "test.bundle", "1.0.0"), List.of()));
        return this;
    }

    FakeRegistry answering(Call c) {
        this.call = c;
        return this;
    }

    @Override
    public List<String> names() {
        return List.copyOf(tools.keySet());
    }

    @Override
    public List<RegisteredTool> list() {
        return List.copyOf(tools.values());
    }

    @Override
    public Optional<RegisteredTool> find(String name) {
        return Optional.ofNullable(tools.get(name));
    }

    @Override
    public ToolCallResult invoke(String name, Map<String, Object> arguments, SecurityContext caller)
            throws UnknownToolException, InvalidArgumentsException {
        lastArguments = arguments;
        return call.invoke(name, arguments, caller);
    }

    @Override
    public ToolCallResult invoke(String name, Map<String, Object> arguments, SecurityContext caller,
            CallOptions options) throws UnknownToolException, InvalidArgumentsException {
        lastOptions = options;
        return invoke(name, arguments, caller);
    }

    @Override
    public List<io.toka.runtime.registry.ToolProblem> problems() {
        return problems;
    }
}
