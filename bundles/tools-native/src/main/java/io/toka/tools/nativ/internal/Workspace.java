package io.toka.tools.nativ.internal;

import io.toka.tool.ToolException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * The directories the file tools are confined to: a main root and optional additional roots. Every
 * user-supplied path goes through {@link #resolve}, which refuses {@code ..} segments, absolute paths outside
 * every root and symbolic links that lead out of them. Relative paths resolve against the main root.
 *
 * <p>A path checked by {@link #resolve} may change before it is used: another process can replace a directory
 * on the way with a link to outside. So files and directories are opened with {@link #openFile} and
 * {@link #openDirectory}, which walk the real path from its root one name at a time, each step relative to the
 * directory opened before and never following a link: what is opened is what was checked, or the open fails.
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

    /**
     * Opens a directory inside the workspace without following any symbolic link on the way.
     *
     * @param real a real path inside a root, as returned by {@link #resolve}
     * @param userPath the path as the caller gave it, for messages
     * @return the open directory, whose entries are named under {@code real}; the caller closes it
     * @throws NoSuchFileException if a directory on the way does not exist (any more)
     * @throws NotDirectoryException if a name on the way is not a directory
     * @throws ToolException if a directory on the way has been replaced by a symbolic link since the check, or the
     *     platform cannot open a file relative to a directory
     * @throws IOException if opening fails otherwise
     */
    SecureDirectoryStream<Path> openDirectory(Path real, String userPath) throws IOException, ToolException {
        Root root = rootOf(real, userPath);
        DirectoryStream<Path> opened = Files.newDirectoryStream(root.real());
        if (!(opened instanceof SecureDirectoryStream<Path> dir)) {
            opened.close();
            // without openat a checked path could be swapped before it is opened: refuse rather than race
            throw new ToolException("the file tools need a platform that opens files relative to a directory"
                    + " (openat, as on Linux); this one cannot, so '" + userPath + "' is not opened");
        }
        try {
            if (!real.equals(root.real())) {
                for (Path name : root.real().relativize(real)) {
                    SecureDirectoryStream<Path> next = step(dir, name, userPath);
                    dir.close();
                    dir = next;
                }
            }
            return dir;
        } catch (IOException | ToolException | RuntimeException e) {
            dir.close();
            throw e;
        }
    }

    /**
     * Opens a regular file inside the workspace for reading, without following any symbolic link on the way or
     * at the end.
     *
     * @param real a real path inside a root, as returned by {@link #resolve}
     * @param userPath the path as the caller gave it, for messages
     * @return the open file; the caller closes it
     * @throws NoSuchFileException if the file or a directory on the way does not exist (any more)
     * @throws ToolException if it is not a regular file, if a name on the way has been replaced by a symbolic link
     *     since the check, or the platform cannot open a file relative to a directory
     * @throws IOException if opening fails otherwise
     */
    SeekableByteChannel openFile(Path real, String userPath) throws IOException, ToolException {
        Path name = real.getFileName();
        if (name == null || isRoot(real)) {
            throw new ToolException("path '" + userPath + "' is a directory, not a file");
        }
        try (SecureDirectoryStream<Path> dir = openDirectory(real.getParent(), userPath)) {
            BasicFileAttributes attrs = attributes(dir, name);
            if (attrs.isSymbolicLink()) {
                throw changed(userPath, name);
            }
            if (!attrs.isRegularFile()) {
                throw new ToolException("path '" + userPath + "' is not a regular file");
            }
            // O_NOFOLLOW: had the file been swapped for a link since the line above, this fails
            return dir.newByteChannel(name, Set.of(StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS));
        }
    }

    /**
     * The attributes of a file or directory inside the workspace, read without following any symbolic link on
     * the way; a link at the end is described, not followed.
     *
     * @throws NoSuchFileException if it does not exist
     * @throws ToolException as for {@link #openDirectory}
     */
    BasicFileAttributes attributes(Path real, String userPath) throws IOException, ToolException {
        if (isRoot(real)) {
            return Files.readAttributes(real, BasicFileAttributes.class);
        }
        try (SecureDirectoryStream<Path> dir = openDirectory(real.getParent(), userPath)) {
            return attributes(dir, real.getFileName());
        }
    }

    /**
     * Reads a channel to its end, but no more than one byte over a limit, so that a caller can tell a file that
     * grew past the limit while it was read.
     *
     * @return the bytes read: at most {@code limit + 1}
     */
    static byte[] readAtMost(SeekableByteChannel in, long limit) throws IOException {
        int cap = limit < Integer.MAX_VALUE - 8 ? (int) limit + 1 : Integer.MAX_VALUE - 8;
        ByteBuffer buf = ByteBuffer.allocate((int) Math.min(cap, Math.max(in.size(), 0) + 1));
        while (true) {
            if (!buf.hasRemaining()) {
                if (buf.capacity() >= cap) {
                    break;
                }
                buf = ByteBuffer.allocate((int) Math.min(cap, buf.capacity() * 2L)).put(buf.flip());
            }
            if (in.read(buf) < 0) {
                break;
            }
        }
        return Arrays.copyOf(buf.array(), buf.position());
    }

    static BasicFileAttributes attributes(SecureDirectoryStream<Path> dir, Path name) throws IOException {
        return dir.getFileAttributeView(name, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS).readAttributes();
    }

    private static SecureDirectoryStream<Path> step(SecureDirectoryStream<Path> dir, Path name, String userPath)
            throws IOException, ToolException {
        try {
            // openat(dir, name, O_NOFOLLOW): a link here fails instead of leading elsewhere
            return dir.newDirectoryStream(name, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException | NotDirectoryException e) {
            throw e;
        } catch (IOException e) {
            if (attributes(dir, name).isSymbolicLink()) {
                throw changed(userPath, name);
            }
            throw e;
        }
    }

    private static ToolException changed(String userPath, Path name) {
        return new ToolException("path '" + userPath + "' changed while it was opened: '" + name
                + "' is now a symbolic link; try again");
    }

    private boolean isRoot(Path real) {
        return roots.stream().anyMatch(r -> r.real().equals(real));
    }

    private Root rootOf(Path real, String userPath) throws ToolException {
        for (Root r : roots) {
            if (real.startsWith(r.real())) {
                return r;
            }
        }
        throw new ToolException("path '" + userPath + "' is outside the workspace root");
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
