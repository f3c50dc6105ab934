package io.toka.itest.misbehaving.exporting;

import io.toka.tool.Tool;
import io.toka.tool.ToolDescriptor;
import io.toka.tool.ToolInvocation;
import io.toka.tool.ToolResult;
import java.util.Hashtable;
import java.util.Map;
import org.osgi.framework.BundleActivator;
import org.osgi.framework.BundleContext;
import org.osgi.framework.FrameworkUtil;

/**
 * Registers {@code exporter} from a bundle that exports (and imports) this package. Its answer names the version of
 * the bundle whose class loader defined this class: after a swap it shows whether the new version runs its own code
 * or the old bundle's.
 */
public final class Activator implements BundleActivator {

    @Override
    public void start(BundleContext context) {
        context.registerService(Tool.class, new Tool() {
            @Override
            public ToolDescriptor descriptor() {
                return ToolDescriptor.builder("exporter").version(context.getBundle().getVersion().toString())
                        .description("exports a package").build();
            }

            @Override
            public ToolResult invoke(ToolInvocation invocation) {
                return ToolResult.success("code of " + FrameworkUtil.getBundle(Activator.class).getVersion());
            }
        }, new Hashtable<>(Map.of(Tool.NAME, "exporter")));
    }

    @Override
    public void stop(BundleContext context) {
        // the service goes with the bundle
    }
}
