package io.toka.metrics.internal;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one Micrometer registry of Toka's metrics, rendered in the Prometheus text format, with the JVM's meters
 * (memory, collections, threads, classes, CPU, file descriptors, uptime). Components that read statistics kept
 * elsewhere register a {@link #beforeScrape hook} that brings their meters up to date just before each scrape, so
 * nothing is polled between scrapes.
 */
@Component(service = MetricsRegistry.class)
public final class MetricsRegistry {

    /** The Prometheus text format 0.0.4, what {@link #scrape(String)} answers unless OpenMetrics is asked for. */
    static final String TEXT_FORMAT = "text/plain; version=0.0.4; charset=utf-8";
    static final String OPENMETRICS_FORMAT = "application/openmetrics-text; version=1.0.0; charset=utf-8";

    private static final Logger LOG = LoggerFactory.getLogger(MetricsRegistry.class);

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final List<Runnable> hooks = new CopyOnWriteArrayList<>();
    private final JvmGcMetrics gc = new JvmGcMetrics();

    public MetricsRegistry() {
        new JvmMemoryMetrics().bindTo(registry);
        gc.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new FileDescriptorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
    }

    @Deactivate
    void close() {
        gc.close();
        registry.close();
    }

    /** @return the registry meters are added to */
    MeterRegistry meters() {
        return registry;
    }

    /** Runs {@code hook} before every scrape, until it is removed; a hook that throws is logged and skipped. */
    void beforeScrape(Runnable hook) {
        hooks.add(hook);
    }

    void removeBeforeScrape(Runnable hook) {
        hooks.remove(hook);
    }

    /**
     * @param accept the request's {@code Accept} header, or {@code null}
     * @return the content type to answer with: OpenMetrics if the client asks for it, else the text format 0.0.4
     */
    static String contentType(String accept) {
        return accept != null && accept.contains("application/openmetrics-text") ? OPENMETRICS_FORMAT : TEXT_FORMAT;
    }

    /**
     * Brings the meters up to date and renders them.
     *
     * @param contentType {@link #TEXT_FORMAT} or {@link #OPENMETRICS_FORMAT}
     * @return the exposition
     */
    String scrape(String contentType) {
        for (Runnable hook : hooks) {
            try {
                hook.run();
            } catch (RuntimeException e) {
                LOG.warn("A metrics source failed before a scrape; its meters keep their last values", e);
            }
        }
        return registry.scrape(contentType);
    }
}
