package io.toka.store.internal;

import io.toka.event.Event;
import io.toka.event.EventPayload;
import io.toka.event.Events;
import java.io.BufferedOutputStream;
import java.io.FileOutputStream;
import java.io.FileDescriptor;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The child process of {@link SqliteCrashTest}: appends events to a SQLite store from several threads until it is
 * killed, and prints {@code <id> ok} for each event only after its append returned (was acknowledged).
 */
public final class CrashAppender {

    private CrashAppender() {
    }

    /**
     * @param args the database file, then the number of appending threads
     */
    public static void main(String[] args) {
        Path file = Path.of(args[0]);
        int threads = Integer.parseInt(args[1]);
        PrintStream out = new PrintStream(new BufferedOutputStream(new FileOutputStream(FileDescriptor.out), 1 << 16),
                false, StandardCharsets.US_ASCII);
        SqliteEventStore store = SqliteEventStore.open(file);
        for (int t = 0; t < threads; t++) {
            int thread = t;
            Thread th = new Thread(() -> {
                ThreadLocalRandom rnd = ThreadLocalRandom.current();
                while (true) {
                    int n = 1 + rnd.nextInt(3);
                    List<Event> batch = new ArrayList<>(n);
                    for (int i = 0; i < n; i++) {
                        batch.add(Events.create(new EventPayload.TaskScheduled("agent-" + thread, "task " + i,
                                "crash"), List.of()));
                    }
                    List<Event> stored = store.append(batch);
                    synchronized (out) {
                        for (Event e : stored) {
                            out.print(e.id());
                            out.print(" ok\n");
                        }
                        out.flush();
                    }
                }
            }, "appender-" + t);
            th.start();
        }
    }
}
