package io.toka.kernel.internal;

import io.toka.event.Event;
import io.toka.event.EventPage;
import io.toka.event.EventPayload;
import io.toka.event.EventQuery;
import io.toka.event.EventStore;
import io.toka.event.Events;
import io.toka.kernel.InvalidOperationException;
import io.toka.kernel.Kernel;
import io.toka.kernel.QueuedTask;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agents' task queues, bounded at {@link Kernel#MAX_QUEUED_TASKS} each. Durable through the event log: a queued
 * task is a {@code task.scheduled} event with {@code queued}; taking it is a {@code task.taken} event and dropping an
 * agent's queue a {@code tasks.dropped} event, so {@link #rebuild} restores the queues after a restart. An agent's
 * queue object is removed once it is empty and holds no reservation, so that agents that come and go leave nothing
 * behind.
 */
final class TaskQueues {

    private static final Logger LOG = LoggerFactory.getLogger(TaskQueues.class);
    private static final int PAGE = EventQuery.MAX_LIMIT;

    /** An agent's queued tasks; {@code count} also holds reservations of submits in progress. */
    static final class AgentQueue {
        final AtomicInteger count = new AtomicInteger();
        final ConcurrentLinkedDeque<QueuedTask> tasks = new ConcurrentLinkedDeque<>();
    }

    private final Map<String, AgentQueue> queues = new ConcurrentHashMap<>();

    /**
     * Reserves a place for a task being submitted.
     *
     * @throws InvalidOperationException if the agent's queue is full
     */
    AgentQueue reserve(String agent) throws InvalidOperationException {
        while (true) {
            AgentQueue q = queues.computeIfAbsent(agent, a -> new AgentQueue());
            int n = q.count.incrementAndGet();
            if (queues.get(agent) != q) {
                // removed as empty between the lookup and the reservation: use the new one
                q.count.decrementAndGet();
                continue;
            }
            if (n > Kernel.MAX_QUEUED_TASKS) {
                q.count.decrementAndGet();
                throw new InvalidOperationException("task queue full: agent '" + agent + "' already has "
                        + Kernel.MAX_QUEUED_TASKS + " queued tasks");
            }
            return q;
        }
    }

    /** A reservation that did not become a task. */
    void release(String agent, AgentQueue q) {
        q.count.decrementAndGet();
        forgetIfEmpty(agent, q);
    }

    /** The reserved place gets its task. */
    void add(AgentQueue q, QueuedTask task) {
        q.tasks.addLast(task);
    }

    int size(String agent) {
        AgentQueue q = queues.get(agent);
        return q == null ? 0 : q.tasks.size();
    }

    List<QueuedTask> queued(String agent) {
        AgentQueue q = queues.get(agent);
        return q == null ? List.of() : List.copyOf(q.tasks);
    }

    /** Takes the oldest task out of memory; {@link #putBack} if its taking could not be recorded. */
    Optional<QueuedTask> poll(String agent) {
        AgentQueue q = queues.get(agent);
        if (q == null) {
            return Optional.empty();
        }
        QueuedTask t = q.tasks.pollFirst();
        if (t == null) {
            return Optional.empty();
        }
        q.count.decrementAndGet();
        forgetIfEmpty(agent, q);
        return Optional.of(t);
    }

    /** A polled task whose {@code task.taken} was not stored goes back to the front. */
    void putBack(QueuedTask t) {
        AgentQueue q = queues.computeIfAbsent(t.agent(), a -> new AgentQueue());
        q.count.incrementAndGet();
        q.tasks.addFirst(t);
    }

    /** Empties the agent's queue. */
    List<QueuedTask> drain(String agent) {
        AgentQueue q = queues.get(agent);
        if (q == null) {
            return List.of();
        }
        List<QueuedTask> out = new ArrayList<>();
        for (QueuedTask t = q.tasks.pollFirst(); t != null; t = q.tasks.pollFirst()) {
            q.count.decrementAndGet();
            out.add(t);
        }
        forgetIfEmpty(agent, q);
        return out;
    }

    private void forgetIfEmpty(String agent, AgentQueue q) {
        if (q.count.get() == 0 && q.tasks.isEmpty()) {
            queues.remove(agent, q);
        }
    }

    /** @return how many agents have a queue object (for tests: emptied queues are forgotten) */
    int agents() {
        return queues.size();
    }

    // ---------------------------------------------------------------- rebuild

    /**
     * Restores the queues from the event log: every queued {@code task.scheduled}, in order, less those a
     * {@code task.taken} names and those a later {@code tasks.dropped} of their agent dropped.
     *
     * @return how many tasks are queued afterwards
     */
    int rebuild(EventStore store) {
        List<Event> events = new ArrayList<>();
        for (String kind : List.of("task.scheduled", "task.taken", "tasks.dropped")) {
            long after = 0;
            while (true) {
                EventPage page = store.query(new EventQuery(kind, null, null, null, null, after, PAGE));
                events.addAll(page.events());
                if (page.events().size() < PAGE) {
                    break;
                }
                after = page.events().get(page.events().size() - 1).seq();
            }
        }
        events.sort(Comparator.comparingLong(Event::seq));
        Map<String, java.util.LinkedHashMap<String, QueuedTask>> byAgent = new java.util.HashMap<>();
        for (Event e : events) {
            Optional<EventPayload> p;
            try {
                p = Events.payload(e);
            } catch (IllegalArgumentException unreadable) {
                LOG.warn("Skipping an unreadable {} event {} while rebuilding the task queues", e.kind(), e.id());
                continue;
            }
            if (p.isEmpty()) {
                continue;
            }
            if (p.get() instanceof EventPayload.TaskScheduled s && s.queued()) {
                byAgent.computeIfAbsent(s.agent(), a -> new java.util.LinkedHashMap<>())
                        .put(e.id(), new QueuedTask(e.id(), s.agent(), s.task(), s.subject(), e.timestamp()));
            } else if (p.get() instanceof EventPayload.TaskTaken t) {
                java.util.LinkedHashMap<String, QueuedTask> q = byAgent.get(t.agent());
                if (q != null) {
                    q.remove(t.taskId());
                }
            } else if (p.get() instanceof EventPayload.TasksDropped d) {
                byAgent.remove(d.agent());
            }
        }
        queues.clear();
        int total = 0;
        for (Map.Entry<String, java.util.LinkedHashMap<String, QueuedTask>> a : byAgent.entrySet()) {
            if (a.getValue().isEmpty()) {
                continue;
            }
            AgentQueue q = new AgentQueue();
            for (QueuedTask t : a.getValue().values()) {
                q.tasks.addLast(t);
                q.count.incrementAndGet();
                total++;
            }
            queues.put(a.getKey(), q);
        }
        return total;
    }
}
