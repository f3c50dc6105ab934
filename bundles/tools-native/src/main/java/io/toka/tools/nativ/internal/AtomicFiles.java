package io.toka.tools.nativ.internal;

import io.toka.tool.ToolException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Replaces a file's contents atomically: the bytes go to a temporary file in the same directory, which is
 * then renamed over the target. A reader sees either the old or the new contents, never a partial file, and a
 * failure leaves the target untouched and no temporary file behind.
 *
 * <p>Every step works on names relative to the open directory ({@code openat}, {@code renameat}) and never
 * follows a link, so a directory swapped for a link to outside after the target was checked cannot carry the
 * write out of the workspace.
 */
final class AtomicFiles {

    /** Permissions of a newly created file; a temporary file starts owner-only. */
    private static final Set<PosixFilePermission> NEW_FILE = PosixFilePermissions.fromString("rw-r--r--");

    private static final Set<OpenOption> CREATE_TEMP =
            Set.of(StandardOpenOption.WRITE, StandardOpenOption.CREATE_NEW, LinkOption.NOFOLLOW_LINKS);

    private AtomicFiles() {
    }

    /**
     * Writes the parts as the new contents of a file inside the workspace.
     *
     * @param target the real path of the file, as from {@link Workspace#resolve}; its directory must exist
     * @param userPath the path as the caller gave it, for messages
     * @throws ToolException as {@link Workspace#openDirectory} does for the target's directory
     * @throws IOException as {@link #write(SecureDirectoryStream, Path, ByteBuffer...)} does
     */
    static void write(Workspace workspace, Path target, String userPath, ByteBuffer... parts)
            throws IOException, ToolException {
        try (SecureDirectoryStream<Path> dir = workspace.openDirectory(target.getParent(), userPath)) {
            write(dir, target.getFileName(), parts);
        }
    }

    /**
     * Writes the parts, one after the other, as the new contents of {@code name} in {@code dir}.
     *
     * @param dir the open directory of the file
     * @param name the file's name in it. An existing file keeps its permissions.
     * @param parts the contents, in order
     * @throws IOException if writing or renaming fails, including
     *     {@link java.nio.channels.ClosedByInterruptException} when the thread is interrupted
     */
    static void write(SecureDirectoryStream<Path> dir, Path name, ByteBuffer... parts) throws IOException {
        Set<PosixFilePermission> perms = permissions(dir, name);
        Path temp = null;
        try {
            SeekableByteChannel out = null;
            while (out == null) {
                temp = name.resolveSibling("." + name + "." + Long.toUnsignedString(ThreadLocalRandom.current().nextLong()) + ".tmp");
                try {
                    out = dir.newByteChannel(temp, CREATE_TEMP,
                            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
                } catch (FileAlreadyExistsException e) {
                    temp = null; // taken: draw another name
                }
            }
            // a FileChannel, whose writes stop with ClosedByInterruptException when the call's deadline
            // interrupts the thread
            try (SeekableByteChannel o = out) {
                for (ByteBuffer part : parts) {
                    ByteBuffer b = part.duplicate();
                    while (b.hasRemaining()) {
                        o.write(b);
                    }
                }
                if (o instanceof FileChannel fc) {
                    fc.force(true);
                }
            }
            if (perms != null) {
                dir.getFileAttributeView(temp, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS).setPermissions(perms);
            }
            dir.move(temp, dir, name); // renameat: atomic, and replaces the target, link or not
        } finally {
            if (temp != null) {
                try {
                    dir.deleteFile(temp);
                } catch (NoSuchFileException e) {
                    // renamed: nothing to clean up
                }
            }
        }
    }

    /** The existing file's permissions, or those of a new file; {@code null} without POSIX permissions. */
    private static Set<PosixFilePermission> permissions(SecureDirectoryStream<Path> dir, Path name) throws IOException {
        PosixFileAttributeView view = dir.getFileAttributeView(name, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
        if (view == null) {
            return null;
        }
        try {
            return view.readAttributes().permissions();
        } catch (NoSuchFileException e) {
            return NEW_FILE;
        }
    }
}
