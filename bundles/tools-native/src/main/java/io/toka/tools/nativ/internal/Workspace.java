package io.toka.tools.nativ.internal;

import io.toka.tool.ToolException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.Path;

/**
 * The directory the file tools are confined to. Every user-supplied path goes through {@link #resolve}, which
 * refuses {@code ..} segments, absolute paths outside the root and symbolic links that lead out of it.
 */
final class Workspace {

    private final Path root;
    /** The root as configured, which may reach {@link #root} through a link; absolute user paths may use it. */
    private final Path configuredRoot;

    /**
     * @param root the workspace root; created if missing
     * @throws UncheckedIOException if the root cannot be created or resolved
     */
    Workspace(Path root) {
        try {
            Files.createDirectories(root);
            this.root = root.toRealPath();
            this.configuredRoot = root.toAbsolutePath().normalize();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot use workspace root " + root, e);
        }
    }

    static Workspace from(WorkspaceConfig config) {
        String configured = config.root() == null ? "" : config.root().trim();
        Path root = configured.isEmpty()
                ? Path.of(System.getProperty("karaf.base", System.getProperty("user.dir")), "workspace")
                : Path.of(configured);
        return new Workspace(root);
    }

    Path root() {
        return root;
    }

    /**
     * Resolves a user-supplied path inside the workspace.
     *
     * @param userPath a path relative to the root, or an absolute path inside it
     * @return the real path (symbolic links resolved) if it exists, else the normalised path
     * @throws ToolException naming the path if it is blank, malformed, contains {@code ..}, or leads outside the root
     */
    Path resolve(String userPath) throws ToolException {
        if (userPath == null || userPath.isBlank()) {
            throw new ToolException("argument 'path' must not be blank");
        }
        Path p;
        try {
            p = Path.of(userPath);
        } catch (InvalidPathException e) {
            throw new ToolException("path '" + printable(userPath) + "' is not a valid path");
        }
        for (Path part : p) {
            if (part.toString().equals("..")) {
                throw new ToolException("path '" + userPath + "' must not contain '..'");
            }
        }
        Path candidate = (p.isAbsolute() ? p : root.resolve(p)).normalize();
        if (!candidate.startsWith(root) && candidate.startsWith(configuredRoot)) {
            candidate = root.resolve(configuredRoot.relativize(candidate));
        }
        if (!candidate.startsWith(root)) {
            throw new ToolException("path '" + userPath + "' is outside the workspace root");
        }
        Path real = realPath(candidate);
        if (!real.startsWith(root)) {
            throw new ToolException("path '" + userPath + "' leads outside the workspace root through a symbolic link");
        }
        return real;
    }

    /** The path relative to the root, with '/' separators; "." for the root itself. */
    String relative(Path real) {
        Path rel = root.relativize(real);
        String s = rel.toString().replace('\\', '/');
        return s.isEmpty() ? "." : s;
    }

    /** Resolves links in the longest existing prefix, so that a link to outside is caught even for new files. */
    private static Path realPath(Path candidate) throws ToolException {
        Path existing = candidate;
        Path rest = null;
        while (existing != null && !Files.exists(existing, LinkOption.NOFOLLOW_LINKS)) {
            Path name = existing.getFileName();
            rest = rest == null ? name : name.resolve(rest);
            existing = existing.getParent();
        }
        if (existing == null) {
            return candidate;
        }
        try {
            Path real = existing.toRealPath();
            return rest == null ? real : real.resolve(rest);
        } catch (IOException e) {
            // a dangling link: refuse rather than guess where it points
            throw new ToolException("path '" + candidate.getFileName() + "' cannot be resolved: " + e.getClass().getSimpleName());
        }
    }

    private static String printable(String s) {
        return s.replaceAll("\\p{Cntrl}", "?");
    }
}
