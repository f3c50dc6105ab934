package io.toka.bench.soak;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * What the load did, minute by minute: per kind of operation the latencies of the ones that succeeded and the count
 * of the ones that did not, by label. An expected refusal (a revoked token answered 401) is counted apart, never as
 * an error.
 */
final class Stats {

    /** One kind of operation in one minute. */
    static final class Series {
        private long[] latencies = new long[256];
        private int n;
        final LongAdder errors = new LongAdder();

        synchronized void add(long nanos) {
            if (n == latencies.length) {
                latencies = Arrays.copyOf(latencies, n * 2);
            }
            latencies[n++] = nanos;
        }

        synchronized long[] latencies() {
            return Arrays.copyOf(latencies, n);
        }
    }

    /** One minute of the run. */
    static final class Minute {
        final Map<String, Series> kinds = new ConcurrentHashMap<>();
        final Map<String, LongAdder> errors = new ConcurrentHashMap<>();
        final Map<String, LongAdder> expected = new ConcurrentHashMap<>();
        /** Operations the driver did not start because it was already more than its queue's worth behind. */
        final Map<String, LongAdder> behind = new ConcurrentHashMap<>();

        Series series(String kind) {
            return kinds.computeIfAbsent(kind, k -> new Series());
        }

        long ok() {
            return kinds.values().stream().mapToLong(s -> s.latencies().length).sum();
        }

        long errorCount() {
            return errors.values().stream().mapToLong(LongAdder::sum).sum();
        }

        /** Every latency of the minute, or only those of the given kinds, sorted. */
        long[] sorted(List<String> only) {
            List<long[]> parts = new ArrayList<>();
            kinds.forEach((k, s) -> {
                if (only == null || only.contains(k)) {
                    parts.add(s.latencies());
                }
            });
            long[] all = new long[parts.stream().mapToInt(a -> a.length).sum()];
            int i = 0;
            for (long[] p : parts) {
                System.arraycopy(p, 0, all, i, p.length);
                i += p.length;
            }
            Arrays.sort(all);
            return all;
        }

        /** "label n, label n" or "-". */
        String errorsText() {
            return text(errors);
        }

        String expectedText() {
            return text(expected);
        }

        long behindCount() {
            return behind.values().stream().mapToLong(LongAdder::sum).sum();
        }

        String behindText() {
            return text(behind);
        }

        private static String text(Map<String, LongAdder> m) {
            if (m.isEmpty()) {
                return "-";
            }
            StringBuilder b = new StringBuilder();
            new TreeMap<>(m).forEach((k, v) -> b.append(b.length() == 0 ? "" : ", ").append(k).append(' ').append(v.sum()));
            return b.toString();
        }
    }

    private final long start = System.nanoTime();
    private final Map<Integer, Minute> minutes = new ConcurrentHashMap<>();

    /** The minute (0-based) that a moment falls in. */
    int minuteOf(long nanos) {
        return (int) ((nanos - start) / 60_000_000_000L);
    }

    long start() {
        return start;
    }

    Minute minute(int m) {
        return minutes.computeIfAbsent(m, k -> new Minute());
    }

    void ok(String kind, long began) {
        long now = System.nanoTime();
        minute(minuteOf(now)).series(kind).add(now - began);
    }

    void error(String kind, String label) {
        Minute m = minute(minuteOf(System.nanoTime()));
        m.series(kind).errors.increment();
        m.errors.computeIfAbsent(kind + ":" + label, k -> new LongAdder()).increment();
    }

    void expected(String kind, String label) {
        minute(minuteOf(System.nanoTime())).expected.computeIfAbsent(kind + ":" + label, k -> new LongAdder()).increment();
    }

    /** An operation skipped because the driver is too far behind its schedule (the server is not keeping up). */
    void behind(String kind) {
        minute(minuteOf(System.nanoTime())).behind.computeIfAbsent(kind, k -> new LongAdder()).increment();
    }

    /** Every minute from {@code from} to {@code to} inclusive, merged. */
    Minute merged(int from, int to) {
        Minute all = new Minute();
        for (int i = from; i <= to; i++) {
            Minute m = minutes.get(i);
            if (m == null) {
                continue;
            }
            m.kinds.forEach((k, s) -> {
                Series into = all.series(k);
                for (long l : s.latencies()) {
                    into.add(l);
                }
                into.errors.add(s.errors.sum());
            });
            m.errors.forEach((k, v) -> all.errors.computeIfAbsent(k, x -> new LongAdder()).add(v.sum()));
            m.expected.forEach((k, v) -> all.expected.computeIfAbsent(k, x -> new LongAdder()).add(v.sum()));
            m.behind.forEach((k, v) -> all.behind.computeIfAbsent(k, x -> new LongAdder()).add(v.sum()));
        }
        return all;
    }

    /** The q-quantile (0..1) of sorted values, in milliseconds; NaN when there are none. */
    static double quantileMs(long[] sorted, double q) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int i = (int) Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
        return sorted[i] / 1e6;
    }
}
