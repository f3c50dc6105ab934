package io.toka.security.internal;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * The audit file itself: one JSON line per decision, appended with a buffer that is flushed once per batch, and rolled
 * over by size ({@code toka-audit.log} → {@code toka-audit.log.1} … {@code .keep}). Written directly rather than through
 * the logging framework, which would cost every tool call a log event and an EventAdmin post. Used by one thread only.
 */
final class RollingAuditFile implements AutoCloseable {

    private final Path file;
    private final long maxBytes;
    private final int keep;
    private OutputStream out;
    private long size;

    /**
     * @param file the live file
     * @param maxBytes roll over once the file reaches this size
     * @param keep how many rolled files to keep
     */
    RollingAuditFile(Path file, long maxBytes, int keep) throws IOException {
        this.file = file;
        this.maxBytes = maxBytes;
        this.keep = keep;
        open();
    }

    private void open() throws IOException {
        Files.createDirectories(file.getParent());
        out = new java.io.BufferedOutputStream(Files.newOutputStream(file, StandardOpenOption.CREATE,
                StandardOpenOption.APPEND, StandardOpenOption.WRITE), 64 * 1024);
        size = Files.size(file);
    }

    /** Appends one line (a newline is added). */
    void append(String line) throws IOException {
        byte[] bytes = (line + "\n").getBytes(StandardCharsets.UTF_8);
        if (size > 0 && size + bytes.length > maxBytes) {
            roll();
        }
        out.write(bytes);
        size += bytes.length;
    }

    /** Hands what is buffered to the operating system (once per batch). */
    void flush() throws IOException {
        out.flush();
    }

    private void roll() throws IOException {
        out.close();
        Files.deleteIfExists(sibling(keep));
        for (int i = keep - 1; i >= 1; i--) {
            if (Files.exists(sibling(i))) {
                Files.move(sibling(i), sibling(i + 1), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        if (keep > 0) {
            Files.move(file, sibling(1), StandardCopyOption.REPLACE_EXISTING);
        } else {
            Files.delete(file);
        }
        open();
    }

    private Path sibling(int i) {
        return file.resolveSibling(file.getFileName() + "." + i);
    }

    @Override
    public void close() throws IOException {
        out.close();
    }
}
