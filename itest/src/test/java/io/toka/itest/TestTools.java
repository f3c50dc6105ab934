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

    static ToolDescriptor descriptor(String name, String version, Duration timeout) {
        return ToolDescriptor.builder(name).version(version).description("test tool " + name).timeout(timeout).build();
    }

    /** Returns a fixed text; {@code version} shows which service answered. */
    static Tool constant(String name, String version, String text) {
        ToolDescriptor d = descriptor(name, version, Duration.ofSeconds(5));
        return new Tool() {
            @Override
            public ToolDescriptor descriptor() {
                return d;
            }

            @Override
            public ToolResult invoke(ToolInvocation invocation) {
                return ToolResult.success(text);
            }
        };
    }

    /** Blocks until interrupted, then counts down {@code interrupted}. */
    static Tool hanging(String name, Duration timeout, CountDownLatch interrupted) {
        ToolDescriptor d = descriptor(name, "1.0.0", timeout);
        CountDownLatch never = new CountDownLatch(1);
        return new Tool() {
            @Override
            public ToolDescriptor descriptor() {
                return d;
            }

            @Override
            public ToolResult invoke(ToolInvocation invocation) throws ToolException {
                try {
                    never.await();
                    return ToolResult.success("unreachable");
                } catch (InterruptedException e) {
                    interrupted.countDown();
                    throw new ToolException("interrupted");
                }
            }
        };
    }

    /** Throws a runtime exception with an internal message that must never reach the caller. */
    static Tool throwing(String name) {
        ToolDescriptor d = descriptor(name, "1.0.0", Duration.ofSeconds(5));
        return new Tool() {
            @Override
            public ToolDescriptor descriptor() {
                return d;
            }

            @Override
            public ToolResult invoke(ToolInvocation invocation) {
                throw new IllegalStateException("secret internal detail");
            }
        };
    }
}
