package io.toka.runtime.internal.execution;

import io.toka.runtime.execution.ExecutionEngine;
import java.util.Comparator;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One tracked {@link ExecutionEngine} service: its identity and its lazily obtained service object. */
final class EngineEntry {

    private static final Logger LOG = LoggerFactory.getLogger(EngineEntry.class);

    /** Best first: higher ranking, then newer (higher service id), as for tools. */
    static final Comparator<EngineEntry> PRECEDENCE = Comparator.<EngineEntry>comparingInt(e -> e.ranking).reversed()
            .thenComparing(Comparator.<EngineEntry>comparingLong(e -> e.serviceId).reversed());

    final ServiceReference<ExecutionEngine> reference;
    final String language;
    final long serviceId;
    volatile int ranking;

    private final BundleContext context;
    private ExecutionEngine service;
    private String version;
    private boolean released;

    EngineEntry(BundleContext context, ServiceReference<ExecutionEngine> reference, String language) {
        this.context = context;
        this.reference = reference;
        this.language = language;
        this.serviceId = (Long) reference.getProperty(Constants.SERVICE_ID);
        this.ranking = rankingOf(reference);
    }

    static int rankingOf(ServiceReference<?> reference) {
        Object r = reference.getProperty(Constants.SERVICE_RANKING);
        return r instanceof Integer i ? i : 0;
    }

    /**
     * The service object, obtained on first use (which activates a delayed component) and kept until the service
     * goes away.
     *
     * @throws IllegalStateException if the service is gone or its component failed to activate
     */
    synchronized ExecutionEngine service() {
        if (service == null) {
            if (released) {
                throw new IllegalStateException("engine " + this + " has gone away");
            }
            service = context.getService(reference);
            if (service == null) {
                throw new IllegalStateException("engine " + this + " could not be obtained");
            }
        }
        return service;
    }

    /** The engine's version, asked once; {@code unknown} if it cannot say. */
    String version() {
        synchronized (this) {
            if (version != null) {
                return version;
            }
        }
        String v;
        try {
            v = service().version();
        } catch (RuntimeException e) {
            LOG.warn("Engine {} cannot report its version", this, e);
            return "unknown";
        }
        v = v == null || v.isBlank() ? "unknown" : v;
        synchronized (this) {
            version = v;
        }
        return v;
    }

    synchronized void release() {
        if (!released) {
            released = true;
            if (service != null) {
                service = null;
                try {
                    context.ungetService(reference);
                } catch (IllegalStateException e) {
                    // the framework is stopping
                }
            }
        }
    }

    @Override
    public String toString() {
        return language + " (service " + serviceId + " from bundle "
                + (reference.getBundle() == null ? "?" : reference.getBundle().getSymbolicName()) + ")";
    }
}
