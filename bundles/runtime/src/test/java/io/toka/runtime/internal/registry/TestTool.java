package io.toka.runtime.internal.registry;

import io.toka.tool.Tool;
import io.toka.tool.ToolDescriptor;
import io.toka.tool.ToolException;
import io.toka.tool.ToolInvocation;
import io.toka.tool.ToolResult;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** A tool whose descriptor and behaviour a test chooses; it records every invocation it receives. */
final class TestTool implements Tool {

    /** What the tool does when called. */
    @FunctionalInterface
    interface Behaviour {
        ToolResult run(ToolInvocation invocation) throws Exception;
    }

    private final ToolDescriptor descriptor;
    private final Behaviour behaviour;
    final List<ToolInvocation> invocations = Collections.synchronizedList(new ArrayList<>());

    TestTool(ToolDescriptor descriptor, Behaviour behaviour) {
        this.descriptor = descriptor;
        this.behaviour = behaviour;
    }

    /** A tool that answers "&lt;name&gt; &lt;version&gt;". */
    static TestTool answering(String name, String version) {
        return new TestTool(ToolDescriptor.builder(name).version(version).build(),
                inv -> ToolResult.success(name + " " + version));
    }

    static TestTool of(String name, Behaviour behaviour) {
        return new TestTool(ToolDescriptor.builder(name).build(), behaviour);
    }

    static TestTool of(String name, Duration timeout, Behaviour behaviour) {
        return new TestTool(ToolDescriptor.builder(name).timeout(timeout).build(), behaviour);
    }

    @Override
    public ToolDescriptor descriptor() {
        return descriptor;
    }

    @Override
    public ToolResult invoke(ToolInvocation invocation) throws ToolException {
        invocations.add(invocation);
        try {
            return behaviour.run(invocation);
        } catch (ToolException | RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
