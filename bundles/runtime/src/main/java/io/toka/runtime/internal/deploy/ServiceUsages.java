package io.toka.runtime.internal.deploy;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceObjects;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes the framework forget the services a tool bundle used, just before the deployer uninstalls it, so that the
 * uninstalled bundle can be garbage collected.
 *
 * <p>Felix (7.0.5, and its master as of this writing) keeps a usage record per (using bundle, service) from the
 * bundle's first {@code getService}. For a singleton or bundle-scoped service the record stays, at a count of zero,
 * after the last {@code ungetService} (removing it there would race with a concurrent get), and it goes only when
 * that service is unregistered; stopping or uninstalling the using bundle does not remove it. Declarative Services
 * gets ConfigurationAdmin through each component bundle's own context to configure its components (and ungets it
 * at once), and gets each referenced service through it too; so every uninstalled tool bundle stayed reachable from
 * the framework's service registry, with its revision, archive and jar index: about 20 KiB per swap, 200 MiB after
 * the 10,000 swaps of {@code bench/scripts/swaps.sh}, for as long as ConfigurationAdmin stays registered.
 *
 * <p>An unget through {@link ServiceObjects} with the service object does remove the record once its count is zero.
 * So, while the bundle's context is still valid: its components are disabled (Declarative Services releases its
 * references), then each service it had in use, and ConfigurationAdmin, is got and ungot once more through its own
 * context's {@code ServiceObjects}. On a framework that drops such records itself this is one harmless get and unget.
 * A record left by the tool's own code for a service it got, ungot and no longer uses cannot be seen from outside,
 * and stays.
 */
final class ServiceUsages {

    /** Services that Declarative Services uses through every component bundle's context, in use or not. */
    static final List<String> ALWAYS = List.of("org.osgi.service.cm.ConfigurationAdmin");

    private static final Logger LOG = LoggerFactory.getLogger(ServiceUsages.class);

    private ServiceUsages() {
    }

    /**
     * Releases what {@code bundle} used. Call it on a bundle about to be uninstalled, whose tools are retired.
     *
     * @param bundle the bundle; nothing happens unless it is starting, active or stopping (it has a context)
     * @param components Declarative Services' runtime, or {@code null} when it is not there
     * @param timeoutMillis how long to wait for its components to be disabled
     * @param always names of services to release even when the bundle shows no use of them
     * @return how many usage records were released
     */
    static int release(Bundle bundle, ServiceComponentRuntime components, long timeoutMillis, Collection<String> always) {
        BundleContext context = bundle.getBundleContext();
        if (context == null) {
            return 0;
        }
        Set<ServiceReference<?>> used = new LinkedHashSet<>();
        ServiceReference<?>[] inUse = bundle.getServicesInUse();
        if (inUse != null) {
            used.addAll(List.of(inUse));
        }
        if (components != null) {
            disable(bundle, components, timeoutMillis);
        }
        for (String name : always) {
            try {
                ServiceReference<?>[] refs = context.getAllServiceReferences(name, null);
                if (refs != null) {
                    used.addAll(List.of(refs));
                }
            } catch (InvalidSyntaxException | IllegalStateException e) {
                return 0; // no filter is given; an IllegalStateException means the context went away meanwhile
            }
        }
        int released = 0;
        for (ServiceReference<?> ref : used) {
            if (releaseOne(context, ref)) {
                released++;
            }
        }
        return released;
    }

    private static <S> boolean releaseOne(BundleContext context, ServiceReference<S> ref) {
        try {
            ServiceObjects<S> objects = context.getServiceObjects(ref);
            if (objects == null) {
                return false; // unregistered meanwhile: its records went with it
            }
            S service = objects.getService();
            if (service == null) {
                return false;
            }
            objects.ungetService(service);
            return true;
        } catch (IllegalStateException | IllegalArgumentException | org.osgi.framework.ServiceException e) {
            // the bundle stopped meanwhile, or the service's factory failed: nothing more can be done from here
            LOG.debug("Cannot release service {} for bundle {}: {}", ref, context, e.toString());
            return false;
        }
    }

    /** Disables the bundle's components and waits until Declarative Services has done it (their references released). */
    private static void disable(Bundle bundle, ServiceComponentRuntime components, long timeoutMillis) {
        Collection<ComponentDescriptionDTO> descriptions;
        try {
            descriptions = components.getComponentDescriptionDTOs(bundle);
        } catch (RuntimeException e) {
            LOG.debug("Cannot list the components of {}: {}", bundle, e.toString());
            return;
        }
        List<CountDownLatch> pending = new ArrayList<>();
        for (ComponentDescriptionDTO d : descriptions) {
            try {
                CountDownLatch done = new CountDownLatch(1);
                components.disableComponent(d).onResolve(done::countDown);
                pending.add(done);
            } catch (RuntimeException e) {
                LOG.debug("Cannot disable component {} of {}: {}", d.name, bundle, e.toString());
            }
        }
        long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        for (CountDownLatch done : pending) {
            try {
                if (!done.await(Math.max(0, until - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                    LOG.warn("The components of tool bundle {} {} were not disabled within {} ms; uninstalling it anyway",
                            bundle.getSymbolicName(), bundle.getVersion(), timeoutMillis);
                    return;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
