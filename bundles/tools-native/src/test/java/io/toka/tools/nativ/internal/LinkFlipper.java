package io.toka.tools.nativ.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

/**
 * Swaps a directory for a symbolic link to another directory and back, over and over on a thread of its own,
 * each step one rename(2), until closed: the attacker of a time-of-check/time-of-use race.
 */
final class LinkFlipper implements AutoCloseable {

    private final AtomicBoolean stop = new AtomicBoolean();
    private final AtomicInteger flips = new AtomicInteger();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final Thread thread;

    /**
     * @param dir an existing directory, which is in turn itself, missing, and a link to {@code target}
     * @param target where the link points
     */
    LinkFlipper(Path dir, Path target) throws IOException {
        Path aside = dir.resolveSibling(dir.getFileName() + ".aside");
        Path link = Files.createSymbolicLink(dir.resolveSibling(dir.getFileName() + ".link"), target);
        thread = new Thread(() -> {
            try {
                while (!stop.get()) {
                    Files.move(dir, aside, StandardCopyOption.ATOMIC_MOVE);
                    place(link, dir);
                    Files.move(dir, link, StandardCopyOption.ATOMIC_MOVE);
                    place(aside, dir);
                    flips.incrementAndGet();
                }
            } catch (IOException | RuntimeException e) {
                failure.set(e);
            }
        }, "link-flipper");
        thread.start();
    }

    /**
     * Renames {@code from} to {@code dir}. A writer that creates missing parent directories may have recreated
     * {@code dir} while it was away; that copy is removed (whatever was written into it was written inside) and
     * the rename tried again.
     */
    private static void place(Path from, Path dir) throws IOException {
        while (true) {
            try {
                Files.move(from, dir, StandardCopyOption.ATOMIC_MOVE);
                return;
            } catch (IOException e) {
                if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
                    throw e;
                }
            }
            try (Stream<Path> s = Files.walk(dir)) {
                for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            } catch (IOException | UncheckedIOException e) {
                // the writer is still at work in it: try again
            }
        }
    }

    int flips() {
        return flips.get();
    }

    /** Stops flipping, leaving the directory in place. */
    @Override
    public void close() throws Exception {
        stop.set(true);
        thread.join();
        if (failure.get() != null) {
            throw new AssertionError("the flipper failed", failure.get());
        }
    }
}
