package io.toka.itest.misbehaving.hanging;

import io.toka.tool.Tool;
import io.toka.tool.ToolDescriptor;
import io.toka.tool.ToolInvocation;
import io.toka.tool.ToolResult;
import java.time.Duration;
import java.util.Hashtable;
import java.util.Map;
import org.osgi.framework.BundleActivator;
import org.osgi.framework.BundleContext;

/**
 * Registers {@code hanging}: quick unless called with {@code {"mode":"hang"}}, then it never returns and ignores
 * interruption (it only gives up when its bundle stops, so that the distribution can shut down).
 */
public final class Activator implements BundleActivator {

    static volatile boolean stopped;

    @Override
    public void start(BundleContext context) {
        stopped = false;
        Hashtable<String, Object> props = new Hashtable<>(Map.of(Tool.NAME, "hanging"));
        context.registerService(Tool.class, new Tool() {
            @Override
            public ToolDescriptor descriptor() {
                return ToolDescriptor.builder("hanging").description("hangs on request").timeout(Duration.ofSeconds(1))
                        .build();
            }

            @Override
            public ToolResult invoke(ToolInvocation invocation) {
                if ("hang".equals(invocation.arguments().get("mode"))) {
                    while (!stopped) {
                        try {
                            Thread.sleep(200);
                        } catch (InterruptedException ignoredOnPurpose) {
                            // this tool misbehaves: it swallows the interrupt and carries on
                        }
                    }
                }
                return ToolResult.success("quick");
            }
        }, props);
    }

    @Override
    public void stop(BundleContext context) {
        stopped = true;
    }
}
