package io.toka.sandbox.internal;

import io.toka.sandbox.SandboxRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * Not a test: a rough measurement of the launcher's overhead over a bare ProcessBuilder launch, run by hand with
 * {@code java -cp target/classes:target/test-classes:<slf4j> io.toka.sandbox.internal.LaunchOverhead [runs]}.
 * Variants are interleaved run by run so that noise from other load hits them all alike. There is deliberately no
 * bare bwrap variant and none without cgroups: their sandbox teardown is not awaited and overlaps the next
 * variant's namespace setup, which then measures up to twice as slow.
 */
public final class LaunchOverhead {

    private LaunchOverhead() {
    }

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 300;
        Path root = Files.createTempDirectory("toka-sandbox-bench-");
        Settings d = Settings.defaults(root, true);
        SandboxLauncherImpl full = new SandboxLauncherImpl(d);
        SandboxLauncherImpl asRoot = new SandboxLauncherImpl(new Settings(true, d.bwrap(), d.prlimit(), d.setpriv(),
                true, false, d.uid(), d.gid(), root, d.extraReadOnly()));
        SandboxRequest trueReq = SandboxRequest.builder("/usr/bin/true").build();
        Map<String, Callable<Object>> variants = new LinkedHashMap<>();
        variants.put("bare ProcessBuilder /usr/bin/true", () -> bare(List.of("/usr/bin/true")));
        variants.put("launcher default (setpriv, cgroup)", () -> full.run(trueReq));
        variants.put("launcher dropPrivileges=false", () -> asRoot.run(trueReq));
        Map<String, long[]> times = new LinkedHashMap<>();
        variants.keySet().forEach(k -> times.put(k, new long[n]));
        for (int warm = 0; warm < 30; warm++) {
            for (Callable<Object> c : variants.values()) {
                c.call();
            }
        }
        for (int i = 0; i < n; i++) {
            for (Map.Entry<String, Callable<Object>> e : variants.entrySet()) {
                long s = System.nanoTime();
                e.getValue().call();
                times.get(e.getKey())[i] = System.nanoTime() - s;
            }
        }
        for (Map.Entry<String, long[]> e : times.entrySet()) {
            long[] t = e.getValue();
            Arrays.sort(t);
            System.out.printf("%-36s p50 %6.2f ms   p90 %6.2f ms   max %6.2f ms%n", e.getKey(), t[n / 2] / 1e6,
                    t[n * 9 / 10] / 1e6, t[n - 1] / 1e6);
        }
        full.close();
        asRoot.close();
        Files.delete(root);
    }

    private static Object bare(List<String> cmd) throws Exception {
        Process p = new ProcessBuilder(new ArrayList<>(cmd)).start();
        p.getOutputStream().close();
        p.getInputStream().readAllBytes();
        p.getErrorStream().readAllBytes();
        return p.waitFor();
    }
}
