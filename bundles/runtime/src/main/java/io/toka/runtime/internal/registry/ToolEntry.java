package io.toka.runtime.internal.registry;

import io.toka.runtime.registry.ToolProvider;
import io.toka.tool.Tool;
import io.toka.tool.ToolDescriptor;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceReference;

/** One tracked Tool service: its identity, its lazily obtained service object, and its in-flight calls. */
final class ToolEntry {

    final ServiceReference<Tool> reference;
    final String name;
    final long serviceId;
    final long bundleId;
    final String bundleSymbolicName;
    final String bundleVersion;
    final Semaphore permits;
    final AtomicInteger inFlight = new AtomicInteger();
    /** How quickly its calls finish: whether the next one may run on the caller's thread. */
    final CallPace pace = new CallPace();
    volatile int ranking;
    volatile boolean retired;
    /** Held back by the {@link Quarantine} until its bundle is redeployed: no call reaches it. */
    volatile boolean quarantined;

    private final BundleContext context;
    private volatile Tool service;
    private volatile Prepared prepared;
    private boolean released;
    /** Why the service object could not be obtained, once that happened; {@code null} otherwise. */
    private volatile ActivationFailed activationFailure;
    private final java.util.function.Function<ServiceReference<?>, String> failureReason;

    ToolEntry(BundleContext context, ServiceReference<Tool> reference, String name, int maxConcurrentCalls) {
        this(context, reference, name, maxConcurrentCalls, ref -> null);
    }

    /**
     * @param failureReason why a service's component failed to activate (from Declarative Services), or {@code null}
     *     when that cannot be told
     */
    ToolEntry(BundleContext context, ServiceReference<Tool> reference, String name, int maxConcurrentCalls,
            java.util.function.Function<ServiceReference<?>, String> failureReason) {
        this.context = context;
        this.failureReason = failureReason;
        this.reference = reference;
        this.name = name;
        this.serviceId = (Long) reference.getProperty(Constants.SERVICE_ID);
        Bundle b = reference.getBundle();
        this.bundleId = b == null ? -1 : b.getBundleId();
        this.bundleSymbolicName = b == null ? "?" : String.valueOf(b.getSymbolicName());
        this.bundleVersion = b == null ? "?" : b.getVersion().toString();
        this.permits = new Semaphore(maxConcurrentCalls);
        this.ranking = rankingOf(reference);
    }

    static int rankingOf(ServiceReference<?> reference) {
        Object r = reference.getProperty(Constants.SERVICE_RANKING);
        return r instanceof Integer i ? i : 0;
    }

    /** @return whether calls may be routed to it: neither retired by the deployer nor quarantined */
    boolean usable() {
        return !retired && !quarantined;
    }

    /** @return why its service object could not be obtained, or {@code null} */
    ActivationFailed activationFailure() {
        return activationFailure;
    }

    ToolProvider provider() {
        return new ToolProvider(serviceId, ranking, bundleId, bundleSymbolicName, bundleVersion);
    }

    /**
     * The service object, obtained on first use (this activates a delayed DS component) and kept until the
     * service goes away.
     */
    Tool service() {
        Tool s = service;
        if (s == null) {
            synchronized (this) {
                s = service;
                if (s == null) {
                    if (released) {
                        throw new Gone(name);
                    }
                    ActivationFailed failed = activationFailure;
                    if (failed != null) {
                        // not retried: each try runs the component's failing activation again (and logs it); a
                        // fixed component comes back as a new registration, or its bundle is redeployed
                        throw failed;
                    }
                    s = context.getService(reference);
                    if (s == null) {
                        String why = null;
                        try {
                            why = failureReason.apply(reference);
                        } catch (RuntimeException e) {
                            // the reason is a courtesy; the failure stands without it
                        }
                        activationFailure = new ActivationFailed(name, why);
                        throw activationFailure;
                    }
                    service = s;
                }
            }
        }
        return s;
    }

    /** The descriptor and compiled schema, computed once per service. */
    Prepared prepared(SchemaCompiler compiler) {
        Prepared p = prepared;
        if (p == null) {
            synchronized (this) {
                p = prepared;
                if (p == null) {
                    ToolDescriptor d = service().descriptor();
                    if (d == null) {
                        throw new IllegalStateException("tool '" + name + "' returned no descriptor");
                    }
                    p = Prepared.of(name, d, compiler);
                    prepared = p;
                }
            }
        }
        return p;
    }

    /** Releases the service object; called once the service is gone from the tracker. */
    synchronized void release() {
        released = true;
        if (service != null) {
            service = null;
            try {
                context.ungetService(reference);
            } catch (IllegalStateException alreadyGone) {
                // the registering bundle or our own context is already stopped
            }
        }
    }

    /** The service left between selection and use; the caller should pick again. */
    static final class Gone extends IllegalStateException {
        private static final long serialVersionUID = 1L;

        Gone(String name) {
            super("tool '" + name + "' has been unregistered");
        }
    }

    /** The service's component did not activate: {@code getService} gave nothing. */
    static final class ActivationFailed extends IllegalStateException {
        private static final long serialVersionUID = 1L;
        final java.time.Instant at = java.time.Instant.now();

        ActivationFailed(String name, String why) {
            super("tool '" + name + "' cannot be activated: " + (why == null || why.isBlank()
                    ? "its component failed to activate (see the Toka log)" : why));
        }
    }

    @Override
    public String toString() {
        return name + "[service.id=" + serviceId + ", bundle=" + bundleSymbolicName + "/" + bundleVersion + "]";
    }
}
