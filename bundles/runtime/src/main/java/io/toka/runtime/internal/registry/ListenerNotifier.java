package io.toka.runtime.internal.registry;

import io.toka.runtime.registry.ToolRegistryListener;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.util.tracker.ServiceTracker;
import org.osgi.util.tracker.ServiceTrackerCustomizer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link ToolRegistryListener} whiteboard: tracks the listener services and tells them which tool names changed,
 * one change after the other on a single dedicated thread, never on the thread that made the change.
 *
 * <p>A change goes to the listeners registered when it happened (a listener that comes later is not told about the
 * past) that are still registered when it is delivered.
 */
final class ListenerNotifier implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ListenerNotifier.class);

    private final List<ToolRegistryListener> listeners = new CopyOnWriteArrayList<>();
    private final ServiceTracker<ToolRegistryListener, ToolRegistryListener> tracker;
    /** One thread, created on the first change and ended after a minute without one; the queue keeps the order. */
    private final ExecutorService dispatcher;

    ListenerNotifier(BundleContext context) {
        ThreadPoolExecutor pool = new ThreadPoolExecutor(1, 1, 60, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, "toka-tool-listeners");
            t.setDaemon(true);
            return t;
        });
        pool.allowCoreThreadTimeOut(true);
        this.dispatcher = pool;
        this.tracker = new ServiceTracker<>(context, ToolRegistryListener.class, new Customizer(context));
        tracker.open();
    }

    /**
     * Queues one change for the listeners registered now. Returns at once.
     *
     * @param names the names whose winning service changed; not empty
     */
    void toolsChanged(Set<String> names) {
        List<ToolRegistryListener> targets = List.copyOf(listeners);
        if (targets.isEmpty()) {
            return;
        }
        Set<String> changed = Collections.unmodifiableSortedSet(new TreeSet<>(names));
        try {
            dispatcher.execute(() -> deliver(targets, changed));
        } catch (RejectedExecutionException closed) {
            // the registry is going away
        }
    }

    private void deliver(List<ToolRegistryListener> targets, Set<String> changed) {
        for (ToolRegistryListener l : targets) {
            if (!listeners.contains(l)) {
                continue; // unregistered since the change
            }
            try {
                l.toolsChanged(changed);
            } catch (RuntimeException e) {
                LOG.warn("Tool registry listener {} failed on a change of {}", l, changed, e);
            }
        }
    }

    @Override
    public void close() {
        tracker.close();
        dispatcher.shutdown();
    }

    private final class Customizer implements ServiceTrackerCustomizer<ToolRegistryListener, ToolRegistryListener> {

        private final BundleContext context;

        Customizer(BundleContext context) {
            this.context = context;
        }

        @Override
        public ToolRegistryListener addingService(ServiceReference<ToolRegistryListener> reference) {
            ToolRegistryListener l = context.getService(reference);
            if (l != null) {
                listeners.add(l);
            }
            return l;
        }

        @Override
        public void modifiedService(ServiceReference<ToolRegistryListener> reference, ToolRegistryListener l) {
            // nothing: a listener's properties do not matter
        }

        @Override
        public void removedService(ServiceReference<ToolRegistryListener> reference, ToolRegistryListener l) {
            listeners.remove(l);
            try {
                context.ungetService(reference);
            } catch (IllegalStateException alreadyGone) {
                // our context is already stopped
            }
        }
    }
}
