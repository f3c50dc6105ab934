package io.toka.sandbox;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One sandboxed run.
 *
 * <p>Inside the sandbox the program sees a read-only {@code /usr} (with the usual {@code /bin}, {@code /lib}
 * links), private {@code /proc}, {@code /dev} and {@code /tmp}, and a private writable work directory at
 * {@link #WORK_DIR}, which is its current directory unless {@link #workingDirectory} says otherwise. The work
 * directory starts with {@link #files} in it and is deleted after the run. Paths in {@link #readOnlyPaths} and
 * {@link #writablePaths} are bound at the same path inside. Nothing else of the host is visible; in
 * particular not {@code /root}, {@code /home} or {@code /etc/shadow}.
 *
 * <p>When the runtime runs as root, sandboxed programs run as an unprivileged host user (uid 65534 by default,
 * {@code runAsUid} in {@code etc/io.toka.sandbox.cfg}), so granted paths must be readable (or writable) by that
 * user and reachable through their parent directories. Without namespaces ({@link Isolation.Level#DEGRADED})
 * nothing is remapped: the work directory is a host directory that is the program's current directory and
 * {@code HOME}, and paths are the host's.
 *
 * @param command the argv; element 0 is an absolute path to the program (inside the sandbox, which for host
 *     paths outside {@code /usr} means it must be granted in {@link #readOnlyPaths}); arguments are passed as
 *     they are, never through a shell
 * @param stdin bytes written to the program's standard input, then closed; empty for none
 * @param environment environment variables; the host environment is never inherited. {@code PATH},
 *     {@code HOME} ({@link #WORK_DIR}) and {@code LANG} are set unless given here.
 * @param files files to create in the work directory before the run, by relative name
 * @param workingDirectory the current directory inside the sandbox, or {@code null} for {@link #WORK_DIR}
 * @param readOnlyPaths host paths bound read-only at the same place
 * @param writablePaths host paths bound read-write at the same place
 * @param allowNetwork {@code false} gives a network namespace with only loopback
 * @param limits resource limits
 */
public record SandboxRequest(List<String> command, byte[] stdin, Map<String, String> environment,
        Map<String, byte[]> files, Path workingDirectory, List<Path> readOnlyPaths, List<Path> writablePaths,
        boolean allowNetwork, SandboxLimits limits) {

    /** Where the private work directory appears inside the sandbox. */
    public static final String WORK_DIR = "/work";

    public SandboxRequest {
        command = List.copyOf(command);
        if (command.isEmpty()) {
            throw new IllegalArgumentException("command must not be empty");
        }
        stdin = stdin == null ? new byte[0] : stdin;
        environment = Map.copyOf(environment);
        files = Map.copyOf(files);
        readOnlyPaths = List.copyOf(readOnlyPaths);
        writablePaths = List.copyOf(writablePaths);
        Objects.requireNonNull(limits, "limits");
    }

    public static Builder builder(String... command) {
        return new Builder(List.of(command));
    }

    public static Builder builder(List<String> command) {
        return new Builder(command);
    }

    /** Builds a request; defaults: no stdin, no files, no network, {@link SandboxLimits#DEFAULT}. */
    public static final class Builder {
        private final List<String> command;
        private byte[] stdin = new byte[0];
        private final Map<String, String> environment = new LinkedHashMap<>();
        private final Map<String, byte[]> files = new LinkedHashMap<>();
        private Path workingDirectory;
        private final List<Path> readOnly = new ArrayList<>();
        private final List<Path> writable = new ArrayList<>();
        private boolean allowNetwork;
        private SandboxLimits limits = SandboxLimits.DEFAULT;

        private Builder(List<String> command) {
            this.command = List.copyOf(command);
        }

        public Builder stdin(byte[] bytes) {
            this.stdin = bytes.clone();
            return this;
        }

        public Builder env(String name, String value) {
            environment.put(name, value);
            return this;
        }

        public Builder file(String relativeName, byte[] content) {
            files.put(relativeName, content.clone());
            return this;
        }

        public Builder workingDirectory(Path dir) {
            this.workingDirectory = dir;
            return this;
        }

        public Builder readOnly(Path path) {
            readOnly.add(path);
            return this;
        }

        public Builder writable(Path path) {
            writable.add(path);
            return this;
        }

        public Builder allowNetwork(boolean allow) {
            this.allowNetwork = allow;
            return this;
        }

        public Builder limits(SandboxLimits limits) {
            this.limits = Objects.requireNonNull(limits, "limits");
            return this;
        }

        public SandboxRequest build() {
            return new SandboxRequest(command, stdin, environment, files, workingDirectory, readOnly, writable,
                    allowNetwork, limits);
        }
    }
}
