package io.toka.runtime.internal.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.ref.WeakReference;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.apache.felix.framework.FrameworkFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceFactory;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.ServiceRegistration;
import org.osgi.framework.launch.Framework;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;
import org.osgi.util.promise.Deferred;
import org.osgi.util.promise.Promise;

/**
 * A swapped-out tool bundle must become garbage once uninstalled. Felix keeps a record of every service a bundle
 * used, at a count of zero after the last unget, until that service goes away; Declarative Services uses
 * ConfigurationAdmin through each component bundle's context, and the services its components reference. These
 * tests do what Declarative Services does with a real Felix framework, with {@code Runnable} standing for
 * ConfigurationAdmin (got and ungot at once) and {@code Supplier} for a referenced service (held until the component
 * is disabled).
 */
class ServiceUsagesTest {

    private static final List<String> ALWAYS = List.of(Runnable.class.getName());

    @TempDir
    Path dir;

    private Framework framework;
    private final AtomicInteger factoryUngets = new AtomicInteger();

    @BeforeEach
    void start() throws Exception {
        framework = new FrameworkFactory().newFramework(Map.of(
                Constants.FRAMEWORK_STORAGE, dir.resolve("felix-cache").toString(),
                Constants.FRAMEWORK_STORAGE_CLEAN, Constants.FRAMEWORK_STORAGE_CLEAN_ONFIRSTINIT));
        framework.init();
        framework.start();
        BundleContext system = framework.getBundleContext();
        // a bundle-scoped factory like ConfigurationAdmin's: one object per using bundle
        system.registerService(Runnable.class, new ServiceFactory<Runnable>() {
            @Override
            public Runnable getService(Bundle bundle, ServiceRegistration<Runnable> registration) {
                return () -> { };
            }

            @Override
            public void ungetService(Bundle bundle, ServiceRegistration<Runnable> registration, Runnable service) {
                factoryUngets.incrementAndGet();
            }
        }, null);
        system.registerService(Supplier.class, () -> "referenced", null);
    }

    @AfterEach
    void stop() throws Exception {
        framework.stop();
        framework.waitForStop(10_000);
    }

    @Test
    void anUninstalledBundleWhoseUsesWereReleasedIsCollected() throws Exception {
        WeakReference<Bundle> gone = new WeakReference<>(useAndUninstall(true));

        await().atMost(Duration.ofSeconds(20)).until(() -> {
            System.gc();
            return gone.get() == null;
        });
        assertThat(factoryUngets).as("the factory saw the get and unget of the release, and the earlier one")
                .hasValue(2);
    }

    @Test
    void withoutTheReleaseFelixKeepsTheUninstalledBundle() throws Exception {
        // the framework behaviour ServiceUsages works around: if this starts failing, Felix forgets such records
        // itself and ServiceUsages is no longer needed
        WeakReference<Bundle> kept = new WeakReference<>(useAndUninstall(false));

        await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(5)).until(() -> {
            System.gc();
            return kept.get() != null;
        });
    }

    @Test
    void aBundleWithoutAContextIsLeftAlone() throws Exception {
        Bundle b = install("io.toka.test.stopped");
        b.stop();

        assertThat(ServiceUsages.release(b, null, 1000, ALWAYS)).isZero();
    }

    /**
     * Installs a bundle that uses both services as Declarative Services would, optionally releases its uses (the
     * components disabled through a Declarative Services runtime that ungets the referenced service), uninstalls it.
     *
     * @return the uninstalled bundle, referenced from nowhere in this test once returned
     */
    private Bundle useAndUninstall(boolean release) throws Exception {
        Bundle b = install("io.toka.test.tool");
        BundleContext context = b.getBundleContext();
        ServiceReference<Runnable> config = context.getServiceReference(Runnable.class);
        assertThat(context.getService(config)).isNotNull();
        context.ungetService(config); // configured, then ungot at once
        ServiceReference<Supplier> referenced = context.getServiceReference(Supplier.class);
        assertThat(context.getService(referenced)).isNotNull(); // a reference, held while the component is active
        if (release) {
            FakeComponents scr = new FakeComponents(b, referenced);
            assertThat(ServiceUsages.release(b, scr, 5000, ALWAYS)).isEqualTo(2);
            assertThat(scr.disabled).as("the component was disabled before its uses were released").isTrue();
            assertThat(b.getServicesInUse()).isNull();
        }
        b.uninstall();
        return b;
    }

    private Bundle install(String symbolicName) throws IOException, org.osgi.framework.BundleException {
        Manifest mf = new Manifest();
        Attributes a = mf.getMainAttributes();
        a.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        a.putValue(Constants.BUNDLE_MANIFESTVERSION, "2");
        a.putValue(Constants.BUNDLE_SYMBOLICNAME, symbolicName);
        a.putValue(Constants.BUNDLE_VERSION, "1.0.0");
        Path jar = dir.resolve(symbolicName + ".jar");
        try (OutputStream out = Files.newOutputStream(jar); JarOutputStream j = new JarOutputStream(out, mf)) {
            j.flush();
        }
        Bundle b = framework.getBundleContext().installBundle(jar.toUri().toString());
        b.start();
        return b;
    }

    /** Declarative Services as far as the release uses it: one component, whose disabling ungets its reference. */
    private static final class FakeComponents implements ServiceComponentRuntime {
        private final Bundle bundle;
        private final ServiceReference<?> reference;
        volatile boolean disabled;

        FakeComponents(Bundle bundle, ServiceReference<?> reference) {
            this.bundle = bundle;
            this.reference = reference;
        }

        @Override
        public Collection<ComponentDescriptionDTO> getComponentDescriptionDTOs(Bundle... bundles) {
            ComponentDescriptionDTO d = new ComponentDescriptionDTO();
            d.name = "tool";
            return bundles.length == 1 && bundles[0] == bundle ? List.of(d) : List.of();
        }

        @Override
        public Promise<Void> disableComponent(ComponentDescriptionDTO description) {
            Deferred<Void> done = new Deferred<>();
            Thread t = new Thread(() -> { // asynchronously, as Felix SCR does
                bundle.getBundleContext().ungetService(reference);
                disabled = true;
                done.resolve(null);
            });
            t.start();
            return done.getPromise();
        }

        @Override
        public ComponentDescriptionDTO getComponentDescriptionDTO(Bundle b, String name) {
            return null;
        }

        @Override
        public Collection<ComponentConfigurationDTO> getComponentConfigurationDTOs(ComponentDescriptionDTO d) {
            return List.of();
        }

        @Override
        public boolean isComponentEnabled(ComponentDescriptionDTO d) {
            return !disabled;
        }

        @Override
        public Promise<Void> enableComponent(ComponentDescriptionDTO d) {
            throw new UnsupportedOperationException();
        }
    }
}
