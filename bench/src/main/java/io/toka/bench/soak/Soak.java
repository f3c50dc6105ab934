package io.toka.bench.soak;

import io.toka.bench.soak.Api.Failure;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The soak: a realistic mix against a running distribution for some minutes, at a fraction of the capacity that
 * {@code bench/scripts/soak.sh} measured just before (a short wrk burst of the REST call of {@code hello}, the hot
 * path). Prints one row per minute (throughput, errors by kind, latency, CPU, resident memory, heap and metaspace
 * after a full GC, threads, descriptors, sandbox processes, the event store), then the figures per kind of operation
 * and the goal lines. Exit status 0 when every goal is met.
 *
 * <p>The mix, per second unless said: REST calls of the Java tools {@code hello} (hot-deployed) and
 * {@code file-reader} (one in ten) make up the rate that the other kinds leave of the target; the script tool
 * {@code word-count} (Python in the sandbox) 2; executions of shell 1, Python 1, JavaScript 4 and WASM 4; a token's
 * life (issue, use, revoke, refused; one in five also holds an event stream that must end at the revocation) 1;
 * two agents each running in a loop (one model turn calls {@code hello}, the next gives the verdict; the fake model
 * answers in 40 ms ± 50 %) with a second between runs; four event streams open all the time ({@code /events/stream}
 * unfiltered, {@code ?kind=tool.invoked}, {@code ?kind=code.executed} and {@code /watch}), each reopened with
 * {@code Last-Event-ID} every 45 s; and a hot swap of {@code hello} between two versions every 30 s.
 *
 * <p>{@code java -cp bench/target/benchmarks.jar io.toka.bench.soak.Soak --base URL --token FILE --home DIR --pid PID
 * --minutes N --capacity REQ_PER_S --model-port PORT --jars A.jar,B.jar --versions 1.0.0,1.0.1 [--load 0.5]
 * [--histogram true]}
 */
public final class Soak {

    /** Fixed rates per second of the kinds that are not the hot path. */
    static final Map<String, Double> FIXED = fixed();

    private static Map<String, Double> fixed() {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("word-count", 2.0);
        m.put("exec-shell", 1.0);
        m.put("exec-python", 1.0);
        m.put("exec-javascript", 4.0);
        m.put("exec-wasm", 4.0);
        m.put("token", 1.0);
        return m;
    }

    /** How long the rates take to reach their target at the start (within minute 1). */
    static final long RAMP_NANOS = 30_000_000_000L;

    /** The kinds whose latency is the "tool p99" column: REST tool calls. */
    static final List<String> TOOL_CALLS = List.of("hello", "file-reader", "word-count");

    private final Args args;
    private final Api api;
    private final Stats stats = new Stats();
    private final Probe probe;
    private final Operations ops;
    private final ThreadPoolExecutor workers;
    private final List<Thread> loops = new ArrayList<>();
    private final List<SseSubscriber> streams = new ArrayList<>();
    private final List<Sample> samples = new ArrayList<>();
    private final PrintStream out = System.out;
    private volatile boolean running = true;

    /** The figures read at the end of a minute. */
    record Sample(int minute, double opsPerSec, long errors, long skipped, double p50, double p99, double toolP99, double cpuPct,
            double rssMiB, double heapMiB, double metaMiB, int threads, int fds, int sandbox, long events,
            double dbMiB, String errorsText) {
    }

    private Soak(Args args) throws IOException {
        this.args = args;
        this.api = new Api(args.base, Files.readString(args.token).trim(), Duration.ofSeconds(30));
        this.probe = new Probe(args.pid);
        this.ops = new Operations(api, stats);
        this.workers = new ThreadPoolExecutor(96, 96, 60, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, "soak-worker");
            t.setDaemon(true);
            return t;
        });
    }

    public static void main(String[] argv) throws Exception {
        Args a = Args.parse(argv);
        Soak soak = new Soak(a);
        boolean met = soak.run();
        System.exit(met ? 0 : 1);
    }

    private boolean run() throws Exception {
        double target = args.capacity * args.load;
        double fixedSum = FIXED.values().stream().mapToDouble(Double::doubleValue).sum();
        double hot = Math.max(1, target - fixedSum);
        out.printf(Locale.ROOT, "Soak: %d min at %.0f %% of the measured capacity %.0f req/s = %.0f ops/s: hello and "
                + "file-reader %.0f/s, %s; 2 agents in a loop, 4 event streams, a hot swap every 30 s%n", args.minutes,
                args.load * 100, args.capacity, target, hot, FIXED.toString().replace("=", " ").replace("{", "").replace("}", "/s each"));

        try (FakeModel model = new FakeModel(args.modelPort, "hello", "{\"name\":\"agent\"}", 40)) {
            String[] agents = {"soak-agent-1", "soak-agent-2"};
            for (String a : agents) {
                ops.defineAgent(a);
            }
            HotDeploy deploy = new HotDeploy(api, args.home.resolve("deploy"), new Path[] {args.jars[1], args.jars[0]},
                    new String[] {args.versions[1], args.versions[0]});

            Sample base = sample(-1, 0, probe.cpuTicks());
            printHeader();
            print(base);
            long t0 = stats.start();

            pace("hello", hot * 0.9, ops::hello);
            pace("file-reader", hot * 0.1, ops::fileReader);
            pace("word-count", FIXED.get("word-count"), ops::wordCount);
            for (String lang : List.of("shell", "python", "javascript", "wasm")) {
                pace("exec-" + lang, FIXED.get("exec-" + lang), () -> ops.execute(lang));
            }
            pace("token", FIXED.get("token"), () -> ops.tokenCycle(5));
            for (String a : agents) {
                loop("agent-" + a, () -> {
                    long began = System.nanoTime();
                    try {
                        ops.agentRun(a, 60_000);
                        stats.ok("agent", began);
                    } catch (Failure f) {
                        stats.error("agent", f.label);
                        note("agent", f);
                    }
                    Operations.sleep(1000);
                });
            }
            loop("deploy", () -> {
                long next = System.nanoTime() + 30_000_000_000L;
                while (running && System.nanoTime() - next < 0) {
                    Operations.sleep(100);
                }
                if (!running) {
                    return;
                }
                long began = System.nanoTime();
                try {
                    deploy.swap(20_000);
                    stats.ok("deploy", began);
                } catch (Failure f) {
                    stats.error("deploy", f.label);
                    note("deploy", f);
                }
            });
            subscribe("/api/v1/events/stream", "sse-events");
            subscribe("/api/v1/events/stream?kind=tool.invoked", "sse-tools");
            subscribe("/api/v1/events/stream?kind=code.executed", "sse-exec");
            subscribe("/api/v1/watch", "sse-watch");
            ScheduledExecutorService watch = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "soak-stall-watch");
                t.setDaemon(true);
                return t;
            });
            watch.scheduleWithFixedDelay(() -> streams.forEach(SseSubscriber::watch), 5, 5, TimeUnit.SECONDS);

            long ticks = probe.cpuTicks();
            for (int m = 0; m < args.minutes; m++) {
                long end = t0 + (m + 1) * 60_000_000_000L;
                while (System.nanoTime() - end < 0) {
                    LockSupport.parkNanos(Math.min(1_000_000_000L, end - System.nanoTime()));
                }
                long now = probe.cpuTicks();
                Sample s = sample(m, 60, now - ticks);
                ticks = now;
                samples.add(s);
                print(s);
                if (args.histogram) {
                    histogramGrowth();
                }
            }

            running = false;
            streams.forEach(SseSubscriber::stop);
            watch.shutdownNow();
            workers.shutdown();
            boolean drained = workers.awaitTermination(90, TimeUnit.SECONDS);
            for (Thread t : loops) {
                t.join(90_000);
            }
            out.printf(Locale.ROOT, "load stopped%s; fake model: %d requests, %d refused%n",
                    drained ? "" : " (some operations still running after 90 s)", model.requests.get(), model.refused.get());
        }
        return report();
    }

    // ---------------------------------------------------------------- load

    /** An operation that throws {@link Failure} when the answer is wrong. */
    interface Op {
        void run() throws Failure;
    }

    private void execute(String kind, long scheduled, Op op) {
        try {
            op.run();
            stats.ok(kind, scheduled);
        } catch (Failure f) {
            stats.error(kind, f.label);
            note(kind, f);
        } catch (RuntimeException e) {
            stats.error(kind, "driver-" + e.getClass().getSimpleName());
            note(kind, new Failure("driver", e.toString()));
        }
    }

    /**
     * Starts {@code op} at a fixed rate (open loop: the schedule does not wait for answers), on the worker pool.
     * Latency counts from the scheduled start, so any wait in the driver shows as well.
     */
    private void pace(String kind, double perSecond, Op op) {
        if (perSecond <= 0) {
            return;
        }
        long interval = (long) (1e9 / perSecond);
        loops.add(start("pace-" + kind, () -> {
            long next = System.nanoTime() + (long) (Math.random() * interval);
            while (running) {
                long wait = next - System.nanoTime();
                if (wait > 0) {
                    LockSupport.parkNanos(wait);
                    continue;
                }
                long scheduled = next;
                // the first RAMP seconds go from a tenth of the rate to all of it, so that both JVMs compile the
                // paths of the mix before they carry it all
                double ramp = Math.min(1, Math.max(0.1, (next - stats.start()) / (double) RAMP_NANOS));
                next += (long) (interval / ramp);
                if (workers.getQueue().size() > 5000) {
                    stats.behind(kind);
                    continue;
                }
                workers.execute(() -> execute(kind, scheduled, op));
            }
        }));
    }

    /** Runs {@code body} again and again on its own thread until the load stops. */
    private void loop(String name, Runnable body) {
        loops.add(start(name, () -> {
            while (running) {
                body.run();
            }
        }));
    }

    private void subscribe(String path, String kind) {
        SseSubscriber s = new SseSubscriber(api, path, kind, stats, 45_000, 40_000);
        streams.add(s);
        start(kind, s);
    }

    private static Thread start(String name, Runnable r) {
        Thread t = new Thread(r, "soak-" + name);
        t.setDaemon(true);
        t.start();
        return t;
    }

    private final Map<String, Integer> noted = new java.util.concurrent.ConcurrentHashMap<>();

    /** Prints the first few failures of each label, so that a failed run says what went wrong. */
    private void note(String kind, Failure f) {
        String key = kind + ":" + f.label;
        if (noted.merge(key, 1, Integer::sum) <= 3) {
            String m = f.getMessage();
            System.err.println("  [" + kind + "] " + (m.length() > 400 ? m.substring(0, 400) + "..." : m));
        }
    }

    // ---------------------------------------------------------------- figures

    private Sample sample(int minute, int seconds, long cpuTicks) throws IOException {
        Stats.Minute m = minute < 0 ? new Stats.Minute() : stats.minute(minute);
        long[] all = m.sorted(null);
        long[] tools = m.sorted(TOOL_CALLS);
        Probe.Heap heap = probe.heapAfterGc(3, 2000);
        long events = -1;
        try {
            Api.Reply r = api.get("/api/v1/events/store");
            events = r.status() == 200 ? r.body().path("count").asLong(-1) : -1;
        } catch (Failure f) {
            stats.error("probe", "events-store-" + f.label);
        }
        Path db = args.home.resolve("data/toka");
        long dbBytes = 0;
        for (String f : List.of("events.db", "events.db-wal", "events.db-shm")) {
            try {
                dbBytes += Files.size(db.resolve(f));
            } catch (IOException e) {
                // no WAL right now
            }
        }
        return new Sample(minute + 1, seconds == 0 ? 0 : m.ok() / (double) seconds, m.errorCount(), m.behindCount(),
                Stats.quantileMs(all, 0.5), Stats.quantileMs(all, 0.99), Stats.quantileMs(tools, 0.99),
                seconds == 0 ? 0 : cpuTicks / (double) seconds, probe.rssMiB(), heap.usedKiB() / 1024.0,
                heap.metaspaceKiB() / 1024.0, probe.threads(), probe.fds(), probe.descendants().size(), events,
                dbBytes / 1048576.0, m.errorsText());
    }

    private Map<String, long[]> lastHistogram;

    /** With {@code --histogram true}: the classes whose live bytes grew most since the last minute (leak hunting). */
    private void histogramGrowth() throws IOException {
        Map<String, long[]> now = probe.histogram(java.util.regex.Pattern.compile("."));
        if (lastHistogram != null) {
            Map<String, long[]> before = lastHistogram;
            now.entrySet().stream()
                    .sorted((a, b) -> Long.compare(b.getValue()[1] - before.getOrDefault(b.getKey(), new long[3])[1],
                            a.getValue()[1] - before.getOrDefault(a.getKey(), new long[3])[1]))
                    .limit(12)
                    .forEach(e -> {
                        long[] was = before.getOrDefault(e.getKey(), new long[3]);
                        out.printf(Locale.ROOT, "        %+9.1f KiB %+8d instances  %s%n", (e.getValue()[1] - was[1]) / 1024.0,
                                e.getValue()[0] - was[0], e.getKey());
                    });
        }
        lastHistogram = now;
    }

    private void printHeader() {
        out.printf(Locale.ROOT, "%5s %8s %6s %7s %8s %8s %9s %5s %7s %8s %7s %5s %5s %4s %8s %7s  %s%n", "min", "ops/s",
                "errors", "skipped", "p50 ms", "p99 ms", "tool p99", "cpu%", "RSS MiB", "heap MiB", "meta", "thr", "fds", "sbx",
                "events", "db MiB", "errors by kind");
    }

    private void print(Sample s) {
        out.printf(Locale.ROOT, "%5s %8.1f %6d %7d %8.2f %8.2f %9.2f %5.0f %7.1f %8.1f %7.1f %5d %5d %4d %8d %7.1f  %s%n",
                s.minute() == 0 ? "start" : Integer.toString(s.minute()), s.opsPerSec(), s.errors(), s.skipped(), s.p50(), s.p99(),
                s.toolP99(), s.cpuPct(), s.rssMiB(), s.heapMiB(), s.metaMiB(), s.threads(), s.fds(), s.sandbox(),
                s.events(), s.dbMiB(), s.errorsText());
        out.flush();
    }

    private boolean report() throws IOException, InterruptedException {
        // what the sandbox left: processes under the JVM, once the last runs have had time to end, and work dirs
        long until = System.nanoTime() + 15_000_000_000L;
        List<String> left = probe.descendants();
        while (!left.isEmpty() && System.nanoTime() - until < 0) {
            Thread.sleep(200);
            left = probe.descendants();
        }
        int dirs = Probe.entries(args.home.resolve("data/sandbox"));
        Sample quiet = sample(-1, 0, 0);
        out.printf(Locale.ROOT, "after the load: RSS %.1f MiB, heap after GC %.1f MiB, threads %d, fds %d, sandbox "
                + "processes %d %s, sandbox work dirs %d%n", quiet.rssMiB(), quiet.heapMiB(), quiet.threads(), quiet.fds(),
                left.size(), left.isEmpty() ? "" : left.toString(), dirs);

        Stats.Minute whole = stats.merged(0, args.minutes);
        out.println();
        out.printf(Locale.ROOT, "%-22s %9s %7s %9s %9s %9s%n", "kind", "ok", "errors", "p50 ms", "p99 ms", "max ms");
        new java.util.TreeMap<>(whole.kinds).forEach((k, s) -> {
            long[] l = s.latencies();
            java.util.Arrays.sort(l);
            out.printf(Locale.ROOT, "%-22s %9d %7d %9.2f %9.2f %9.2f%n", k, l.length, s.errors.sum(),
                    Stats.quantileMs(l, 0.5), Stats.quantileMs(l, 0.99), Stats.quantileMs(l, 1.0));
        });
        out.println("unexpected errors: " + whole.errorsText());
        out.println("expected refusals: " + whole.expectedText());
        out.println("skipped (the driver was over 5000 operations behind its schedule): " + whole.behindText());
        double total = whole.ok() + whole.errorCount();
        out.printf(Locale.ROOT, "throughput: %.1f ops/s over %d min (target %.0f)%n", total / (args.minutes * 60.0),
                args.minutes, args.capacity * args.load);

        // minute 2 against the end; a shorter run compares its first minute with its last
        Sample from = samples.get(Math.min(2, args.minutes - 1) - 1);
        Sample to = samples.get(samples.size() - 1);
        List<String> goals = new ArrayList<>();
        long errors = whole.errorCount();
        goals.add(goal(String.format(Locale.ROOT, "unexpected errors over %d min: %d", args.minutes, errors), errors == 0,
                "goal 0"));
        goals.add(growth("RSS", from, to, from.rssMiB(), to.rssMiB(), "MiB"));
        goals.add(growth("heap after GC", from, to, from.heapMiB(), to.heapMiB(), "MiB"));
        goals.add(flat("threads", from, to, from.threads(), to.threads()));
        goals.add(flat("open file descriptors", from, to, from.fds(), to.fds()));
        goals.add(goal("sandbox processes left after the load: " + left.size() + ", work dirs left: " + dirs,
                left.isEmpty() && dirs == 0, "goal 0"));
        out.println();
        goals.forEach(out::println);
        if (args.summary != null) {
            Files.write(args.summary, goals, java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
        }
        return goals.stream().noneMatch(g -> g.endsWith("NOT met"));
    }

    private static String goal(String what, boolean met, String limit) {
        return String.format(Locale.ROOT, "soak %s, %s: %s", what, limit, met ? "met" : "NOT met");
    }

    private static String growth(String what, Sample from, Sample to, double a, double b, String unit) {
        double pct = (b - a) / a * 100;
        return goal(String.format(Locale.ROOT, "%s growth, minute %d -> %d: %.1f -> %.1f %s (%+.1f %%)", what,
                from.minute(), to.minute(), a, b, unit, pct), pct < 10, "goal < 10 %");
    }

    /** Flat: the end within max(4, 10 %) above minute 2 (pools grow and shrink a little with the load's phase). */
    private static String flat(String what, Sample from, Sample to, int a, int b) {
        int slack = Math.max(4, a / 10);
        return goal(String.format(Locale.ROOT, "%s, minute %d -> %d: %d -> %d", what, from.minute(), to.minute(), a, b),
                b <= a + slack, "goal flat (<= +" + slack + ")");
    }

    /** The command line. */
    record Args(String base, Path token, Path home, long pid, int minutes, double capacity, double load, int modelPort,
            Path[] jars, String[] versions, Path summary, boolean histogram) {

        static Args parse(String[] argv) {
            Map<String, String> m = new LinkedHashMap<>();
            for (int i = 0; i + 1 < argv.length; i += 2) {
                if (!argv[i].startsWith("--")) {
                    throw new IllegalArgumentException("expected --name value, found " + argv[i]);
                }
                m.put(argv[i].substring(2), argv[i + 1]);
            }
            for (String need : List.of("base", "token", "home", "pid", "minutes", "capacity", "model-port", "jars", "versions")) {
                if (!m.containsKey(need)) {
                    throw new IllegalArgumentException("missing --" + need + "; see the class Javadoc for the usage");
                }
            }
            String[] jars = m.get("jars").split(",");
            String[] versions = m.get("versions").split(",");
            if (jars.length != 2 || versions.length != 2) {
                throw new IllegalArgumentException("--jars and --versions take two values each, comma-separated");
            }
            int minutes = Integer.parseInt(m.get("minutes"));
            if (minutes < 2) {
                throw new IllegalArgumentException("--minutes must be at least 2 (the goals compare two minutes)");
            }
            return new Args(m.get("base"), Path.of(m.get("token")), Path.of(m.get("home")), Long.parseLong(m.get("pid")),
                    minutes, Double.parseDouble(m.get("capacity")), Double.parseDouble(m.getOrDefault("load", "0.5")),
                    Integer.parseInt(m.get("model-port")), new Path[] {Path.of(jars[0]), Path.of(jars[1])}, versions,
                    m.containsKey("summary") ? Path.of(m.get("summary")) : null,
                    Boolean.parseBoolean(m.getOrDefault("histogram", "false")));
        }
    }
}
