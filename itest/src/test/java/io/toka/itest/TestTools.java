package io.toka.itest;

import io.toka.tool.Tool;
import io.toka.tool.ToolDescriptor;
import io.toka.tool.ToolException;
import io.toka.tool.ToolInvocation;
import io.toka.tool.ToolResult;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;

/** Small tools registered by the tests themselves. */
final class TestTools {

    private TestTools() {
    }

    /** What a test tool does when called. */
    @FunctionalInterface
    interface Behaviour {
        ToolResult invoke(ToolInvocation invocation) throws ToolException;
    }

    static ToolDescriptor descriptor(String name, String version, Duration timeout) {
        return ToolDescriptor.builder(name).version(version).description("test tool " + name).timeout(timeout).build();
    }

    static Tool of(ToolDescriptor descriptor, Behaviour behaviour) {
        return new Tool() {
            @Override
            public ToolDescriptor descriptor() {
                return descriptor;
            }

            @Override
            public ToolResult invoke(ToolInvocation invocation) throws ToolException {
                return behaviour.invoke(invocation);
            }
        };
    }

    /** Returns a fixed text; {@code version} shows which service answered. */
    static Tool constant(String name, String version, String text) {
        return of(descriptor(name, version, Duration.ofSeconds(5)), inv -> ToolResult.success(text));
    }

    /** Blocks until interrupted, then counts down {@code interrupted}. */
    static Tool hanging(String name, Duration timeout, CountDownLatch interrupted) {
        CountDownLatch never = new CountDownLatch(1);
        return of(descriptor(name, "1.0.0", timeout), inv -> {
            try {
                never.await();
                return ToolResult.success("unreachable");
            } catch (InterruptedException e) {
                interrupted.countDown();
                throw new ToolException("interrupted");
            }
        });
    }

    /** Throws a runtime exception with an internal message that must never reach the caller. */
    static Tool throwing(String name) {
        return of(descriptor(name, "1.0.0", Duration.ofSeconds(5)), inv -> {
            throw new IllegalStateException("secret internal detail");
        });
    }
}
