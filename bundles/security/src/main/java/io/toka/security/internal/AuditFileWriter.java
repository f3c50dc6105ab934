package io.toka.security.internal;

import io.toka.security.AuditEvent;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes audit lines off the caller's thread: a tool call no longer waits for the log file's lock. A bounded queue
 * applies back-pressure (a full queue makes the caller wait) and never drops a line; one writer keeps their order; a
 * close flushes what is queued.
 */
final class AuditFileWriter implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(AuditFileWriter.class);
    static final int CAPACITY = 16_384;
    private static final int BATCH = 512;

    private final BlockingQueue<AuditEvent> queue = new ArrayBlockingQueue<>(CAPACITY);
    private final Consumer<AuditEvent> sink;
    private final Runnable endOfBatch;
    private final Thread writer;
    private volatile boolean open = true;

    /** @param sink writes one line (called on the writer thread only, in order) */
    AuditFileWriter(Consumer<AuditEvent> sink) {
        this(sink, () -> { });
    }

    /**
     * @param sink writes one line (called on the writer thread only, in order)
     * @param endOfBatch called after each batch of lines, e.g. to flush a buffer
     */
    AuditFileWriter(Consumer<AuditEvent> sink, Runnable endOfBatch) {
        this.sink = sink;
        this.endOfBatch = endOfBatch;
        this.writer = new Thread(this::drain, "toka-audit-writer");
        writer.setDaemon(true);
        writer.start();
    }

    /** Queues a line; waits while the queue is full, and writes it in place once the writer has closed. */
    void write(AuditEvent event) {
        boolean interrupted = false;
        try {
            while (open) {
                try {
                    if (queue.offer(event, 100, TimeUnit.MILLISECONDS)) {
                        return;
                    }
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            sink.accept(event); // closed: nothing drains the queue any more, so write it here
            endOfBatch.run();
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void drain() {
        List<AuditEvent> batch = new ArrayList<>(BATCH);
        while (open || !queue.isEmpty()) {
            try {
                AuditEvent first = queue.poll(200, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                batch.add(first);
            } catch (InterruptedException e) {
                // close() interrupts a waiting writer; the loop drains what is left
            }
            queue.drainTo(batch, BATCH - batch.size());
            for (AuditEvent e : batch) {
                try {
                    sink.accept(e);
                } catch (RuntimeException failure) {
                    LOG.error("Cannot write an audit line", failure);
                }
            }
            batch.clear();
            try {
                endOfBatch.run();
            } catch (RuntimeException failure) {
                LOG.error("Cannot flush the audit lines", failure);
            }
        }
    }

    /** @return lines queued and not yet written */
    int backlog() {
        return queue.size();
    }

    /** Stops accepting into the queue and waits until every queued line is written. Harmless twice. */
    @Override
    public void close() {
        open = false;
        writer.interrupt();
        try {
            writer.join(TimeUnit.SECONDS.toMillis(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        // a line queued between the last drain and the flag: write it here, in order
        List<AuditEvent> rest = new ArrayList<>();
        queue.drainTo(rest);
        rest.forEach(sink);
        endOfBatch.run();
    }
}
