package io.toka.tools.nativ.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * Replaces a file's contents atomically: the bytes go to a temporary file in the same directory, which is
 * then renamed over the target. A reader sees either the old or the new contents, never a partial file, and a
 * failure leaves the target untouched and no temporary file behind.
 */
final class AtomicFiles {

    /** Permissions of a newly created file; Files.createTempFile would leave it owner-only. */
    private static final Set<PosixFilePermission> NEW_FILE = PosixFilePermissions.fromString("rw-r--r--");

    private AtomicFiles() {
    }

    /**
     * Writes the parts, one after the other, as the new contents of {@code target}.
     *
     * @param target the real path of the file; its directory must exist. An existing file keeps its permissions.
     * @param parts the contents, in order
     * @throws IOException if writing or renaming fails, including
     *     {@link java.nio.channels.ClosedByInterruptException} when the thread is interrupted
     */
    static void write(Path target, ByteBuffer... parts) throws IOException {
        Path dir = target.getParent();
        Path temp = Files.createTempFile(dir, "." + target.getFileName() + ".", ".tmp");
        try {
            applyPermissions(target, temp);
            // a FileChannel, because its writes stop with ClosedByInterruptException when the call's deadline
            // interrupts the thread
            try (FileChannel out = FileChannel.open(temp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                for (ByteBuffer part : parts) {
                    ByteBuffer b = part.duplicate();
                    while (b.hasRemaining()) {
                        out.write(b);
                    }
                }
                out.force(true);
            }
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    private static void applyPermissions(Path target, Path temp) throws IOException {
        PosixFileAttributeView view = Files.getFileAttributeView(temp, PosixFileAttributeView.class);
        if (view == null) {
            return;
        }
        Set<PosixFilePermission> perms = Files.exists(target, LinkOption.NOFOLLOW_LINKS)
                ? Files.getPosixFilePermissions(target, LinkOption.NOFOLLOW_LINKS)
                : NEW_FILE;
        view.setPermissions(perms);
    }
}
