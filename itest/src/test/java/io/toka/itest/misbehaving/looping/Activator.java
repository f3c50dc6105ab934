package io.toka.itest.misbehaving.looping;

import io.toka.tool.Tool;
import io.toka.tool.ToolDescriptor;
import io.toka.tool.ToolInvocation;
import io.toka.tool.ToolResult;
import java.util.Hashtable;
import java.util.Map;
import org.osgi.framework.BundleActivator;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;

/**
 * Registers {@code flaky} and, unless its manifest says {@code X-Toka-Test-Mode: stable}, unregisters and registers
 * it again every 100 ms while the bundle stays active: a crash-looping tool.
 */
public final class Activator implements BundleActivator {

    private volatile Thread loop;

    @Override
    public void start(BundleContext context) {
        String version = context.getBundle().getVersion().toString();
        Tool tool = new Tool() {
            @Override
            public ToolDescriptor descriptor() {
                return ToolDescriptor.builder("flaky").version(version).description("crash loops").build();
            }

            @Override
            public ToolResult invoke(ToolInvocation invocation) {
                return ToolResult.success("flaky " + version);
            }
        };
        Hashtable<String, Object> props = new Hashtable<>(Map.of(Tool.NAME, "flaky"));
        if ("stable".equals(context.getBundle().getHeaders().get("X-Toka-Test-Mode"))) {
            context.registerService(Tool.class, tool, props);
            return;
        }
        Thread t = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                try {
                    ServiceRegistration<Tool> r = context.registerService(Tool.class, tool, props);
                    Thread.sleep(100);
                    r.unregister();
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    return;
                } catch (IllegalStateException bundleStopping) {
                    return;
                }
            }
        }, "flaky-loop");
        t.setDaemon(true);
        loop = t;
        t.start();
    }

    @Override
    public void stop(BundleContext context) throws InterruptedException {
        Thread t = loop;
        if (t != null) {
            t.interrupt();
            t.join(5_000);
        }
    }
}
