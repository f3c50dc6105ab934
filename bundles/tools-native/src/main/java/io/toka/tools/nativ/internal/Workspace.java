package io.toka.tools.nativ.internal;

import io.toka.tool.ToolException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The directories the file tools are confined to: a main root and optional additional roots. Every
 * user-supplied path goes through {@link #resolve}, which refuses {@code ..} segments, absolute paths outside
 * every root and symbolic links that lead out of them. Relative paths resolve against the main root.
 */
final class Workspace {

    /** One allowed directory: its real path, and the path as configured, which may reach it through a link. */
    private record Root(Path real, Path configured) {

        static Root of(Path dir) {
            try {
                Files.createDirectories(dir);
                return new Root(dir.toRealPath(), dir.toAbsolutePath().normalize());
            } catch (IOException e) {
                throw new UncheckedIOException("cannot use workspace root " + dir, e);
            }
        }

        /** The candidate in terms of the real root, or {@code null} if it is not under this root. */
        Path locate(Path candidate) {
            if (candidate.startsWith(real)) {
                return candidate;
            }
            if (candidate.startsWith(configured)) {
                return real.resolve(configured.relativize(candidate));
            }
            return null;
        }
    }

    private final Root main;
    /** The main root first, then the additional roots. */
    private final List<Root> roots;

    /**
     * @param root the workspace root; created if missing
     * @throws UncheckedIOException if the root cannot be created or resolved
     */
    Workspace(Path root) {
        this(root, List.of());
    }

    /**
     * @param root the main workspace root, against which relative paths resolve; created if missing
     * @param extraRoots further absolute directories that absolute paths may lie in; created if missing
     * @throws UncheckedIOException if a root cannot be created or resolved
     * @throws IllegalArgumentException if an additional root is not absolute
     */
    Workspace(Path root, List<Path> extraRoots) {
        this.main = Root.of(root);
        List<Root> all = new ArrayList<>();
        all.add(main);
        for (Path extra : extraRoots) {
            if (!extra.isAbsolute()) {
                throw new IllegalArgumentException("additional workspace root '" + extra + "' must be an absolute path");
            }
            all.add(Root.of(extra));
        }
        this.roots = List.copyOf(all);
    }

    /**
     * @throws IllegalArgumentException if an additional root is not absolute, so that the component is not activated
     */
    static Workspace from(WorkspaceConfig config) {
        String configured = config.root() == null ? "" : config.root().trim();
        Path root = configured.isEmpty()
                ? Path.of(System.getProperty("karaf.base", System.getProperty("user.dir")), "workspace")
                : Path.of(configured);
        List<Path> extras = new ArrayList<>();
        if (config.extraRoots() != null) {
            for (String extra : config.extraRoots()) {
                if (extra != null && !extra.isBlank()) {
                    extras.add(Path.of(extra.trim()));
                }
            }
        }
        return new Workspace(root, extras);
    }

    /** @return the real path of the main root */
    Path root() {
        return main.real();
    }

    /**
     * Resolves a user-supplied path inside the workspace.
     *
     * @param userPath a path relative to the main root, or an absolute path inside any root
     * @return the real path (symbolic links resolved) if it exists, else the normalised path
     * @throws ToolException naming the path if it is blank, malformed, contains {@code ..}, or leads outside the roots
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
        Path candidate = null;
        if (p.isAbsolute()) {
            Path normal = p.normalize();
            for (Root r : roots) {
                candidate = r.locate(normal);
                if (candidate != null) {
                    break;
                }
            }
        } else {
            candidate = main.real().resolve(p).normalize();
        }
        if (candidate == null) {
            throw new ToolException("path '" + userPath + "' is outside the workspace root");
        }
        Path real = realPath(candidate);
        if (!contains(real)) {
            throw new ToolException("path '" + userPath + "' leads outside the workspace root through a symbolic link");
        }
        return real;
    }

    /**
     * @param real a real path (links resolved)
     * @return {@code true} if it lies in one of the roots
     */
    boolean contains(Path real) {
        for (Root r : roots) {
            if (real.startsWith(r.real())) {
                return true;
            }
        }
        return false;
    }

    /**
     * The path relative to the main root, with '/' separators; "." for the root itself. A path in an
     * additional root is given absolute, since a relative path would name a file in the main root.
     */
    String relative(Path real) {
        if (!real.startsWith(main.real())) {
            return real.toString().replace('\\', '/');
        }
        Path rel = main.real().relativize(real);
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
