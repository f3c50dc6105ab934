package io.toka.metrics.internal;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.hawkular.agent.prometheus.text.TextPrometheusMetricDataParser;
import org.hawkular.agent.prometheus.types.Counter;
import org.hawkular.agent.prometheus.types.Gauge;
import org.hawkular.agent.prometheus.types.Histogram;
import org.hawkular.agent.prometheus.types.Metric;
import org.hawkular.agent.prometheus.types.MetricFamily;

/** A scrape read back with a Prometheus text-format parser (Hawkular's), as Prometheus would read it. */
final class Scrapes {

    private final List<MetricFamily> families = new ArrayList<>();

    Scrapes(String exposition) {
        try {
            TextPrometheusMetricDataParser parser = new TextPrometheusMetricDataParser(
                    new ByteArrayInputStream(exposition.getBytes(StandardCharsets.UTF_8)));
            for (MetricFamily f; (f = parser.parse()) != null; ) {
                families.add(f);
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    MetricFamily family(String name) {
        return families.stream().filter(f -> f.getName().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no metric family " + name + " in the scrape"));
    }

    boolean has(String name) {
        return families.stream().anyMatch(f -> f.getName().equals(name));
    }

    /** The value of a counter or gauge sample with exactly these labels (others ignored if not given). */
    double value(String name, Map<String, String> labels) {
        Metric m = metric(name, labels);
        if (m instanceof Counter c) {
            return c.getValue();
        }
        if (m instanceof Gauge g) {
            return g.getValue();
        }
        throw new AssertionError(name + " is a " + m.getClass().getSimpleName());
    }

    /** A histogram sample. */
    Histogram histogram(String name, Map<String, String> labels) {
        return (Histogram) metric(name, labels);
    }

    private Metric metric(String name, Map<String, String> labels) {
        for (Metric m : family(name).getMetrics()) {
            if (m.getLabels().entrySet().containsAll(labels.entrySet())) {
                return m;
            }
        }
        throw new AssertionError("no sample of " + name + " with " + labels + "; have "
                + family(name).getMetrics().stream().map(Metric::getLabels).toList());
    }
}
