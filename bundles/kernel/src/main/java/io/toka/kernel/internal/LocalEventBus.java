package io.toka.kernel.internal;

import io.toka.event.Event;
import io.toka.event.EventBus;
import io.toka.event.EventSubscriber;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes events to subscribers without ever blocking the publisher: each subscription has a bounded queue and
 * a delivery thread of its own; when the queue is full the event is dropped for that subscriber and counted, and the
 * subscriber is told how many it missed before its next event.
 */
final class LocalEventBus implements EventBus {

    private static final Logger LOG = LoggerFactory.getLogger(LocalEventBus.class);

    private final List<Sub> subscriptions = new CopyOnWriteArrayList<>();

    void publish(Event event) {
        for (Sub s : subscriptions) {
            s.offer(event);
        }
    }

    @Override
    public Subscription subscribe(EventSubscriber subscriber, int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be at least 1, not " + capacity);
        }
        Sub s = new Sub(subscriber, capacity);
        subscriptions.add(s);
        s.thread.start();
        return s;
    }

    void closeAll() {
        for (Sub s : subscriptions) {
            s.close();
        }
    }

    int subscriberCount() {
        return subscriptions.size();
    }

    private final class Sub implements Subscription {
        private final EventSubscriber subscriber;
        private final BlockingQueue<Event> queue;
        private final AtomicLong missedTotal = new AtomicLong();
        private final AtomicLong missedPending = new AtomicLong();
        private final Thread thread;
        private volatile boolean open = true;

        Sub(EventSubscriber subscriber, int capacity) {
            this.subscriber = subscriber;
            this.queue = new ArrayBlockingQueue<>(capacity);
            this.thread = new Thread(this::deliver, "toka-event-subscriber");
            thread.setDaemon(true);
        }

        void offer(Event e) {
            if (open && !queue.offer(e)) {
                missedTotal.incrementAndGet();
                missedPending.incrementAndGet();
            }
        }

        private void deliver() {
            while (open) {
                Event e;
                try {
                    e = queue.take();
                } catch (InterruptedException stop) {
                    return;
                }
                long missed = missedPending.getAndSet(0);
                if (missed > 0) {
                    try {
                        subscriber.onMissed(missed);
                    } catch (RuntimeException ex) {
                        // a failing onMissed must not lose the event that follows
                        LOG.warn("Event subscriber {} failed on a missed count of {}", subscriber, missed, ex);
                    }
                }
                try {
                    subscriber.onEvent(e);
                } catch (RuntimeException ex) {
                    LOG.warn("Event subscriber {} failed on event {}", subscriber, e.id(), ex);
                }
            }
        }

        @Override
        public long missed() {
            return missedTotal.get();
        }

        @Override
        public void close() {
            open = false;
            subscriptions.remove(this);
            thread.interrupt();
        }
    }
}
