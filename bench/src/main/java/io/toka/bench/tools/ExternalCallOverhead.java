package io.toka.bench.tools;

import io.toka.sandbox.SandboxLauncher;
import io.toka.sandbox.SandboxRequest;
import io.toka.sandbox.SandboxResult;
import io.toka.sandbox.internal.SandboxLauncherImpl;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;

/**
 * The sandbox's cost per external call: a trivial bash script launched bare with {@code ProcessBuilder} (the
 * baseline) and through the sandbox launcher (bwrap namespaces, prlimit, per-run cgroup, private work directory,
 * captured and capped output), alternating in the same run so both see the same machine. Prints p50/p90 of each and
 * the p50 overhead. Goal: overhead ≤ 6 ms at p50.
 * {@code java -cp bench/target/benchmarks.jar io.toka.bench.tools.ExternalCallOverhead [runs]}
 */
public final class ExternalCallOverhead {

    private ExternalCallOverhead() {
    }

    public static void main(String[] args) throws Exception {
        int runs = args.length > 0 ? Integer.parseInt(args[0]) : 200;
        Path dir = Files.createTempDirectory("toka-bench-external");
        Path script = dir.resolve("trivial.sh");
        Files.writeString(script, "#!/bin/bash\necho ok\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        // the default; and, when running as root, bubblewrap mapping root to the run-as uid inside its user
        // namespace instead of switching to it with setpriv first (one exec less; see the sandbox's Javadoc)
        SandboxLauncher sandbox = SandboxLauncherImpl.withDefaults(dir.resolve("work"), true);
        boolean root = "root".equals(System.getProperty("user.name"));
        SandboxLauncher mapped = root ? SandboxLauncherImpl.withDefaults(dir.resolve("work2"), true, false) : null;
        System.out.println("Sandbox isolation: " + sandbox.isolation());
        // as an external tool runs it: the script is copied into the private work directory for each call
        SandboxRequest.Builder request = SandboxRequest.builder("/bin/bash", SandboxRequest.WORK_DIR + "/trivial.sh");

        long[] bare = new long[runs];
        long[] boxed = new long[runs];
        long[] boxedMapped = new long[runs];
        int warmup = Math.max(20, runs / 10);
        for (int i = -warmup; i < runs; i++) {
            long t0 = System.nanoTime();
            String out = bare(script);
            long t1 = System.nanoTime();
            SandboxResult r = sandbox.run(request.file("trivial.sh", Files.readAllBytes(script)).build());
            long t2 = System.nanoTime();
            if (mapped != null) {
                SandboxResult m = mapped.run(request.file("trivial.sh", Files.readAllBytes(script)).build());
                if (!m.success()) {
                    throw new IllegalStateException("unexpected: " + m);
                }
                if (i >= 0) {
                    boxedMapped[i] = System.nanoTime() - t2;
                }
            }
            if (!out.equals("ok\n") || !r.success() || !r.stdoutText().equals("ok\n")) {
                throw new IllegalStateException("unexpected output: bare '" + out + "', sandboxed " + r);
            }
            if (i >= 0) {
                bare[i] = t1 - t0;
                boxed[i] = t2 - t1;
            }
        }
        Arrays.sort(bare);
        Arrays.sort(boxed);
        Arrays.sort(boxedMapped);
        double bare50 = ms(bare, 0.5);
        double boxed50 = ms(boxed, 0.5);
        System.out.printf("%nTrivial bash script, %d runs each (alternating)%n", runs);
        System.out.printf("  bare ProcessBuilder:  p50 %6.2f ms  p90 %6.2f ms (baseline)%n", bare50, ms(bare, 0.9));
        System.out.printf("  sandboxed:            p50 %6.2f ms  p90 %6.2f ms (%.1fx the baseline)%n", boxed50,
                ms(boxed, 0.9), boxed50 / bare50);
        double overhead = boxed50 - bare50;
        System.out.printf("  overhead at p50:      %6.2f ms (goal <= 6 ms: %s)%n", overhead, overhead <= 6 ? "met" : "NOT met");
        if (mapped != null) {
            double m50 = ms(boxedMapped, 0.5);
            System.out.printf("  sandboxed, dropPrivileges=false (root mapped by bwrap, no setpriv):%n");
            System.out.printf("                        p50 %6.2f ms  p90 %6.2f ms, overhead at p50 %.2f ms (goal <= 6 ms: %s)%n",
                    m50, ms(boxedMapped, 0.9), m50 - bare50, m50 - bare50 <= 6 ? "met" : "NOT met");
        }
    }

    private static String bare(Path script) throws Exception {
        Process p = new ProcessBuilder("/bin/bash", script.toString()).redirectErrorStream(false).start();
        p.getOutputStream().close();
        String out;
        try (InputStream in = p.getInputStream()) {
            out = new String(in.readAllBytes());
        }
        p.getErrorStream().readAllBytes();
        p.waitFor();
        return out;
    }

    private static double ms(long[] sorted, double q) {
        return sorted[Math.min(sorted.length - 1, (int) Math.floor(q * sorted.length))] / 1e6;
    }
}
