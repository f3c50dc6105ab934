package io.toka.shell.internal;

import io.toka.event.Event;
import io.toka.event.EventBus;
import io.toka.event.EventSubscriber;
import io.toka.security.Permissions;
import io.toka.security.ShellSecurity;
import java.io.PrintStream;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;

/** {@code toka:event-tail}: prints live events as they happen, until Ctrl-C. */
@Command(scope = "toka", name = "event-tail", description = "Follows live events until Ctrl-C")
@Service
public class EventTail implements Action {

    @Reference
    EventBus bus;

    @Reference
    ShellSecurity security;

    @Option(name = "--kind", aliases = "-k", description = "Only this kind")
    String kind;

    @Option(name = "--count", aliases = "-c", description = "Stop after this many events (default: until Ctrl-C)")
    long count;

    @Override
    public Object execute() throws Exception {
        security.currentUser().authorize("event.stream", List.of(Permissions.EVENT_READ));
        BlockingQueue<Event> queue = new ArrayBlockingQueue<>(1024);
        AtomicLong missed = new AtomicLong();
        PrintStream out = System.out;
        try (EventBus.Subscription sub = bus.subscribe(new EventSubscriber() {
            @Override
            public void onEvent(Event event) {
                if (!queue.offer(event)) {
                    missed.incrementAndGet();
                }
            }

            @Override
            public void onMissed(long n) {
                missed.addAndGet(n);
            }
        }, 1024)) {
            long shown = 0;
            while (count <= 0 || shown < count) {
                Event e = queue.take(); // Ctrl-C interrupts the command thread
                long m = missed.getAndSet(0);
                if (m > 0) {
                    out.println("... " + m + " event(s) missed (toka:event-list has them)");
                }
                if (kind == null || kind.equals(e.kind())) {
                    out.println(e.seq() + "  " + e.timestamp() + "  " + e.kind()
                            + (e.agent() == null ? "" : "  agent=" + e.agent())
                            + (e.subject() == null ? "" : "  subject=" + e.subject()) + "  " + e.payload());
                    out.flush();
                    shown++;
                }
            }
        } catch (InterruptedException stop) {
            Thread.currentThread().interrupt();
        }
        return null;
    }
}
