package io.toka.itest.misbehaving.allocating;

import io.toka.tool.Tool;
import io.toka.tool.ToolDescriptor;
import io.toka.tool.ToolInvocation;
import io.toka.tool.ToolResult;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import org.osgi.framework.BundleActivator;
import org.osgi.framework.BundleContext;

/** Registers {@code hoarder}, whose every call allocates and keeps 1 MiB blocks without bound. */
public final class Activator implements BundleActivator {

    @Override
    public void start(BundleContext context) {
        context.registerService(Tool.class, new Tool() {
            @Override
            public ToolDescriptor descriptor() {
                return ToolDescriptor.builder("hoarder").description("allocates without bound")
                        .timeout(Duration.ofSeconds(60)).build();
            }

            @Override
            public ToolResult invoke(ToolInvocation invocation) {
                List<byte[]> hoard = new ArrayList<>();
                while (hoard.size() < Integer.MAX_VALUE) {
                    hoard.add(new byte[1 << 20]);
                }
                return ToolResult.success("kept " + hoard.size() + " MiB");
            }
        }, new Hashtable<>(Map.of(Tool.NAME, "hoarder")));
    }

    @Override
    public void stop(BundleContext context) {
        // the service goes with the bundle
    }
}
