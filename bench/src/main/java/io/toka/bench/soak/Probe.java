package io.toka.bench.soak;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Karaf JVM seen from outside: /proc for resident memory, threads, descriptors, CPU time and child processes,
 * and {@code jcmd} for the heap after a full collection, the metaspace and class counts.
 */
final class Probe {

    /** Heap occupancy right after a full GC, and the metaspace, in KiB. */
    record Heap(long usedKiB, long metaspaceKiB, long classSpaceKiB) {
    }

    private static final Pattern USED = Pattern.compile("(?:generation|space)\\s+total\\s+\\d+K,\\s+used\\s+(\\d+)K");
    private static final Pattern REGION_USED = Pattern.compile("garbage-first heap\\s+total\\s+\\d+K,\\s+used\\s+(\\d+)K");
    private static final Pattern META = Pattern.compile("Metaspace\\s+used\\s+(\\d+)K");
    private static final Pattern CLASS = Pattern.compile("class space\\s+used\\s+(\\d+)K");

    final long pid;
    private final String jcmd;

    Probe(long pid) {
        this.pid = pid;
        String home = System.getProperty("java.home");
        Path j = Path.of(home, "bin", "jcmd");
        this.jcmd = Files.isExecutable(j) ? j.toString() : "jcmd";
    }

    boolean alive() {
        return Files.exists(Path.of("/proc", Long.toString(pid)));
    }

    private Map<String, String> status() throws IOException {
        Map<String, String> m = new LinkedHashMap<>();
        for (String l : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
            int c = l.indexOf(':');
            if (c > 0) {
                m.put(l.substring(0, c), l.substring(c + 1).trim());
            }
        }
        return m;
    }

    /** Resident set in MiB. */
    double rssMiB() throws IOException {
        return Long.parseLong(status().get("VmRSS").split("\\s+")[0]) / 1024.0;
    }

    int threads() throws IOException {
        return Integer.parseInt(status().get("Threads"));
    }

    int fds() throws IOException {
        int n = 0;
        try (DirectoryStream<Path> d = Files.newDirectoryStream(Path.of("/proc", Long.toString(pid), "fd"))) {
            for (Path ignored : d) {
                n++;
            }
        }
        return n;
    }

    /** User plus system CPU time of the JVM, in clock ticks (1/100 s on Linux). */
    long cpuTicks() throws IOException {
        String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime, stime (fields 14 and 15)
    }

    /** Every live process below the JVM (sandboxed runs and whatever they started), as "pid name". */
    List<String> descendants() {
        Map<Long, List<Long>> children = new LinkedHashMap<>();
        Map<Long, String> names = new LinkedHashMap<>();
        try (DirectoryStream<Path> d = Files.newDirectoryStream(Path.of("/proc"), p -> p.getFileName().toString().matches("\\d+"))) {
            for (Path p : d) {
                try {
                    String stat = Files.readString(p.resolve("stat"));
                    int close = stat.lastIndexOf(')');
                    long ppid = Long.parseLong(stat.substring(close + 2).split(" ")[1]);
                    long id = Long.parseLong(p.getFileName().toString());
                    names.put(id, stat.substring(stat.indexOf('(') + 1, close));
                    children.computeIfAbsent(ppid, k -> new ArrayList<>()).add(id);
                } catch (IOException | RuntimeException e) {
                    // gone while we looked
                }
            }
        } catch (IOException e) {
            return List.of("(cannot read /proc: " + e.getMessage() + ")");
        }
        List<String> out = new ArrayList<>();
        List<Long> todo = new ArrayList<>(children.getOrDefault(pid, List.of()));
        while (!todo.isEmpty()) {
            long c = todo.remove(todo.size() - 1);
            out.add(c + " " + names.get(c));
            todo.addAll(children.getOrDefault(c, List.of()));
        }
        return out;
    }

    /**
     * The lowest heap after a full GC of {@code n} taken {@code gapMillis} apart. Under load each one also holds the
     * requests in flight at that moment; the lowest is the closest to what stays.
     */
    Heap heapAfterGc(int n, long gapMillis) throws IOException {
        Heap low = null;
        for (int i = 0; i < n; i++) {
            if (i > 0) {
                try {
                    Thread.sleep(gapMillis);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            Heap h = heapAfterGc();
            if (low == null || h.usedKiB() < low.usedKiB()) {
                low = h;
            }
        }
        return low;
    }

    /** Runs a full GC (System.gc through jcmd), then reads the heap and the metaspace. */
    Heap heapAfterGc() throws IOException {
        jcmd("GC.run");
        String info = jcmd("GC.heap_info");
        long used = 0;
        Matcher m = USED.matcher(info);
        boolean any = false;
        while (m.find()) {
            used += Long.parseLong(m.group(1));
            any = true;
        }
        if (!any) {
            Matcher g = REGION_USED.matcher(info);
            if (!g.find()) {
                throw new IOException("cannot read GC.heap_info: " + info);
            }
            used = Long.parseLong(g.group(1));
        }
        Matcher meta = META.matcher(info);
        Matcher cls = CLASS.matcher(info);
        return new Heap(used, meta.find() ? Long.parseLong(meta.group(1)) : -1, cls.find() ? Long.parseLong(cls.group(1)) : -1);
    }

    /**
     * Instance counts after a full GC (GC.class_histogram collects first) of the classes whose names match, summed
     * per name; a class loaded by several loaders shows once per loader, so {@code classes} counts the loaders too.
     */
    Map<String, long[]> histogram(Pattern names) throws IOException {
        Map<String, long[]> out = new LinkedHashMap<>();
        for (String l : jcmd("GC.class_histogram").split("\n")) {
            String[] f = l.trim().split("\\s+");
            if (f.length >= 4 && f[0].endsWith(":") && names.matcher(f[3]).find()) {
                long[] v = out.computeIfAbsent(f[3], k -> new long[3]);
                v[0] += Long.parseLong(f[1]); // instances
                v[1] += Long.parseLong(f[2]); // bytes
                v[2]++; // rows: one per defining loader
            }
        }
        return out;
    }

    String jcmd(String command) throws IOException {
        Process p = new ProcessBuilder(jcmd, Long.toString(pid), command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                throw new IOException("jcmd " + command + " failed: " + out);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        return out;
    }

    /** Bytes under a directory (files only), or 0 when it does not exist. */
    static long sizeOf(Path dir) {
        if (!Files.exists(dir)) {
            return 0;
        }
        try (var s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).mapToLong(p -> {
                try {
                    return Files.size(p);
                } catch (IOException e) {
                    return 0;
                }
            }).sum();
        } catch (IOException | java.io.UncheckedIOException e) {
            return -1;
        }
    }

    /** Entries directly in a directory, or 0 when it does not exist. */
    static int entries(Path dir) {
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        try (var s = Files.list(dir)) {
            return (int) s.count();
        } catch (IOException | java.io.UncheckedIOException e) {
            return -1;
        }
    }
}
