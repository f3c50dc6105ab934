package io.toka.orchestration.internal.agent;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The tokens of durable runs and queued tasks, kept so that a run can go on with its own (narrowed, delegated) token
 * after a restart: one owner-only file per run or task ({@code <id>.jwt}, mode 600, in a mode 700 directory),
 * written atomically and fsynced, deleted when the run or task ends. Never in the event log, which
 * {@code event:read} can read: a token there would hand its rights to every reader. A token read back is checked
 * again by the token service, so one revoked or expired while Toka was down is refused.
 */
public final class TokenVault implements io.toka.orchestration.spi.TokenKeeper {

    private static final boolean POSIX = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
    /** Run ids are UUIDs, task ids event ids (UUIDs too): nothing else may name a file. */
    private static final Pattern ID = Pattern.compile("[0-9a-fA-F-]{8,64}");

    private final Path dir;

    public TokenVault(Path dir) {
        this.dir = dir;
    }

    public Path directory() {
        return dir;
    }

    /** Keeps the token for the id, durably. */
    public void put(String id, String token) {
        Path file = file(id);
        try {
            Files.createDirectories(dir);
            if (POSIX) {
                Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
            }
            Path tmp = dir.resolve(id + ".tmp");
            Files.deleteIfExists(tmp);
            if (POSIX) {
                Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            } else {
                Files.createFile(tmp);
            }
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ByteBuffer buf = ByteBuffer.wrap(token.getBytes(StandardCharsets.US_ASCII));
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
                ch.force(true);
            }
            try {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot keep the token of " + id + " in " + dir + ": " + e.getMessage(), e);
        }
    }

    /** @return the token kept for the id, if any */
    public Optional<String> get(String id) {
        try {
            Path f = file(id);
            return Files.isRegularFile(f) ? Optional.of(Files.readString(f, StandardCharsets.US_ASCII).trim())
                    : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** Forgets the id's token; nothing if there is none. */
    public void remove(String id) {
        if (id == null) {
            return;
        }
        try {
            Files.deleteIfExists(file(id));
        } catch (IOException | IllegalArgumentException e) {
            // a leftover file is removed with its run at the next start at the latest
        }
    }

    private Path file(String id) {
        if (id == null || !ID.matcher(id).matches()) {
            throw new IllegalArgumentException("not a run or task id: '" + id + "'");
        }
        return dir.resolve(id + ".jwt");
    }
}
