package io.toka.sandbox.internal;

import java.nio.file.Path;
import java.util.List;

/**
 * The launcher's configuration, validated, independent of the OSGi annotation so that plain code can build one.
 *
 * @param required refuse to run without working namespaces
 * @param bwrap bubblewrap executable
 * @param prlimit util-linux prlimit executable
 * @param setpriv util-linux setpriv executable
 * @param cgroups try per-run cgroups
 * @param dropPrivileges when root, switch to uid/gid before bubblewrap
 * @param uid run-as uid when root
 * @param gid run-as gid when root
 * @param workRoot where per-run work directories go
 * @param extraReadOnly host paths bound read-only into every sandbox when they exist
 */
record Settings(boolean required, Path bwrap, Path prlimit, Path setpriv, boolean cgroups, boolean dropPrivileges,
        int uid, int gid, Path workRoot, List<Path> extraReadOnly) {

    static final List<String> DEFAULT_EXTRA_READ_ONLY = List.of("/etc/ld.so.cache", "/etc/alternatives",
            "/etc/localtime");

    /** Paths never bound by configuration, whatever an operator writes. */
    private static final List<Path> FORBIDDEN = List.of(Path.of("/etc/shadow"), Path.of("/etc/gshadow"),
            Path.of("/root"), Path.of("/home"), Path.of("/etc/sudoers"));

    Settings {
        bwrap = absolute("bwrapPath", bwrap);
        prlimit = absolute("prlimitPath", prlimit);
        setpriv = absolute("setprivPath", setpriv);
        workRoot = absolute("workRoot", workRoot);
        if (uid < 0 || gid < 0) {
            throw new IllegalArgumentException("runAsUid and runAsGid must be >= 0, got " + uid + "/" + gid);
        }
        for (Path p : extraReadOnly) {
            absolute("extraReadOnlyPaths", p);
            for (Path f : FORBIDDEN) {
                if (p.normalize().startsWith(f) || f.startsWith(p.normalize())) {
                    throw new IllegalArgumentException("extraReadOnlyPaths must not expose " + f + ": " + p);
                }
            }
        }
        extraReadOnly = List.copyOf(extraReadOnly);
    }

    private static Path absolute(String name, Path p) {
        if (p == null || !p.isAbsolute()) {
            throw new IllegalArgumentException(name + " must be an absolute path, got " + p);
        }
        return p.normalize();
    }

    static Settings from(SandboxConfig c) {
        return new Settings(c.required(), Path.of(c.bwrapPath().trim()), Path.of(c.prlimitPath().trim()),
                Path.of(c.setprivPath().trim()), c.cgroups(), c.dropPrivileges(), c.runAsUid(), c.runAsGid(),
                defaultWorkRoot(c.workRoot()), c.extraReadOnlyPaths() == null ? List.of()
                        : java.util.Arrays.stream(c.extraReadOnlyPaths()).map(String::trim)
                                .filter(s -> !s.isEmpty()).map(Path::of).toList());
    }

    static Settings defaults(Path workRoot, boolean required) {
        return new Settings(required, Path.of("/usr/bin/bwrap"), Path.of("/usr/bin/prlimit"),
                Path.of("/usr/bin/setpriv"), true, true, 65534, 65534, workRoot.toAbsolutePath(),
                DEFAULT_EXTRA_READ_ONLY.stream().map(Path::of).toList());
    }

    Settings withDropPrivileges(boolean drop) {
        return new Settings(required, bwrap, prlimit, setpriv, cgroups, drop, uid, gid, workRoot, extraReadOnly);
    }

    static Path defaultWorkRoot(String configured) {
        if (configured != null && !configured.isBlank()) {
            return Path.of(configured.trim());
        }
        String karafData = System.getProperty("karaf.data");
        if (karafData != null && !karafData.isBlank()) {
            // not under data/toka: the security bundle keeps that directory owner-only (it holds the keys), which
            // the unprivileged sandbox user could not traverse
            return Path.of(karafData, "sandbox").toAbsolutePath();
        }
        return Path.of(System.getProperty("java.io.tmpdir"), "toka-sandbox").toAbsolutePath();
    }
}
