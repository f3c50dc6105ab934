package io.toka.tools.external.internal;

import io.toka.tool.Tool;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.apache.felix.framework.FrameworkFactory;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceRegistration;
import org.osgi.framework.launch.Framework;

/**
 * A real Felix framework for a test: start it with {@link #start}, register {@link Tool} services through the
 * system bundle or through small manifest-only bundles, and {@link #close} it in {@code @AfterEach}.
 */
final class OsgiFramework implements AutoCloseable {

    private final Framework framework;
    private final Path dir;
    private int bundles;

    private OsgiFramework(Framework framework, Path dir) {
        this.framework = framework;
        this.dir = dir;
    }

    /**
     * @param dir an empty directory for the framework's storage and generated bundles
     * @return the started framework
     */
    static OsgiFramework start(Path dir) throws BundleException {
        Framework f = new FrameworkFactory().newFramework(Map.of(
                Constants.FRAMEWORK_STORAGE, dir.resolve("felix-cache").toString(),
                Constants.FRAMEWORK_STORAGE_CLEAN, Constants.FRAMEWORK_STORAGE_CLEAN_ONFIRSTINIT));
        f.init();
        f.start();
        return new OsgiFramework(f, dir);
    }

    /** @return the system bundle's context */
    BundleContext context() {
        return framework.getBundleContext();
    }

    /**
     * Installs and starts a bundle that has only a manifest, so that services can be registered by a bundle
     * other than the system bundle.
     *
     * @param symbolicName the Bundle-SymbolicName
     * @param version the Bundle-Version
     * @return the started bundle; its context registers services on its behalf
     */
    Bundle installBundle(String symbolicName, String version) throws IOException, BundleException {
        Manifest mf = new Manifest();
        Attributes a = mf.getMainAttributes();
        a.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        a.putValue(Constants.BUNDLE_MANIFESTVERSION, "2");
        a.putValue(Constants.BUNDLE_SYMBOLICNAME, symbolicName);
        a.putValue(Constants.BUNDLE_VERSION, version);
        Path jar = dir.resolve("bundle-" + (++bundles) + ".jar");
        try (OutputStream out = Files.newOutputStream(jar); JarOutputStream j = new JarOutputStream(out, mf)) {
            j.flush();
        }
        Bundle b = context().installBundle(jar.toUri().toString());
        b.start();
        return b;
    }

    /**
     * Registers a tool service with {@link Tool#NAME} set to {@code name} and any extra properties.
     *
     * @param context the registering bundle's context
     * @param name the value of {@link Tool#NAME}, or {@code null} to leave the property out
     * @param tool the service object
     * @param extra more properties as key, value, key, value...
     * @return the registration
     */
    static ServiceRegistration<Tool> register(BundleContext context, Object name, Tool tool, Object... extra) {
        return context.registerService(Tool.class, tool, properties(name, extra));
    }

    /** Registers through the system bundle; see {@link #register(BundleContext, Object, Tool, Object...)}. */
    ServiceRegistration<Tool> register(Object name, Tool tool, Object... extra) {
        return register(context(), name, tool, extra);
    }

    static Dictionary<String, Object> properties(Object name, Object... extra) {
        Hashtable<String, Object> props = new Hashtable<>();
        if (name != null) {
            props.put(Tool.NAME, name);
        }
        for (int i = 0; i < extra.length; i += 2) {
            props.put((String) extra[i], extra[i + 1]);
        }
        return props;
    }

    @Override
    public void close() throws BundleException, InterruptedException {
        framework.stop();
        framework.waitForStop(10_000);
    }
}
